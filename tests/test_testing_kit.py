"""kolrules.testing's helpers for plugin authors: make_engine, make_profile, check_plugin."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs
import polars as pl
import pytest

import kolrules_red
import kolrules_scoring
from kolrules import (
    Platform,
    PluginError,
    Reader,
    Reporter,
    RuleKind,
    RuleParts,
    Scorer,
    hookimpl,
)
from kolrules.errors import ScoringParamError
from kolrules.report import Report
from kolrules.testing import (
    DEFAULT_PROFILE,
    PluginCheck,
    PluginCheckError,
    check_plugin,
    make_engine,
    make_profile,
)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("KOLRULES_PLUGINS", raising=False)
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGINS", raising=False)


def _per_follower(params: Mapping[str, Any]) -> str:
    per = params.get("per", 1000)
    if not isinstance(per, int | float) or per <= 0:
        raise ScoringParamError("per", f"must be a number greater than 0, got {per!r}")
    return f"clamp(followers / {per}, 0, 100)"


PER_FOLLOWER = Scorer(name="per_follower", build=_per_follower, description="followers / per")


class GoodPlugin:
    """A plugin registering one of every kind."""

    def __init__(self, rulesets: Path) -> None:
        self.rulesets = rulesets

    @hookimpl
    def kolrules_scorers_register(self) -> Iterable[Scorer]:
        return [PER_FOLLOWER]

    @hookimpl
    def kolrules_platforms_register(self) -> Iterable[Platform]:
        return [Platform(name="testland", aliases=("tl",), columns={"id": ("tid",)})]

    @hookimpl
    def kolrules_readers_register(self) -> Iterable[Reader]:
        return [Reader(name="tsvx", extensions=(".tsvx",), read=lambda path: None)]  # type: ignore[arg-type,return-value]

    @hookimpl
    def kolrules_reporters_register(self) -> Iterable[Reporter]:
        def render(report: Report, stream: IO[str]) -> None:
            stream.write(f"{len(report.decisions)}\n")

        return [Reporter(name="count", extension=".txt", render=render)]

    @hookimpl
    def kolrules_rulesets_register(self) -> Iterable[Path]:
        return [self.rulesets]


# -- make_engine, make_profile -------------------------------------------------------------


def test_make_profile_defaults_are_accepted_by_red_default() -> None:
    decision = make_engine().evaluate_one(make_profile())
    assert decision.verdict == "accept"
    assert decision.tier == "micro"
    assert decision.data_errors == ()
    assert decision.id == DEFAULT_PROFILE["id"] == "kol-1"


def test_make_profile_overrides_adds_and_leaves_out() -> None:
    profile = make_profile(followers=150_000, price=None, video_price=5_000)
    assert profile["followers"] == 150_000
    assert "price" not in profile
    assert profile["video_price"] == 5_000
    assert profile["avg_likes"] == DEFAULT_PROFILE["avg_likes"]
    assert make_profile() == dict(DEFAULT_PROFILE)
    assert make_profile() is not make_profile()  # a fresh dict each time
    decision = make_engine().evaluate_one(make_profile(price=None))
    assert decision.price.gifting and decision.price.quote is None


def test_make_engine_takes_plugins_and_has_no_entry_points(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text(
        textwrap.dedent(
            """\
            [ruleset]
            name = "acme"
            version = "1"
            platform = "red"
            extends = "red-default"

            [scoring]
            strategy = "per_follower"
            [scoring.params]
            per = 1000
            """
        ),
        encoding="utf-8",
    )
    engine = make_engine("acme", plugins=[GoodPlugin(tmp_path)])  # its ruleset dir
    assert engine.evaluate_one(make_profile(followers=42_000)).score == 42.0
    sources = {info.source for info in engine.plugin_manager.info.values()}  # type: ignore[attr-defined]
    assert "entrypoint" not in sources
    blocked = make_engine(plugins=["no:weibo"]).plugin_manager
    assert "weibo" not in dict(blocked.list_name_plugin())


# -- check_plugin: plugins that pass ---------------------------------------------------------


def test_check_plugin_good_plugin_reports_what_it_registers(tmp_path: Path) -> None:
    report = check_plugin(GoodPlugin(tmp_path))
    assert report == PluginCheck(
        name="GoodPlugin",
        hooks=(
            "kolrules_platforms_register",
            "kolrules_readers_register",
            "kolrules_reporters_register",
            "kolrules_rulesets_register",
            "kolrules_scorers_register",
        ),
        platforms=("testland",),
        scorers=("per_follower",),
        readers=("tsvx",),
        reporters=("count",),
        ruleset_dirs=(tmp_path,),
    )
    assert attrs.has(PluginCheck)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        report.name = "other"  # type: ignore[misc]


def test_check_plugin_first_party_modules_and_names() -> None:
    assert check_plugin(kolrules_red).platforms == ("red",)
    assert check_plugin("kolrules.read").readers == ("csv", "json", "jsonl", "xlsx")
    params = {"weighted": {"metrics": {"followers": {"weight": 1, "low": 0, "high": 100_000}}}}
    scoring = check_plugin(kolrules_scoring, scorer_params=params)
    assert scoring.name == "scoring"
    assert scoring.scorers == ("cost_efficiency", "weighted")


# -- check_plugin: plugins that fail ---------------------------------------------------------


def test_check_plugin_misspelled_hook() -> None:
    class Misspelled:
        @hookimpl
        def kolrules_scorer_register(self) -> Iterable[Scorer]:
            return [PER_FOLLOWER]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Misspelled())
    assert isinstance(info.value, PluginError)
    assert info.value.plugin == "Misspelled"
    (problem,) = info.value.problems
    assert "kolrules_scorer_register is not a kolrules hook" in problem
    assert "did you mean kolrules_scorers_register?" in problem
    assert str(info.value).startswith("plugin 'Misspelled' failed its check:\n  - plugin ")


def test_check_plugin_undecorated_hook() -> None:
    class Undecorated:
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [PER_FOLLOWER]

    with pytest.raises(PluginCheckError, match=r"is not decorated with @kolrules\.hookimpl"):
        check_plugin(Undecorated())


def test_check_plugin_scorer_whose_build_raises() -> None:
    def build(params: Mapping[str, Any]) -> str:
        raise ScoringParamError("per", "'per' is required")

    class Broken:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [Scorer(name="needs_per", build=build)]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Broken())
    assert info.value.problems == (
        "scoring strategy 'needs_per': build({}) raised ScoringParamError: "
        "scoring.params.per: 'per' is required; fix build, or pass "
        "check_plugin(..., scorer_params={'needs_per': {...}}) with parameters it accepts",
    )


def test_check_plugin_scorer_params_are_passed_to_build() -> None:
    seen: list[Mapping[str, Any]] = []

    def build(params: Mapping[str, Any]) -> str:
        seen.append(params)
        return f"followers / {params['per']}"

    class NeedsPer:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [Scorer(name="needs_per", build=build)]

    report = check_plugin(NeedsPer(), scorer_params={"needs_per": {"per": 10}})
    assert report.scorers == ("needs_per",)
    assert seen == [{"per": 10}]


def test_check_plugin_scorer_returning_a_bad_expression() -> None:
    class BadExpression:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [
                Scorer(name="unparsable", build=lambda params: "followers *"),
                Scorer(name="not_text", build=lambda params: 42),  # type: ignore[arg-type,return-value]
            ]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(BadExpression())
    unparsable, not_text = sorted(info.value.problems, reverse=True)
    assert unparsable.startswith(
        "scoring strategy 'unparsable': build({}) returned an expression that does not "
        "parse: cannot parse the expression"
    )
    assert not_text == (
        "scoring strategy 'not_text': build({}) returned int; it must return the score as "
        "a string in the kolrules expression language"
    )


def test_check_plugin_platform_with_an_empty_name() -> None:
    class Nameless:
        @hookimpl
        def kolrules_platforms_register(self) -> Iterable[Platform]:
            return [Platform(name="", aliases=("nl", " "))]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Nameless())
    first, second = info.value.problems
    assert first.startswith("a platform has an empty name (Platform(name='', ")
    assert first.endswith("give it a name, which rulesets and the command line use to pick it")
    assert second == "platform '' has an empty alias; remove it"


def test_check_plugin_two_scorers_with_one_name() -> None:
    class Twice:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [PER_FOLLOWER, Scorer(name="Per_Follower", build=_per_follower)]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Twice())
    assert info.value.problems == (
        "it registers two scoring strategy objects named 'Per_Follower' "
        "(kolrules_scorers_register); register one, or rename the other",
    )


def test_check_plugin_clash_with_a_first_party_plugin() -> None:
    class Impostor:
        @hookimpl
        def kolrules_platforms_register(self) -> Iterable[Platform]:
            return [Platform(name="xhs")]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Impostor())
    (problem,) = info.value.problems
    assert problem.startswith("platform name 'xhs' is registered by plugin 'red'")
    assert "and by plugin 'Impostor'" in problem


def test_check_plugin_wrong_type_and_raising_hook() -> None:
    class WrongType:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[object]:
            return ["per_follower"]

    with pytest.raises(PluginCheckError, match="returned str from kolrules_scorers_register; "):
        check_plugin(WrongType())

    class Raises:
        @hookimpl
        def kolrules_reporters_register(self) -> Iterable[Reporter]:
            raise RuntimeError("boom")

    with pytest.raises(PluginCheckError, match="failed in its hook kolrules_reporters_register"):
        check_plugin(Raises())


def test_check_plugin_with_no_hooks_and_bad_reader() -> None:
    class Empty:
        pass

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Empty())
    assert info.value.problems == (
        "it implements no kolrules hook; decorate its hook functions with "
        "@kolrules.hookimpl and name them after kolrules/hookspecs.py",
    )

    class BadReader:
        @hookimpl
        def kolrules_readers_register(self) -> Iterable[Reader]:
            return [Reader(name="odd", extensions=(), read="not a function")]  # type: ignore[arg-type]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(BadReader())
    assert info.value.problems == (
        "input format 'odd' has no extensions; give the file suffixes it reads, like ('.csv',)",
        "input format 'odd': read is str, not a function; pass a callable",
    )


def test_check_plugin_module_that_does_not_exist() -> None:
    with pytest.raises(PluginCheckError) as info:
        check_plugin("kolrules_no_such_plugin")
    assert info.value.plugin == "kolrules_no_such_plugin"
    assert "no module named 'kolrules_no_such_plugin'" in str(info.value)


def test_the_pytest_plugin_is_still_there() -> None:
    import kolrules.testing as testing

    assert callable(testing.pytest_collect_file)
    assert callable(testing.pytest_configure)
    assert callable(testing.pytest_terminal_summary)


# -- rule kinds and phase hooks ------------------------------------------------------------


class MinPosts:
    @hookimpl
    def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
        def build(params: Mapping[str, Any]) -> RuleParts:
            return RuleParts(require=f"posts >= {params['min']}")

        return [RuleKind("min_posts", build)]


def test_check_plugin_lists_rule_kinds_built_with_the_given_params() -> None:
    assert check_plugin(MinPosts(), rule_params={"min_posts": {"min": 5}}) == PluginCheck(
        name="MinPosts", hooks=("kolrules_rule_kinds_register",), rule_kinds=("min_posts",)
    )
    with pytest.raises(PluginCheckError) as info:
        check_plugin(MinPosts())  # build({}) raises KeyError
    (problem,) = info.value.problems
    assert "rule kind 'min_posts': build({}) raised KeyError" in problem
    assert "rule_params={'min_posts': {...}}" in problem


def test_check_plugin_refuses_rule_parts_that_do_not_parse() -> None:
    class Broken:
        @hookimpl
        def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
            return [
                RuleKind("broken", lambda params: RuleParts("posts >=")),
                RuleKind("wrong", lambda params: "posts > 1"),  # type: ignore[arg-type,return-value]
            ]

    with pytest.raises(PluginCheckError) as info:
        check_plugin(Broken())
    assert len(info.value.problems) == 2
    assert (
        "rule kind 'broken': build({}) built a require that does not parse"
        in (info.value.problems[0])
    )
    assert "returned str; return a kolrules.RuleParts" in info.value.problems[1]


class Lengths:
    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame, platform: Platform) -> Any:
        if platform.name != "red":
            return None
        return frame.select(pl.col("handle").str.len_chars().cast(pl.Float64).alias("n"))


def test_check_plugin_runs_phase_hooks_for_every_platform() -> None:
    report = check_plugin(Lengths())
    assert report.hooks == ("kolrules_profiles_derive",)
    assert report.derived == {"red": ("n",)}


def test_check_plugin_reports_a_broken_phase_hook() -> None:
    class RowOnly:
        @hookimpl
        def kolrules_profile_derive(self, profile: Mapping[str, Any]) -> Any:
            return {}

    with pytest.raises(PluginCheckError) as info:
        check_plugin(RowOnly())
    assert "implements kolrules_profile_derive but not kolrules_profiles_derive" in str(info.value)

    class Untyped:
        @hookimpl
        def kolrules_profiles_derive(self, frame: pl.DataFrame) -> Any:
            return pl.DataFrame({"n": [None] * frame.height})

    with pytest.raises(PluginCheckError, match="derived 'n' of dtype Null"):
        check_plugin(Untyped())
