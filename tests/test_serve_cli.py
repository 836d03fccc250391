"""``kolrules serve`` as people start it: bearer tokens, the loopback default and what it
says at start, the settings its worker processes share, the message without the serve
extra, and a real server on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from kolrules.cli import main
from kolrules.serve import Limits, Settings, create_app
from kolrules.serve._app import app_from_environment
from kolrules.serve._server import startup_notes
from kolrules.serve._settings import ENV_SETTINGS, ENV_TOKEN

TOKEN = "s3cret-token-value"


# -- authentication -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    token_file = tmp_path_factory.mktemp("token") / "token.txt"
    token_file.write_text(f"{TOKEN}\n", encoding="utf-8")
    return TestClient(create_app(Settings(reload_interval=0, token_file=token_file)))


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", f"Basic {TOKEN}", "Bearer wrong-token", f"Bearer {TOKEN}x", "Bearer  "],
)
def test_v1_needs_the_bearer_token(secured: TestClient, header: str | None) -> None:
    headers = {"authorization": header} if header is not None else {}
    for response in (
        secured.get("/v1/rulesets", headers=headers),
        secured.post("/v1/evaluate", json={"id": "a"}, headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="kolrules"'
        assert response.json()["type"] == "urn:kolrules:problem:unauthorized"


def test_the_token_opens_v1_and_health_needs_none(secured: TestClient) -> None:
    good = {"authorization": f"Bearer {TOKEN}"}
    assert secured.get("/v1/rulesets", headers=good).status_code == 200
    assert secured.get("/v1/rulesets", headers={"authorization": f"bearer {TOKEN}"}).is_success
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert secured.get(path).status_code == 200, path
    document = secured.get("/openapi.json").json()
    assert document["paths"]["/v1/evaluate"]["post"]["security"] == [{"bearer": []}]
    assert "401" in document["paths"]["/v1/evaluate"]["post"]["responses"]


def test_the_token_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    client = TestClient(create_app(Settings(reload_interval=0)))
    assert client.get("/v1/plugins").status_code == 401
    assert client.get("/v1/plugins", headers={"authorization": f"Bearer {TOKEN}"}).is_success


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "token.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        Settings(token_file=empty).token()


def test_without_a_token_only_loopback_is_served_and_it_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    notes = startup_notes(Settings(), None)
    assert any("loopback only" in n for n in notes)
    with pytest.raises(ValueError, match="without authentication"):
        startup_notes(Settings(host="0.0.0.0"), None)
    assert any(
        "NONE" in n for n in startup_notes(Settings(host="0.0.0.0", allow_no_auth=True), None)
    )
    assert any("bearer token" in n for n in startup_notes(Settings(host="0.0.0.0"), TOKEN))
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2 and "--token-file" in result.stderr


# -- settings, the extra --------------------------------------------------------------------


def test_worker_processes_get_the_same_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    (folder / "acme.toml").write_text(
        '[ruleset]\nname = "acme"\nversion = "1"\nextends = "red-default"\n', encoding="utf-8"
    )
    settings = Settings(
        port=8123,
        workers=3,
        rulesets_dir=folder,
        plugins=("no:weibo",),
        decision_log=tmp_path / "d.jsonl",
        reload_interval=0,
        limits=Limits(max_body_bytes=1234, max_rows=7, batch_concurrency=1),
    )
    assert Settings.from_json(settings.to_json()) == settings
    monkeypatch.setenv(ENV_SETTINGS, settings.to_json())
    client = TestClient(app_from_environment())
    assert client.app.state.service.settings == settings  # type: ignore[attr-defined]
    assert client.get("/v1/rulesets/acme").status_code == 200
    plugins = client.get("/v1/plugins").json()
    assert "weibo" in plugins["blocked"]
    too_many = client.post("/v1/evaluate", json=[{"id": str(n)} for n in range(8)])
    assert too_many.status_code == 413


def test_without_the_extra_serve_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    for command in (["serve"], ["replay", "log.jsonl"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2
        assert "pip install 'kolrules[serve]'" in result.stderr


def test_the_cli_starts_without_importing_the_service() -> None:
    code = (
        "import sys, kolrules.cli.main as m; "
        "print(sorted(n for n in ('starlette', 'uvicorn', 'anyio', 'kolrules.serve') "
        "if n in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "[]"


# -- a real server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_real_server_on_a_free_loopback_port(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop(ENV_TOKEN, None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kolrules.cli",
            "serve",
            "--port",
            str(port),
            "--reload-interval",
            "0",
            "--no-access-log",
            "--decision-log",
            str(tmp_path / "d.jsonl"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                status, health = _request(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server did not start in 90 s"
                time.sleep(0.2)
        assert status == 200 and health["status"] == "ok"
        profile = {"id": "k1", "followers": "1.2万", "total_likes": "48000", "posts": "86"}
        status, document = _request(
            f"{base}/v1/evaluate?ruleset=red-default",
            json.dumps(profile).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200 and document["decisions"][0]["id"] == "k1"
        assert json.loads((tmp_path / "d.jsonl").read_text().splitlines()[0])["input"] == profile
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert f"listening on http://127.0.0.1:{port}" in stderr
    assert "loopback only" in stderr and "rulesets: " in stderr
