"""``kolrules plan``: the formats (table, json in the documented shape, csv), the exit
codes, formats refused for now, the ruleset's [planning] defaults, and the help."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kolrules.cli import EXIT_INPUT, EXIT_OK, EXIT_RULESET, EXIT_USAGE, main
from kolrules.cli import plan as plan_cli
from kolrules.planner import settings as plan_settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = str(REPO / "examples" / "candidates.csv")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["plan", *args], catch_exceptions=False)


def test_json_has_the_documented_shape() -> None:
    result = run(EXAMPLE, "--budget", "30000", "--mix", "micro=0.7,mid=0.3", "-f", "json")
    assert result.exit_code == EXIT_OK, result.stderr
    found = json.loads(result.stdout)
    assert list(found) == [
        "budget", "spent", "objective", "value", "optimal", "gap",
        "selected", "seeding", "excluded", "by_tier",
    ]  # fmt: skip
    assert (found["budget"], found["spent"], found["value"]) == (30_000, 29_600, 8_956)
    assert (found["objective"], found["optimal"], found["gap"]) == ("engagement", True, 0)
    assert found["selected"][0] == {
        "id": "red-001",
        "tier": "micro",
        "pay": 2500,
        "quote": 2500,
        "offer": None,
        "expected_engagement": 445,
        "followers": 12000,
    }
    assert found["seeding"][0] == {
        "id": "red-005",
        "tier": "top",
        "products": 1,
        "expected_engagement": 23100,
        "followers": 2300000,
    }
    assert {"id": "red-004", "why": "outside the mix: its tier, top, is not in it "
            "(micro=0.7,mid=0.3)"} in found["excluded"]  # fmt: skip
    assert found["by_tier"]["mid"] == {
        "kols": 1,
        "spent": 8000,
        "share": 8000 / 30000,
        "target": 0.3,
        "expected_engagement": 3480,
        "followers": 180000,
        "cpe": 8000 / 3480,
    }
    assert result.stderr.startswith("10 KOLs for 29,600 of 30,000 RMB (400 left)")


def test_csv_lists_every_candidate_in_input_order() -> None:
    result = run(EXAMPLE, "--budget", "30000", "-f", "csv")
    assert result.exit_code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 37
    assert [r["row"] for r in rows] == [str(n) for n in range(1, 38)]
    first = rows[0]
    assert (first["id"], first["status"], first["pay"], first["expected_engagement"]) == (
        "red-001",
        "booked",
        "2500",
        "445",
    )
    assert rows[4]["status"] == "seeding" and rows[4]["products"] == "1"
    assert rows[7]["status"] == "excluded" and rows[7]["why"].startswith("rejected: ")


def test_the_table_shows_totals_booked_tiers_seeding_and_why_not() -> None:
    result = run(EXAMPLE, "--budget", "30000")
    assert result.exit_code == EXIT_OK
    text = result.stdout
    assert "10 KOLs for 29,600 of 30,000 RMB (400 left): 8,956 expected engagements" in text
    for heading in ("Booked", "By tier", "Seeding list", "Not booked"):
        assert f"\n{heading}" in text
    assert "another in the same tier gives more per RMB: red-001" in text


def test_the_output_format_follows_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    result = run(EXAMPLE, "--budget", "9000", "-o", str(target))
    assert result.exit_code == EXIT_OK
    assert json.loads(target.read_text(encoding="utf-8"))["budget"] == 9000


def test_xlsx_and_html_are_refused_for_now() -> None:
    for fmt in ("xlsx", "html"):
        result = run(EXAMPLE, "--budget", "9000", "-f", fmt)
        assert result.exit_code == EXIT_USAGE
        assert result.stderr == (
            f"error: a plan is not written as {fmt} yet: use -f csv (Excel opens it), "
            "-f json or -f table\n"
        )


def test_no_plan_exits_6_naming_the_constraint() -> None:
    result = run(EXAMPLE, "--budget", "3000", "--must", "red-003")
    assert result.exit_code == plan_cli.EXIT_INFEASIBLE == 6
    assert result.stderr == (
        "error: no plan meets the must-haves: red-003 cannot be booked: over the budget: "
        "8,000 RMB against a budget of 3,000 RMB; take it out of --must\n"
    )


def test_a_bad_option_exits_2_naming_it() -> None:
    result = run(EXAMPLE, "--budget", "3000", "--mix", "mikro=1")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == (
        "error: --mix: no tier 'mikro' in the ruleset (did you mean 'micro'?); its tiers are "
        "micro, mid, top, celebrity\n"
    )
    assert run(EXAMPLE).stderr.startswith("error: --budget: no budget: give --budget (RMB)")


def test_the_ruleset_gives_the_defaults(tmp_path: Path) -> None:
    client = tmp_path / "client.toml"
    client.write_text(
        '[ruleset]\nname = "client"\nversion = "1"\nextends = "red-default"\n\n'
        "[planning]\nbudget = 9000\nmax_kols = 1\n",
        encoding="utf-8",
    )
    found = json.loads(run(EXAMPLE, "-r", str(client), "-f", "json").stdout)
    assert found["budget"] == 9000 and [b["id"] for b in found["selected"]] == ["red-003"]
    more = json.loads(run(EXAMPLE, "-r", str(client), "--max-kols", "2", "-f", "json").stdout)
    assert [b["id"] for b in more["selected"]] == ["red-003", "red-018"]
    result = run(EXAMPLE, "-r", str(client), "--max-kols", "1", "--min-kols", "2")
    assert result.exit_code == EXIT_USAGE
    assert "--min-kols: 2 is more than max_kols (1)" in result.stderr


def test_a_bad_ruleset_and_a_missing_file_keep_their_exit_codes(tmp_path: Path) -> None:
    client = tmp_path / "client.toml"
    client.write_text(
        '[ruleset]\nname = "client"\nversion = "1"\nextends = "red-default"\n\n'
        "[planning]\nmix = { micro = 0.5 }\n",
        encoding="utf-8",
    )
    result = run(EXAMPLE, "-r", str(client), "--budget", "9000")
    assert result.exit_code == EXIT_RULESET
    assert "client.toml:7 [planning.mix]: the shares add up to 0.5" in result.stderr
    assert run(str(tmp_path / "nowhere.csv"), "--budget", "1").exit_code == EXIT_INPUT


def test_the_help_has_an_example_and_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["plan", "--help"])
    text = " ".join(result.output.split())
    assert "Example: kolrules plan examples/candidates.csv --budget 30000" in text
    assert plan_cli.PLAN_EPILOG in text
    for option in ("--mix", "--objective", "--pay", "--include-review", "--max-share"):
        assert option in text


def test_the_choices_are_the_planners() -> None:
    assert plan_cli.OBJECTIVES == plan_settings.OBJECTIVES
    assert plan_cli.PAYS == plan_settings.PAYS


def test_without_the_solver_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "scipy" else real(name, *a)
    )
    result = run(EXAMPLE, "--budget", "9000")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == (
        "error: planning needs scipy (its HiGHS solver): pip install 'kolrules[plan]'\n"
    )
