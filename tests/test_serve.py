"""``kolrules serve``'s endpoints, in process (Starlette's TestClient): the decision JSON of
``kolrules evaluate --format json``, explain, rulesets, plugins, health, and problem
details for every request refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from kolrules.cli import main
from kolrules.serve import Limits, Settings, create_app
from kolrules.serve import _evaluate as evaluate_module

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = REPO / "examples" / "candidates.csv"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client() -> TestClient:
    limits = Limits(max_body_bytes=200_000, max_rows=50)
    return TestClient(create_app(Settings(reload_interval=0, limits=limits)))


def rows() -> list[dict[str, str]]:
    with CANDIDATES.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def cli_json(*args: str) -> dict[str, Any]:
    """``kolrules evaluate ARGS -f json`` keeping no input column: the service, like the
    Python API, carries none (the command line keeps the nickname by default)."""
    command = ["evaluate", *args, "-f", "json", "--keep", ""]
    result = CliRunner().invoke(main, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:kolrules:problem:{kind}"
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["detail"] and body["title"]
    return body


# -- evaluate -------------------------------------------------------------------------------


@pytest.mark.parametrize("one_by_one", [True, False], ids=["one-by-one", "columnar"])
def test_a_csv_body_gets_the_document_of_kolrules_evaluate_format_json(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    monkeypatch.setattr(evaluate_module, "PYTHON_PATH_ROWS", 1_000 if one_by_one else 0)
    response = client.post(
        "/v1/evaluate?ruleset=beauty-startup",
        content=CANDIDATES.read_bytes(),
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    served = response.json()
    expected = cli_json(str(CANDIDATES), "-r", "beauty-startup")
    assert served["source"] is None and expected["source"] == str(CANDIDATES)
    assert {**served, "source": None} == {**expected, "source": None}
    assert served["errors"] and served["summary"]["errors"] == len(served["errors"])
    failed = [f for d in served["decisions"] for f in d["findings"] if f["outcome"] == "fail"]
    assert any(f["to_pass"] for f in failed)  # what it would take
    assert all(d["why"] for d in served["decisions"])  # the verdict's reason
    assert response.headers["kolrules-ruleset-name"] == "beauty-startup"
    assert response.headers["kolrules-ruleset-hash"] == expected["ruleset"]["hash"]


def test_one_profile_object_is_one_decision(client: TestClient) -> None:
    profile = rows()[0]
    response = client.post("/v1/evaluate", json=profile)
    assert response.status_code == 200
    document = response.json()
    assert document["summary"] == {
        "rows_read": 1,
        "accepted": 1,
        "review": 0,
        "rejected": 0,
        "errors": 0,
    }
    (decision,) = document["decisions"]
    assert decision["id"] == profile["id"] and decision["row"] == 1
    assert document["ruleset"]["name"] == "red-default"
    assert document["columns"] is None
    expected = cli_json(str(CANDIDATES))["decisions"][0]
    assert {**decision, "row": 1} == {**expected, "row": 1}


def test_numbers_and_text_in_a_profile_are_read_as_a_json_file_reads_them(
    client: TestClient, tmp_path: Path
) -> None:
    from kolrules import Engine
    from kolrules.read import read_json

    profile: dict[str, Any] = {
        "id": "n1",
        "followers": "1.2万",
        "total_likes": 40000,
        "avg_likes": 800.5,
        "avg_comments": 40,
        "posts": True,
        "price": None,
        "extra": {"nested": [1, 2]},
        "origin": "",
    }
    (tmp_path / "one.json").write_text(json.dumps([profile]), encoding="utf-8")
    as_read = read_json(tmp_path / "one.json").row(0, named=True)
    expected = Engine().evaluate([as_read]).decisions[0].to_dict()
    served = client.post("/v1/evaluate", json=profile).json()
    assert served["decisions"] == [json.loads(json.dumps(expected))]
    assert served["columns"] is None  # a profile, not a file's rows
    assert served["decisions"][0]["data_errors"]  # posts: true is not a number


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["id", "handle", "followers", "posts", "total_likes", "avg_likes", "price", "origin"]
        ),
        st.one_of(
            st.integers(-(10**20), 10**20),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([0, -0.0, 1e-7, 1e16, 2**53 + 1, 12345678901234567891]),
        ),
        min_size=1,
    )
)
def test_a_number_of_one_profile_decides_as_its_text_does(numbers: dict[str, Any]) -> None:
    """A single object's numbers are passed to the engine as numbers (as_value), not as
    the text a JSON file's cells are: the same decision, data errors included."""
    from kolrules import Engine
    from kolrules.formats import jsonable
    from kolrules.read import json_cell

    engine = _ENGINE.get("red") or _ENGINE.setdefault("red", Engine(load_entrypoints=False))
    profile = {"id": "n1", "followers": 20_000, **numbers}
    as_text = engine.evaluate([{k: json_cell(v) for k, v in profile.items()}])
    as_numbers = engine.evaluate([{k: evaluate_module.as_value(v) for k, v in profile.items()}])
    assert jsonable(as_numbers.errors) == jsonable(as_text.errors)
    assert jsonable(as_numbers.decisions) == jsonable(as_text.decisions)


_ENGINE: dict[str, Any] = {}


def test_a_key_left_out_of_one_profile_is_a_missing_value(client: TestClient) -> None:
    profile = {k: v for k, v in rows()[0].items() if k != "price"}
    (decision,) = client.post("/v1/evaluate", json=profile).json()["decisions"]
    gifting = next(f for f in decision["findings"] if f["rule"] == "gifting-candidate")
    assert decision["price"]["gifting"] and gifting["outcome"] == "fail"
    # in a body of rows, a column no row has is "not applied", as in kolrules evaluate
    (as_rows,) = client.post("/v1/evaluate", json=[profile]).json()["decisions"]
    gifting = next(f for f in as_rows["findings"] if f["rule"] == "gifting-candidate")
    assert gifting["outcome"] == "not_applicable" and "no column" in gifting["message"]


def test_json_array_jsonl_and_a_wrapped_array_agree(client: TestClient) -> None:
    profiles = rows()[:6]
    as_array = client.post("/v1/evaluate", json=profiles).json()
    wrapped = client.post("/v1/evaluate", json={"profiles": profiles}).json()
    jsonl = "\n".join(json.dumps(p) for p in profiles) + "\n"
    as_lines = client.post(
        "/v1/evaluate", content=jsonl, headers={"content-type": "application/x-ndjson"}
    ).json()
    assert as_array == wrapped == as_lines
    assert as_array["summary"]["rows_read"] == 6


def test_a_row_that_cannot_be_evaluated_is_a_row_error(client: TestClient) -> None:
    good, other = rows()[:2]
    response = client.post("/v1/evaluate", json=[good, {**other, "id": good["id"]}, {"x": "1"}])
    assert response.status_code == 200
    document = response.json()
    assert [d["row"] for d in document["decisions"]] == [1]
    assert [e["row"] for e in document["errors"]] == [2, 3]
    assert "duplicate id" in document["errors"][0]["reason"]
    assert document["summary"]["errors"] == 2


def test_the_ruleset_is_chosen_per_request(client: TestClient) -> None:
    profile = rows()[0]
    hashes = set()
    for name in ("red-default", "beauty-startup", "luxury-brand"):
        document = client.post(f"/v1/evaluate?ruleset={name}", json=profile).json()
        assert document["ruleset"]["name"] == name
        assert document["decisions"][0]["ruleset"]["name"] == name
        hashes.add(document["ruleset"]["hash"])
    assert len(hashes) == 3


# -- refused requests -------------------------------------------------------------------------


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/evaluate", content=b'{"id": "a",', headers={"content-type": "application/json"}
    )
    body = problem(response, 400, "malformed-json")
    assert "line 1" in body["detail"]
    for bad in (b"\xff\xfe{}", b'{"a": NaN}', b"[" * 100_000):
        response = client.post(
            "/v1/evaluate", content=bad, headers={"content-type": "application/json"}
        )
        problem(response, 400, "malformed-json")


def test_a_repeated_key_or_a_lone_surrogate_is_unusable_input(client: TestClient) -> None:
    for bad in (b'{"id": "a", "id": "b"}', b'{"id": "\\ud800"}'):
        response = client.post(
            "/v1/evaluate", content=bad, headers={"content-type": "application/json"}
        )
        problem(response, 422, "unusable-input")


def test_an_unusable_csv_is_a_422_problem_that_names_the_body(client: TestClient) -> None:
    response = client.post(
        "/v1/evaluate", content=b"handle\nx\n", headers={"content-type": "text/csv"}
    )
    body = problem(response, 422, "unusable-input")
    assert "the request body" in body["detail"] and "kolrules-serve-" not in body["detail"]


def test_an_unknown_ruleset_is_a_404_problem_that_lists_the_served_ones(
    client: TestClient,
) -> None:
    body = problem(client.post("/v1/evaluate?ruleset=nope", json={}), 404, "unknown-ruleset")
    assert "red-default" in body["detail"] and body["ruleset"] == "nope"
    problem(client.get("/v1/rulesets/nope"), 404, "unknown-ruleset")
    problem(client.post("/v1/explain?ruleset=../x", json={}), 404, "unknown-ruleset")


def test_a_body_over_the_limit_is_a_413_problem(client: TestClient) -> None:
    big = b"[" + b",".join([b'{"id":"a"}'] * 30_000) + b"]"
    assert len(big) > 200_000
    response = client.post(
        "/v1/evaluate", content=big, headers={"content-type": "application/json"}
    )
    body = problem(response, 413, "body-too-large")
    assert body["max_body_bytes"] == 200_000

    def chunks() -> Any:  # no content-length: counted as it comes
        for _ in range(30):
            yield b"x" * 10_000

    response = client.post("/v1/evaluate", content=chunks(), headers={"content-type": "text/csv"})
    problem(response, 413, "body-too-large")


@pytest.mark.parametrize("media", ["application/json", "text/csv", "application/x-ndjson"])
def test_too_many_rows_is_a_413_problem(client: TestClient, media: str) -> None:
    profiles = [{"id": f"k{i}", "followers": "1000"} for i in range(51)]
    if media == "application/json":
        content = json.dumps(profiles)
    elif media == "text/csv":
        content = "id,followers\n" + "".join(f"{p['id']},1000\n" for p in profiles)
    else:
        content = "".join(json.dumps(p) + "\n" for p in profiles)
    response = client.post("/v1/evaluate", content=content, headers={"content-type": media})
    body = problem(response, 413, "too-many-rows")
    assert (body["rows"], body["max_rows"]) == (51, 50)
    fifty = client.post("/v1/evaluate", json=profiles[:50])
    assert fifty.status_code == 200


def test_a_wrong_content_type_is_a_415_problem(client: TestClient) -> None:
    for headers in ({"content-type": "application/x-www-form-urlencoded"}, {}):
        response = client.post("/v1/evaluate", content=b"id=a", headers=headers)
        body = problem(response, 415, "unsupported-media-type")
        assert "application/json" in body["detail"]
    response = client.post("/v1/explain", content=b"id\na\n", headers={"content-type": "text/csv"})
    problem(response, 415, "unsupported-media-type")


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    problem(client.get("/v2/evaluate"), 404, "not-found")
    response = client.get("/v1/evaluate")
    problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


def test_a_request_id_is_kept_or_made(client: TestClient) -> None:
    response = client.get("/healthz", headers={"x-request-id": "crm-42"})
    assert response.headers["x-request-id"] == "crm-42"
    made = client.get("/healthz", headers={"x-request-id": "bad id;x"}).headers["x-request-id"]
    assert made != "bad id;x" and len(made) == 32


def test_an_unexpected_failure_is_a_500_problem_with_its_traceback_logged(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("kolrules.serve._app.evaluate_rows", broken)
    body = problem(client.post("/v1/evaluate", json=rows()[0]), 500, "internal-error")
    assert body["request_id"] in caplog.text and "RuntimeError: boom" in caplog.text


# -- explain ----------------------------------------------------------------------------------


def test_explain_gives_every_finding_and_the_inputs_as_kolrules_explain_does(
    client: TestClient,
) -> None:
    response = client.post("/v1/explain?ruleset=red-default", json=rows()[10])
    assert response.status_code == 200
    shown = response.json()
    cli = CliRunner().invoke(
        main, ["explain", str(CANDIDATES), "--id", rows()[10]["id"], "-f", "json"]
    )
    expected = json.loads(cli.stdout)
    assert {**shown["decision"], "row": None} == {**expected, "row": None}
    assert shown["error"] is None
    assert shown["ruleset"]["name"] == "red-default"


def test_explain_of_a_profile_that_cannot_be_evaluated_is_its_row_error(
    client: TestClient,
) -> None:
    shown = client.post("/v1/explain", json={"handle": "x"}).json()
    assert shown["decision"] is None and shown["error"]["row"] == 1
    problem(client.post("/v1/explain", json=[rows()[0]]), 422, "unusable-input")


# -- rulesets, plugins, health ----------------------------------------------------------------


def test_the_rulesets_are_listed_with_their_state_and_hash(client: TestClient) -> None:
    listing = client.get("/v1/rulesets").json()
    names = {r["name"]: r for r in listing["rulesets"]}
    assert {"red-default", "weibo-default", "beauty-startup"} <= set(names)
    assert listing["default"] == "red-default" and listing["error"] is None
    beauty = names["beauty-startup"]
    assert beauty["status"] == "ok" and beauty["error"] is None
    assert len(beauty["hash"]) == 64 and beauty["chain"][1].endswith("red-default.toml")


def test_a_ruleset_is_shown_resolved_with_where_each_value_came_from(
    client: TestClient,
) -> None:
    response = client.get("/v1/rulesets/beauty-startup")
    assert response.status_code == 200
    shown = response.json()
    cli = CliRunner().invoke(main, ["rulesets", "show", "beauty-startup", "--resolved", "--json"])
    assert shown["resolved"] == json.loads(cli.stdout)
    origin = shown["resolved"]["origins"]["params.min_engagement_rate"]
    assert origin["file"].endswith("beauty-startup.toml") and origin["line"]
    assert shown["ruleset"]["hash"] == response.headers["kolrules-ruleset-hash"]


def test_a_posted_ruleset_is_validated_as_kolrules_validate_does(client: TestClient) -> None:
    text = (REPO / "rulesets" / "clients" / "luxury-brand.toml").read_bytes()
    ok = client.post(
        "/v1/rulesets/validate", content=text, headers={"content-type": "application/toml"}
    ).json()
    assert ok["ok"] and ok["errors"] == 0 and ok["source"] == "<request>"
    assert ok["ruleset"]["name"] == "luxury-brand"
    broken = b'[ruleset]\nname = "x"\nversion = "1"\nplatform = "red"\n\n[[rules]]\nid = 3\n'
    bad = client.post(
        "/v1/rulesets/validate", content=broken, headers={"content-type": "text/plain"}
    ).json()
    assert not bad["ok"] and bad["errors"] >= 1
    assert all(i["file"] == "<request>" for i in bad["issues"])
    problem(
        client.post(
            "/v1/rulesets/validate?strict=maybe",
            content=text,
            headers={"content-type": "application/toml"},
        ),
        400,
        "bad-parameter",
    )


def test_plugins_are_listed_as_kolrules_plugins_json_lists_them(client: TestClient) -> None:
    shown = client.get("/v1/plugins").json()
    cli = CliRunner().invoke(main, ["plugins", "--json"])
    assert shown["plugins"] == json.loads(cli.stdout)
    assert shown["blocked"] == {}


def test_health_ready_openapi_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["rulesets"] >= 5 and ready["broken"] == 0
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/evaluate", "/v1/explain", "/v1/rulesets", "/healthz"} <= set(document["paths"])
    assert "Decision" in document["components"]["schemas"]
    page = client.get("/docs")
    assert page.status_code == 200 and "openapi.json" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # works offline


def test_the_decision_schema_matches_every_field_of_a_decision() -> None:
    import attrs

    from kolrules.serve.openapi import SCHEMAS
    from kolrules.types import Decision, Finding, PriceAssessment, ToPass

    for cls in (Decision, Finding, PriceAssessment, ToPass):
        schema = SCHEMAS[cls.__name__]
        assert set(schema["properties"]) == {f.name for f in attrs.fields(cls)}, cls
