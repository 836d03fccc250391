"""The served rulesets reload when their files change, each reload validated first: a
broken file never replaces a working ruleset (its error is listed and logged, and requests
keep the last good version); a fixed file is loaded on the next look."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from kolrules.serve import Settings, create_app

PROFILE = {
    "id": "k1",
    "followers": "12000",
    "posts": "86",
    "total_likes": "48000",
    "avg_likes": "300",
    "avg_comments": "25",
    "avg_collects": "120",
    "avg_views": "15000",
    "price": "2500",
}


def client_ruleset(version: str, min_posts: int) -> str:
    return (
        f'[ruleset]\nname = "acme"\nversion = "{version}"\nextends = "red-default"\n\n'
        f"[params]\nmin_posts = {min_posts}\n"
    )


def write(path: Path, text: str) -> None:
    """Write ``text`` and move the modification time on (a file system may keep a coarse
    one), as an editor's save would."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, TestClient, Any]:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    write(folder / "acme.toml", client_ruleset("1.0.0", 10))
    app = create_app(Settings(rulesets_dir=folder, reload_interval=0))
    return folder, TestClient(app), app.state.service.store


def evaluated(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/evaluate?ruleset=acme", json=PROFILE)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def acme(client: TestClient) -> dict[str, Any]:
    rows = client.get("/v1/rulesets").json()["rulesets"]
    (row,) = [r for r in rows if r["name"] == "acme"]
    return row


def test_a_changed_file_is_reloaded(served: tuple[Path, TestClient, Any]) -> None:
    folder, client, store = served
    first = evaluated(client)
    assert first["ruleset"]["version"] == "1.0.0"
    assert first["decisions"][0]["verdict"] == "accept"
    write(folder / "acme.toml", client_ruleset("1.1.0", 100))
    said = store.scan()
    assert said == [
        f"reloaded ruleset acme 1.1.0 ({store.get('acme').ruleset.hash[:12]}) "
        f"from {folder / 'acme.toml'}"
    ]
    again = evaluated(client)
    assert again["ruleset"]["version"] == "1.1.0"
    assert again["ruleset"]["hash"] != first["ruleset"]["hash"]
    failed = [f["rule"] for f in again["decisions"][0]["findings"] if f["outcome"] == "fail"]
    assert "few-posts" in failed
    assert store.scan() == []  # nothing changed since: nothing loaded


def test_a_broken_file_keeps_the_last_good_version(
    served: tuple[Path, TestClient, Any], caplog: pytest.LogCaptureFixture
) -> None:
    folder, client, store = served
    good = evaluated(client)["ruleset"]
    for broken in (
        client_ruleset("2.0.0", 10).replace("min_posts = 10", "min_posts = 'many'"),
        "[ruleset\nname =",
        client_ruleset("2.0.0", 10).replace('extends = "red-default"', 'extends = "nowhere"'),
    ):
        write(folder / "acme.toml", broken)
        with caplog.at_level(logging.ERROR, logger="kolrules.serve"):
            said = store.scan()
        assert len(said) == 1 and "still serving version 1.0.0" in said[0]
        assert "acme" in caplog.text and "does not load" in caplog.text
        assert evaluated(client)["ruleset"] == good
        row = acme(client)
        assert row["status"] == "stale" and row["hash"] == good["hash"]
        assert row["error"]["message"] and row["error"]["failed_at"]
        caplog.clear()
    assert client.get("/readyz").json()["broken"] == 1
    write(folder / "acme.toml", client_ruleset("3.0.0", 10))
    store.scan()
    assert evaluated(client)["ruleset"]["version"] == "3.0.0"
    assert acme(client)["status"] == "ok" and acme(client)["error"] is None


def test_a_ruleset_broken_from_the_start_is_listed_and_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    write(folder / "acme.toml", "[ruleset]\nname = 1\n")
    client = TestClient(create_app(Settings(rulesets_dir=folder, reload_interval=0)))
    row = acme(client)
    assert row["status"] == "error" and row["hash"] is None and row["error"]["issues"]
    response = client.post("/v1/evaluate?ruleset=acme", json=PROFILE)
    assert response.status_code == 503
    assert response.json()["type"] == "urn:kolrules:problem:ruleset-unavailable"
    assert client.get("/v1/rulesets/acme").json()["resolved"] is None
    assert client.post("/v1/evaluate", json=PROFILE).status_code == 200  # the others serve


def test_a_new_file_is_served_and_a_removed_one_is_not(
    served: tuple[Path, TestClient, Any],
) -> None:
    folder, client, store = served
    sub = folder / "more"
    sub.mkdir()
    write(sub / "other.toml", client_ruleset("1.0.0", 5).replace('"acme"', '"other"'))
    (folder / "acme.toml").unlink()
    said = store.scan()
    assert any("loaded ruleset other" in s for s in said)
    assert any("acme is no longer served" in s for s in said)
    assert client.post("/v1/evaluate?ruleset=other", json=PROFILE).status_code == 200
    assert client.post("/v1/evaluate?ruleset=acme", json=PROFILE).status_code == 404


def test_a_change_to_the_file_a_ruleset_extends_reloads_it(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    write(
        folder / "base.toml",
        (Path(__file__).parents[1] / "rulesets" / "red-default.toml")
        .read_text(encoding="utf-8")
        .replace('name = "red-default"', 'name = "base"'),
    )
    write(folder / "acme.toml", client_ruleset("1.0.0", 10).replace("red-default", "base"))
    app = create_app(Settings(rulesets_dir=folder, reload_interval=0))
    store = app.state.service.store
    before = store.get("acme").ruleset.hash
    text = (folder / "base.toml").read_text(encoding="utf-8")
    write(folder / "base.toml", text.replace('version = "1.0.0"', 'version = "1.0.1"', 1))
    said = store.scan()
    assert any(s.startswith("reloaded ruleset acme") for s in said)
    assert store.get("acme").ruleset.hash != before


def test_the_reload_task_looks_at_the_files_while_the_service_runs(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    write(folder / "acme.toml", client_ruleset("1.0.0", 10))
    app = create_app(Settings(rulesets_dir=folder, reload_interval=0.05))
    with TestClient(app) as client:  # runs the lifespan: the reload task
        write(folder / "acme.toml", client_ruleset("1.0.1", 10))
        deadline = time.monotonic() + 20
        while evaluated(client)["ruleset"]["version"] != "1.0.1":
            assert time.monotonic() < deadline, "the ruleset was not reloaded"
            time.sleep(0.05)
