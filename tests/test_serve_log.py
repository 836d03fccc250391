"""The decision log (every decision a JSON line, rotated by size, a failed write a failed
request) and ``kolrules replay`` (the logged inputs evaluated again, changes reported)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from kolrules.cli import main
from kolrules.serve import DecisionLog, DecisionLogError, Settings, create_app, replay_log
from kolrules.serve import _evaluate as evaluate_module

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = REPO / "examples" / "candidates.csv"


def rows() -> list[dict[str, str]]:
    with CANDIDATES.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def logged_client(tmp_path: Path, **settings: Any) -> tuple[TestClient, Path]:
    log = tmp_path / "decisions.jsonl"
    app = create_app(Settings(reload_interval=0, decision_log=log, **settings))
    return TestClient(app), log


# -- the log --------------------------------------------------------------------------------


@pytest.mark.parametrize("one_by_one", [True, False], ids=["one-by-one", "columnar"])
def test_every_decision_and_row_error_is_a_line_with_its_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    monkeypatch.setattr(evaluate_module, "PYTHON_PATH_ROWS", 1_000 if one_by_one else 0)
    client, log = logged_client(tmp_path)
    response = client.post(
        "/v1/evaluate?ruleset=luxury-brand",
        content=CANDIDATES.read_bytes(),
        headers={"content-type": "text/csv", "x-request-id": "batch-1"},
    )
    document = response.json()
    logged = lines(log)
    assert len(logged) == document["summary"]["rows_read"] == len(rows())
    assert {e["request_id"] for e in logged} == {"batch-1"}
    assert [e["row"] for e in logged] == list(range(1, len(rows()) + 1))
    ref = document["ruleset"]
    assert all(
        e["ruleset"] == {"name": ref["name"], "version": ref["version"], "hash": ref["hash"]}
        for e in logged
    )
    assert all(e["time"].endswith("Z") and e["endpoint"] == "evaluate" for e in logged)
    by_row = {d["row"]: d for d in document["decisions"]} | {
        e["row"]: e for e in document["errors"]
    }
    for entry, given in zip(logged, rows(), strict=True):
        assert entry["input"] == {k: v or None for k, v in given.items()}
        assert entry["output"] == by_row[entry["row"]]
        assert entry["kind"] == ("error" if "reason" in entry["output"] else "decision")
    assert sum(e["kind"] == "error" for e in logged) == document["summary"]["errors"] > 0


def test_explain_is_logged_too(tmp_path: Path) -> None:
    client, log = logged_client(tmp_path)
    shown = client.post("/v1/explain", json=rows()[0], headers={"x-request-id": "ex-1"}).json()
    (entry,) = lines(log)
    assert entry["endpoint"] == "explain" and entry["request_id"] == "ex-1"
    assert entry["output"] == shown["decision"]


def test_a_failed_write_fails_the_request_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, log = logged_client(tmp_path)
    assert client.post("/v1/evaluate", json=rows()[0]).status_code == 200
    service = client.app.state.service  # type: ignore[attr-defined]

    def full(lines: Any) -> None:
        raise DecisionLogError(f"cannot write the decision log {log}: No space left on device")

    service.decision_log.append = full
    with caplog.at_level(logging.ERROR, logger="kolrules.serve"):
        response = client.post("/v1/evaluate", json=rows()[1], headers={"x-request-id": "r-2"})
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "urn:kolrules:problem:decision-log-failed"
    assert "No space left on device" in problem["detail"] and problem["request_id"] == "r-2"
    assert "r-2" in caplog.text and "No space left" in caplog.text


def test_a_log_that_cannot_be_written_is_an_error_the_operator_sees(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    log = DecisionLog(folder / "decisions.jsonl", max_bytes=1_000, backups=2)
    log.append(['{"a":1}'])
    (folder / "decisions.jsonl").unlink()
    (folder / "decisions.jsonl").mkdir()  # a directory where the file was: cannot be opened
    with pytest.raises(DecisionLogError, match="cannot write the decision log"):
        log.append(['{"a":2}'])
    with pytest.raises(IsADirectoryError):  # at start: the service does not start
        create_app(Settings(reload_interval=0, decision_log=folder / "decisions.jsonl"))


def test_the_log_is_rotated_by_size_and_a_request_is_never_split(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog(path, max_bytes=100, backups=2)
    for n in range(8):
        log.append([json.dumps({"n": n, "pad": "x" * 20})] * 2)  # 2 lines of ~35 bytes
    log.close()
    files = [path.with_name("d.jsonl.2"), path.with_name("d.jsonl.1"), path]
    assert all(f.is_file() for f in files)
    assert not path.with_name("d.jsonl.3").exists()
    kept = [json.loads(line)["n"] for f in files for line in f.read_text().splitlines()]
    assert kept == [5, 5, 6, 6, 7, 7]  # the newest, in order, each request whole in one file
    assert all(f.stat().st_size <= 100 for f in files)


def test_a_log_rotated_by_another_process_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    one = DecisionLog(path, max_bytes=60, backups=3)
    two = DecisionLog(path, max_bytes=60, backups=3)
    one.append(['{"w":1,"pad":"' + "x" * 30 + '"}'])
    two.append(['{"w":2,"pad":"' + "x" * 30 + '"}'])  # rotates: FILE -> FILE.1
    one.append(['{"w":3}'])  # must follow the rotation, not write to FILE.1
    assert [json.loads(x)["w"] for x in path.read_text().splitlines()] == [2, 3]
    assert [json.loads(x)["w"] for x in path.with_name("d.jsonl.1").read_text().splitlines()] == [1]


# -- replay ---------------------------------------------------------------------------------


def test_replay_reports_no_change_and_exits_0(tmp_path: Path) -> None:
    client, log = logged_client(tmp_path)
    client.post(
        "/v1/evaluate", content=CANDIDATES.read_bytes(), headers={"content-type": "text/csv"}
    )
    client.post("/v1/evaluate", json=rows()[3])
    client.post("/v1/explain?ruleset=beauty-startup", json=rows()[4])
    found = replay_log([log])
    assert (found.decisions, found.requests, found.changes) == (len(rows()) + 2, 3, ())
    result = CliRunner().invoke(main, ["replay", str(log)])
    assert result.exit_code == 0, result.output
    assert f"replayed {len(rows()) + 2} decisions of 3 requests: 0 changed" in result.stderr


def test_replay_lists_the_decisions_a_changed_ruleset_decides_otherwise(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    ruleset = folder / "acme.toml"
    ruleset.write_text(
        '[ruleset]\nname = "acme"\nversion = "1"\nextends = "red-default"\n', encoding="utf-8"
    )
    client, log = logged_client(tmp_path, rulesets_dir=folder)
    client.post(
        "/v1/evaluate?ruleset=acme",
        content=CANDIDATES.read_bytes(),
        headers={"content-type": "text/csv", "x-request-id": "audit-1"},
    )
    ruleset.write_text(
        '[ruleset]\nname = "acme"\nversion = "2"\nextends = "red-default"\n\n'
        "[params]\nmin_posts = 100\n",
        encoding="utf-8",
    )
    found = replay_log([log], rulesets_dir=folder)
    assert found.changes
    change = found.changes[0]
    assert change.request_id == "audit-1" and change.ruleset == "acme"
    assert change.logged_hash != change.hash
    assert "failed" in change.changed and "few-posts" in change.after["failed"]
    result = CliRunner().invoke(main, ["replay", str(log), "--rulesets", str(folder), "--json"])
    assert result.exit_code == 1
    shown = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(shown) == len(found.changes) and shown[0]["request_id"] == "audit-1"
    assert "ruleset acme: logged with hash" in result.stderr
    text = CliRunner().invoke(main, ["replay", str(log), "--rulesets", str(folder)])
    assert text.exit_code == 1 and "few-posts" in text.stdout and "audit-1" in text.stdout
    same = CliRunner().invoke(
        main, ["replay", str(log), "--rulesets", str(folder), "-r", "red-default"]
    )
    assert same.exit_code == 0, same.output  # acme 1 decided as red-default does


def test_replay_reads_rows_as_the_service_read_them(tmp_path: Path) -> None:
    client, log = logged_client(tmp_path)
    # a body without a price column: the price rules are not applied to its rows (a
    # profile that only leaves the price out is a gifting candidate: that rule fails)
    without_price = [{k: v for k, v in row.items() if k != "price"} for row in rows()]
    client.post("/v1/evaluate", json=without_price)
    client.post("/v1/evaluate", json=without_price[0])
    logged = lines(log)
    assert logged[0]["columns"] == list(without_price[0]) and logged[-1]["columns"] is None
    gifting = [
        next(f["outcome"] for f in e["output"]["findings"] if f["rule"] == "gifting-candidate")
        for e in (logged[0], logged[-1])
    ]
    assert gifting == ["not_applicable", "fail"]
    found = replay_log([log])
    assert found.decisions == len(rows()) + 1 and found.changes == ()


def test_replay_keeps_a_request_together(tmp_path: Path) -> None:
    client, log = logged_client(tmp_path)
    first = rows()[0]
    client.post("/v1/evaluate", json=[first, first])  # the second: a duplicate id, a row error
    found = replay_log([log])
    assert found.decisions == 2 and found.changes == ()


def test_replay_of_a_log_it_cannot_read_exits_4(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", str(bad)])
    assert result.exit_code == 4 and "line 1" in result.stderr
    bad.write_text("not json\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["replay", str(bad)]).exit_code == 4
    missing = CliRunner().invoke(main, ["replay", str(tmp_path / "nowhere.jsonl")])
    assert missing.exit_code == 4
