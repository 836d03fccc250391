"""``kolrules measure`` on the command line: the three formats, the JSON keys issue 16
fixed, the overlay written with ``--suggest -o``, and the errors with their exit codes."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from kolrules.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "examples" / "labelled.csv"


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(args: list[str], folder: Path | None = None) -> object:
    runner = CliRunner()
    if folder is None:
        return runner.invoke(main, args)
    with runner.isolated_filesystem(temp_dir=folder):
        return runner.invoke(main, args)


def kols(folder: Path, one_class: bool = False) -> Path:
    rng = random.Random(8)
    rows = []
    for i in range(120):
        posts = rng.randint(0, 60)
        fake = one_class or posts < 10
        rows.append(
            {
                "id": f"k{i}",
                "followers": str(rng.randint(2_000, 90_000)),
                "posts": str(posts),
                "total_likes": str(rng.randint(2_000, 400_000)),
                "outcome": "fake" if fake else "real",
            }
        )
    path = folder / "kols.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


def test_the_example_file_is_the_one_its_script_makes(tmp_path: Path) -> None:
    import runpy

    made = tmp_path / "labelled.csv"
    script = runpy.run_path(str(REPO / "examples" / "make_labelled.py"))
    script["main"](made)
    assert made.read_bytes() == LABELLED.read_bytes()


def test_the_table(tmp_path: Path) -> None:
    result = run(["measure", str(LABELLED), "--label", "outcome", "--positive", "fake"])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert (
        f"{LABELLED}: 2,000 rows; 3 not evaluated (row errors) and 102 without a label left "
        "out; 1,895 measured, 428 positive (outcome = fake)"
    ) in out
    assert "likes-below-followers" in out
    assert "verdict (positive: reject): TP 154, FP 14, TN 1,453, FN 274;" in out
    assert "95 % intervals: 2,000 bootstrap resamples of the measured rows (seed 0)" in out
    assert "thresholds fitted" not in out


def test_the_json_starts_with_the_keys_of_issue_16() -> None:
    result = run(["measure", str(LABELLED), "-l", "outcome", "--positive", "fake", "-f", "json"])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    data = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert list(data)[:5] == ["rows", "labelled", "positives", "ruleset", "rules"]
    assert (data["rows"], data["labelled"], data["positives"]) == (2_000, 1_895, 428)
    ruleset = ["name", "version", "hash", "tp", "fp", "tn", "fn"]
    ruleset += ["precision", "recall", "f1", "accuracy", "mcc"]
    assert list(data["ruleset"])[: len(ruleset)] == ruleset
    assert data["ruleset"]["name"] == "red-default"
    rule = ["rule", "applied", "failed", "not_applicable", "tp", "fp", "tn", "fn"]
    rule += ["precision", "recall", "f1", "accuracy", "mcc", "mcc_low", "mcc_high"]
    for entry in data["rules"]:
        assert list(entry)[: len(rule)] == rule
        assert entry["applied"] + entry["not_applicable"] == data["labelled"]
        assert entry["tp"] + entry["fp"] + entry["tn"] + entry["fn"] == data["labelled"]
        assert entry["mcc_low"] <= entry["mcc"] <= entry["mcc_high"]
    mccs = [entry["mcc"] for entry in data["rules"]]
    assert mccs == sorted(mccs, reverse=True)
    assert "suggestions" not in data


def test_the_csv_has_the_verdict_then_the_rules() -> None:
    result = run(["measure", str(LABELLED), "-l", "outcome", "--positive", "fake", "-f", "csv"])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # type: ignore[attr-defined]
    assert [r["kind"] for r in rows] == ["ruleset"] + ["rule"] * 14
    assert (rows[0]["rule"], rows[0]["tp"], rows[0]["fp"]) == ("red-default", "154", "14")
    assert "fit_suggested" not in rows[0]


def test_suggest_writes_an_overlay_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "client-calibrated.toml"
    args = ["measure", str(LABELLED), "-l", "outcome", "--positive", "fake", "--suggest"]
    result = run([*args, "-o", str(target)])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    assert "thresholds fitted to MCC (5-fold cross-validated, --min-support 100)" in (
        result.stdout  # type: ignore[attr-defined]
    )
    assert f"wrote {target}: 4 thresholds set" in result.stderr  # type: ignore[attr-defined]
    text = target.read_text("utf-8")
    assert 'extends = "red-default"' in text
    assert "\nfake_likes_per_follower = 1.355\n" in text
    # the warn rule's fit is the reject rule's cut: set once, for the more severe rule
    assert "\nmin_likes_per_follower =" not in text
    flat = re.sub(r"\n#\s+", " ", text)  # the comments' lines joined
    assert (
        "- likes-per-follower-low (min_likes_per_follower): 1.355 is the cut set for "
        "likes-below-followers (likes_per_follower >= 1.355): both would fail the same rows; "
        "if likes-per-follower-low is to warn before that, set its value by hand"
    ) in flat
    checked = run(["validate", str(target)])
    assert checked.exit_code == EXIT_OK, checked.output  # type: ignore[attr-defined]
    as_json = run([*args, "--fit", "f1", "-f", "json"])
    data = json.loads(as_json.stdout)  # type: ignore[attr-defined]
    assert (data["fit"], data["folds"], data["min_support"]) == ("f1", 5, 100)
    fitted = {s["rule"]: s for s in data["suggestions"]}
    assert fitted["likes-below-followers"]["param"] == "fake_likes_per_follower"
    assert fitted["tier-known"]["status"] == "not fitted"


def test_an_overlay_of_a_ruleset_file_extends_it_by_its_relative_path(tmp_path: Path) -> None:
    rules = tmp_path / "rules" / "acme.toml"
    rules.parent.mkdir()
    rules.write_text(
        '[ruleset]\nname = "acme"\nversion = "3"\nextends = "red-default"\n', encoding="utf-8"
    )
    target = tmp_path / "out" / "acme-fitted.toml"
    target.parent.mkdir()
    args = ["measure", str(LABELLED), "-l", "outcome", "--positive", "fake", "-r", str(rules)]
    result = run([*args, "--suggest", "-o", str(target)])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    assert 'extends = "../rules/acme.toml"' in target.read_text("utf-8")
    assert run(["validate", str(target)]).exit_code == EXIT_OK  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "x.toml"],
            "error: -o writes the overlay of the thresholds --suggest fits: add --suggest",
        ),
        (["--fit", "f1"], "error: --fit says what --suggest fits: add --suggest"),
        (["--positive", ","], "error: no positive label value given"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["measure", str(kols(tmp_path)), "-l", "outcome", "--positive", "fake"]
    result = run([*base, *args])
    assert result.exit_code == EXIT_USAGE, result.output  # type: ignore[attr-defined]
    assert result.stderr.startswith(message)  # type: ignore[attr-defined]


def test_labels_that_give_no_measure_exit_4(tmp_path: Path) -> None:
    path = kols(tmp_path, one_class=True)
    result = run(["measure", str(path), "-l", "outcome", "--positive", "fake"])
    assert result.exit_code == EXIT_INPUT  # type: ignore[attr-defined]
    assert result.stderr.startswith(  # type: ignore[attr-defined]
        f"error: input file {path}: every labelled row is positive (120 labels"
    )
    result = run(["measure", str(path), "-l", "result", "--positive", "fake"])
    assert result.exit_code == EXIT_INPUT  # type: ignore[attr-defined]
    assert result.stderr.startswith(  # type: ignore[attr-defined]
        f"error: input file {path}: no label column 'result': the input's columns are 'id',"
    )  # type: ignore[attr-defined]


def test_standard_input_is_measured_as_a_file(tmp_path: Path) -> None:
    path = kols(tmp_path)
    runner = CliRunner()
    args = ["measure", "-", "-l", "outcome", "--positive", "fake", "-f", "json"]
    piped = runner.invoke(main, args, input=path.read_bytes())
    direct = runner.invoke(main, [*args[:1], str(path), *args[2:]])
    assert piped.exit_code == direct.exit_code == EXIT_OK, piped.output
    a, b = json.loads(piped.stdout), json.loads(direct.stdout)
    assert (a["rows"], a["positives"], a["rules"]) == (b["rows"], b["positives"], b["rules"])
