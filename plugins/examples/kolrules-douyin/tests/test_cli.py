"""The command line with the plugin: `kolrules test` on douyin-default (every rule
outcome covered), `kolrules evaluate`, and discovery of the installed entry point."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from kolrules.cli import main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Entry points off: the commands load the plugin with `-p kolrules_douyin`, whether or
    not the distribution is installed."""
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")
    return CliRunner()


def test_kolrules_test_passes_with_full_coverage(runner: CliRunner, rulesets_dir: Path) -> None:
    result = runner.invoke(
        main, ["-p", "kolrules_douyin", "test", str(rulesets_dir), "--min-coverage", "100"]
    )
    assert result.exit_code == 0, result.output
    assert "17 passed, 0 failed, 0 errors" in result.output
    assert "rule coverage: 100.0%" in result.output


def test_kolrules_test_junit(runner: CliRunner, rulesets_dir: Path, tmp_path: Path) -> None:
    junit = tmp_path / "results.xml"
    result = runner.invoke(
        main, ["-p", "kolrules_douyin", "test", str(rulesets_dir), "--junit-xml", str(junit)]
    )
    assert result.exit_code == 0, result.output
    assert 'failures="0"' in junit.read_text(encoding="utf-8")


def test_kolrules_test_without_the_plugin_fails(runner: CliRunner, rulesets_dir: Path) -> None:
    result = runner.invoke(main, ["test", str(rulesets_dir)])
    assert result.exit_code == 3, result.output  # the ruleset cannot be loaded
    assert "douyin" in result.output


def test_kolrules_validate(runner: CliRunner, rulesets_dir: Path) -> None:
    result = runner.invoke(
        main,
        [
            "-p",
            "kolrules_douyin",
            "validate",
            "--strict",
            str(rulesets_dir / "douyin-default.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "douyin-default 0.1.0 for douyin" in result.output


def test_kolrules_evaluate_a_xingtu_csv(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "xingtu.csv"
    csv.write_text(
        "达人ID,粉丝数,获赞,作品数,平均播放,平均点赞,平均评论,21-60秒视频报价,粉丝趋势\n"
        'dy-1,5.2万,60万,180,8万,2400,120,4500,"4.1万;4.8万;5.2万"\n'
        'dy-2,4.6万,50万,90,6万,1500,80,3000,"1.2万;1.3万;4.5万"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        main,
        [
            "-p",
            "kolrules_douyin",
            "evaluate",
            str(csv),
            "--ruleset",
            "douyin-default",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the summary line goes to stderr
    verdicts = {d["id"]: d["verdict"] for d in data["decisions"]}
    assert verdicts == {"dy-1": "accept", "dy-2": "review"}


def installed() -> bool:
    try:
        metadata.distribution("kolrules-douyin")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="the kolrules-douyin distribution is not installed")
def test_the_installed_entry_point_is_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    [ours] = [p for p in json.loads(result.stdout) if p["distribution"] == "kolrules-douyin"]
    assert ours["name"] == "douyin"  # the entry point's name
    assert ours["source"] == "entrypoint"
    assert ours["version"] == metadata.version("kolrules-douyin")
    assert ours["module"] == "kolrules_douyin"
    assert ours["registers"]["platforms"] == ["douyin"]
    assert ours["registers"]["scorers"] == ["cpm_value"]
    assert ours["registers"]["rule_kinds"] == ["follower_growth_spike"]
    assert "kolrules_profiles_derive" in ours["hooks"]
