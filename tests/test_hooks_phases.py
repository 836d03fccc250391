"""Phase hooks (``kolrules_profiles_validate`` and ``kolrules_profiles_derive``, with their
row forms), from a plugin author's side: called once per batch on the columnar path and
per profile on the one-profile path, their problems and metrics reaching the decisions,
and every broken contract refused with a :class:`PluginError` naming the plugin.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hookkit import cli, engine, kind_ruleset, write

from kolrules import (
    Platform,
    PluginError,
    hookimpl,
)
from kolrules.cli import EXIT_PLUGIN
from kolrules.testing import make_profile

# --------------------------------------------------------------------------------------
# Phase hooks
# --------------------------------------------------------------------------------------

PROFILES = [
    make_profile(id="a", handle="lin", followers=20_000),
    make_profile(id="b", handle="a-very-long-handle", followers=30_000, price=None),
    make_profile(id="c", handle=None, followers=40_000),
]


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


class BigWithoutQuote:
    """Validates in batches only: an account over 25,000 followers needs a quote."""

    def __init__(self) -> None:
        self.frames: list[int] = []

    @hookimpl
    def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series:
        self.frames.append(frame.height)
        big = (pl.col("followers") > 25_000) & pl.col("price").is_null()
        return frame.select(
            pl.when(big).then(pl.lit("no quote for a big account")).alias("problem")
        ).to_series()


class HandleLength:
    """Derives ``handle_length`` in batches and for one profile; counts its calls."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.rows = 0

    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame, platform: Platform) -> pl.DataFrame:
        self.frames.append(frame.height)
        assert platform.name == "red"
        length = pl.col("handle").str.len_chars().cast(pl.Float64)
        return frame.select(length.alias("handle_length"))


class HandleLengthBoth(HandleLength):
    """:class:`HandleLength` with the row form too."""

    @hookimpl
    def kolrules_profile_derive(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        self.rows += 1
        handle = profile["handle"]
        return {"handle_length": None if handle is None else len(handle)}


def derived_ruleset(tmp_path: Path) -> Path:
    return kind_ruleset(
        tmp_path,
        'require = "handle_length <= 10"\nmessage = "handle of {handle_length:.0f} letters"\n',
        "derived",
    )


def test_hook_kolrules_profiles_validate(tmp_path: Path) -> None:
    plugin = BigWithoutQuote()
    eng = engine(plugins=[plugin])
    assert plugin.frames == [0]  # once with an empty frame, when compiling
    report = eng.evaluate_file(write(tmp_path / "k.csv", pl.DataFrame(PROFILES).write_csv()))
    assert plugin.frames == [0, 3]  # then once per batch, never per row
    assert report.rows_read == 3 and len(report.decisions) == 3 and not report.errors
    flagged = report.decisions[1]
    assert [str(e) for e in flagged.data_errors] == [
        "no quote for a big account (plugin BigWithoutQuote)"
    ]
    assert flagged.verdict in ("review", "reject")
    assert not report.decisions[0].data_errors
    assert not report.decisions[2].data_errors

    # The one-profile path, without a row form, calls the batch form with one row.
    one = eng.evaluate_one(PROFILES[1])
    assert one.data_errors == flagged.data_errors
    assert plugin.frames == [0, 3, 1]

    # Frames of one input (a file read in batches): once per frame.
    plugin.frames.clear()
    raw = pl.DataFrame(PROFILES)
    frames = list(eng.decision_frames([raw.slice(0, 2), raw.slice(2)]))
    assert plugin.frames == [2, 1]
    assert [f.height for f in frames] == [2, 1]
    assert frames[1].get_column("errors").to_list() == [None]


def test_hook_kolrules_profile_validate(tmp_path: Path) -> None:
    class Both(BigWithoutQuote):
        rows = 0

        @hookimpl
        def kolrules_profile_validate(
            self, profile: Mapping[str, Any], platform: Platform
        ) -> list[str]:
            self.rows += 1
            assert platform.name == "red"
            with pytest.raises(TypeError):
                profile["id"] = "changed"  # type: ignore[index]  # read-only
            big = (profile["followers"] or 0) > 25_000 and profile["price"] is None
            return ["no quote for a big account"] if big else []

    plugin = Both()
    eng = engine(plugins=[plugin])
    singles = [eng.evaluate_one(p) for p in PROFILES]
    assert plugin.rows == 3 and plugin.frames == [0]  # the row form, on this path
    report = eng.evaluate(PROFILES)
    assert plugin.rows == 6
    assert [d.data_errors for d in report.decisions] == [d.data_errors for d in singles]
    frame = eng.evaluate_frame(pl.DataFrame(PROFILES))
    assert plugin.rows == 6  # the columnar path never calls the row form
    assert frame.get_column("verdict").to_list() == [d.verdict for d in singles]


def test_hook_kolrules_profiles_derive(tmp_path: Path) -> None:
    plugin = HandleLength()
    eng = engine(derived_ruleset(tmp_path), [plugin])
    assert eng.plan.derived == {"handle_length": "number"}
    assert plugin.frames == [0]
    csv_file = write(tmp_path / "k.csv", pl.DataFrame(PROFILES).write_csv())
    report = eng.evaluate_file(csv_file)
    assert plugin.frames == [0, 3]
    findings = [next(f for f in d.findings if f.rule == "enough-posts") for d in report.decisions]
    assert [f.outcome for f in findings] == ["pass", "fail", "not_applicable"]
    assert findings[1].message == "handle of 18 letters"
    assert report.decisions[1].metrics["handle_length"] == 18

    # The one-profile path agrees, through the batch form (no row form here).
    singles = [eng.evaluate_one(p) for p in PROFILES]
    assert [d.findings for d in singles] == [d.findings for d in report.decisions]
    assert plugin.frames == [0, 3, 1, 1, 1]

    # The csv stream and the DataFrame API carry the rule's outcome too.
    eng.evaluate_to_file(csv_file, tmp_path / "out.csv", batch_rows=2)
    out = pl.read_csv(tmp_path / "out.csv")
    assert out.get_column("rule:enough-posts").to_list() == ["pass", "fail", "not_applicable"]


def test_hook_kolrules_profile_derive(tmp_path: Path) -> None:
    plugin = HandleLengthBoth()
    eng = engine(derived_ruleset(tmp_path), [plugin])
    singles = [eng.evaluate_one(p) for p in PROFILES]
    assert plugin.rows == 3 and plugin.frames == [0]
    assert [d.metrics["handle_length"] for d in singles] == [3.0, 18.0, None]
    frame = eng.evaluate_frame(pl.DataFrame(PROFILES))
    assert plugin.rows == 3  # never per row on the columnar path
    assert frame.get_column("rule:enough-posts").to_list() == [
        next(f.outcome for f in d.findings if f.rule == "enough-posts") for d in singles
    ]


def test_a_row_form_without_its_batch_form_is_refused() -> None:
    class RowOnly:
        @hookimpl
        def kolrules_profile_validate(self, profile: Mapping[str, Any]) -> list[str]:
            return []

    with pytest.raises(PluginError) as info:
        engine(plugins=[RowOnly()])
    message = str(info.value)
    assert "'RowOnly' implements kolrules_profile_validate but not kolrules_profiles_validate" in (
        message
    )
    assert "never call a hook per row" in message


def test_a_phase_hook_that_raises_names_the_plugin_the_hook_and_the_rows(tmp_path: Path) -> None:
    class Fragile(HandleLengthBoth):
        @hookimpl
        def kolrules_profiles_derive(self, frame: pl.DataFrame, platform: Platform) -> pl.DataFrame:
            if frame.height and frame.get_column("followers").max() == 40_000:  # type: ignore[operator]
                raise KeyError("handle")
            return super().kolrules_profiles_derive(frame, platform)

        @hookimpl
        def kolrules_profile_derive(self, profile: Mapping[str, Any]) -> dict[str, Any]:
            if profile["followers"] == 40_000:
                raise ValueError("bad handle")
            return super().kolrules_profile_derive(profile)

    eng = engine(derived_ruleset(tmp_path), [Fragile()])
    raw = pl.DataFrame(PROFILES)
    with pytest.raises(PluginError) as info:
        list(eng.decision_frames([raw.slice(0, 2), raw.slice(2)]))
    message = str(info.value)
    assert "plugin 'Fragile' failed in its hook kolrules_profiles_derive on rows 3-3" in message
    assert "KeyError: 'handle'" in message and "-p no:Fragile" in message

    csv_file = write(tmp_path / "k.csv", raw.write_csv())
    with pytest.raises(PluginError, match="on rows 1-3"):
        eng.evaluate_to_file(csv_file, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()  # a failed run leaves no output

    with pytest.raises(PluginError) as info:
        eng.evaluate(PROFILES)
    assert "failed in its hook kolrules_profile_derive on row 3 (id c): ValueError: bad handle" in (
        str(info.value)
    )

    result = cli(
        [
            "--plugins-dir",
            str(write_fragile(tmp_path)),
            "evaluate",
            str(csv_file),
            "-r",
            str(derived_ruleset(tmp_path)),
            "--format",
            "csv",
        ],
        code=EXIT_PLUGIN,
    )
    assert "on rows 1-3" in result.stderr and "fragile" in result.stderr


def write_fragile(tmp_path: Path) -> Path:
    write(
        tmp_path / "plugins" / "fragile.py",
        """\
        import polars as pl
        from kolrules import hookimpl


        @hookimpl
        def kolrules_profiles_derive(frame):
            if frame.height:
                raise RuntimeError("cannot measure handles today")
            return pl.DataFrame({"handle_length": pl.Series([], dtype=pl.Float64)})
        """,
    )
    return tmp_path / "plugins"


@pytest.mark.parametrize(
    ("derive", "text"),
    [
        pytest.param(
            lambda f: pl.DataFrame({"handle_length": [1.0] * (f.height + 1)}),
            "returned 1 rows for 0",
            id="wrong-height",
        ),
        pytest.param(
            lambda f: pl.DataFrame({"followers": pl.Series([], dtype=pl.Float64)}),
            "derived 'followers', a name a field already has",
            id="field-name",
        ),
        pytest.param(
            lambda f: pl.DataFrame({"handle length": pl.Series([], dtype=pl.Float64)}),
            "derived 'handle length', which an expression cannot name",
            id="not-a-name",
        ),
        pytest.param(
            lambda f: pl.DataFrame({"handle_length": [None] * f.height}),
            "derived 'handle_length' of dtype Null",
            id="no-dtype",
        ),
        pytest.param(
            lambda f: pl.DataFrame(
                {
                    "handle_length" if f.height == 0 else "other": pl.Series(
                        [1.0] * f.height, dtype=pl.Float64
                    )
                }
            ),
            "returned the columns ['other'] on rows 1-3, not the ['handle_length']",
            id="columns-change",
        ),
    ],
)
def test_a_derive_hook_breaking_its_contract(
    tmp_path: Path, derive: Callable[[pl.DataFrame], pl.DataFrame], text: str
) -> None:
    class Bad:
        @hookimpl
        def kolrules_profiles_derive(self, frame: pl.DataFrame) -> pl.DataFrame:
            return derive(frame)

    with pytest.raises(PluginError) as info:
        engine(plugins=[Bad()]).evaluate_frame(pl.DataFrame(PROFILES))
    assert text in str(info.value)
    assert "'Bad'" in str(info.value) and "kolrules_profiles_derive" in str(info.value)


def test_a_validate_hook_returning_the_wrong_length_or_dtype() -> None:
    def plugin(result: Callable[[pl.DataFrame], pl.Series]) -> object:
        class Bad:
            @hookimpl
            def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series:
                return result(frame)

        return Bad()

    short = plugin(lambda f: pl.Series([None] * max(f.height - 1, 0), dtype=pl.String))
    with pytest.raises(PluginError, match="returned 2 values for 3 rows on rows 1-3"):
        engine(plugins=[short]).evaluate_frame(pl.DataFrame(PROFILES))
    numbers = plugin(lambda f: pl.Series([1.0] * f.height, dtype=pl.Float64))
    with pytest.raises(PluginError, match="returned a Series of Float64 for the empty frame"):
        engine(plugins=[numbers])


def test_phase_hooks_for_another_platform_do_nothing(tmp_path: Path) -> None:
    class WeiboOnly:
        calls = 0

        @hookimpl
        def kolrules_profiles_validate(self, platform: Platform) -> pl.Series | None:
            self.calls += 1
            return None if platform.name != "weibo" else pl.Series([], dtype=pl.String)

    plugin = WeiboOnly()
    eng = engine(plugins=[plugin])
    assert plugin.calls == 1  # the empty frame: nothing said of it
    eng.evaluate_frame(pl.DataFrame(PROFILES))
    assert plugin.calls == 2  # asked once more about real profiles: nothing for RED
    assert eng.phases is not None and not eng.phases.active
    eng.evaluate_frame(pl.DataFrame(PROFILES))
    eng.evaluate_one(PROFILES[0])
    assert plugin.calls == 2  # never again


class SilentUntilItFails:
    """Says nothing of the empty frame, and raises on real profiles: its failure must
    show, not be skipped because of what it said about no profiles."""

    @hookimpl
    def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series | None:
        if frame.height:
            raise RuntimeError("cannot check these")
        return None


def test_a_validate_hook_silent_on_the_empty_frame_still_fails_loudly(tmp_path: Path) -> None:
    data = write(tmp_path / "k.csv", pl.DataFrame(PROFILES).write_csv())
    with pytest.raises(PluginError, match=r"kolrules_profiles_validate on rows 1-3: Runtime"):
        engine(plugins=[SilentUntilItFails()]).evaluate_file(data)
    with pytest.raises(PluginError, match=r"kolrules_profiles_validate on row 1 .*Runtime"):
        engine(plugins=[SilentUntilItFails()]).evaluate_one(PROFILES[0])
    module = tmp_path / "plugins" / "silent.py"
    write(
        module,
        """\
        from kolrules import hookimpl

        @hookimpl
        def kolrules_profiles_validate(frame):
            if frame.height:
                raise RuntimeError("cannot check these")
            return None
        """,
    )
    result = cli(["--plugins-dir", str(module.parent), "evaluate", str(data)], EXIT_PLUGIN)
    assert "plugin 'silent'" in result.stderr and "cannot check these" in result.stderr


def test_kolrules_plugins_lists_rule_kinds_and_phase_hooks(
    plugin_module: Callable[[str, str], str],
) -> None:
    module = plugin_module(
        "kolrules_minposts_xyz",
        """\
        import polars as pl
        from kolrules import RuleKind, RuleParts, hookimpl


        @hookimpl
        def kolrules_rule_kinds_register():
            return [RuleKind("min_posts", lambda params: RuleParts("posts >= 1"))]


        @hookimpl
        def kolrules_profiles_validate(frame):
            return pl.Series([None] * frame.height, dtype=pl.String)
        """,
    )
    listing = json.loads(cli(["-p", module, "plugins", "--json"]).stdout)
    (mine,) = [p for p in listing if p["name"] == module]
    assert mine["registers"] == {"rule_kinds": ["min_posts"]}
    assert mine["hooks"] == ["kolrules_profiles_validate", "kolrules_rule_kinds_register"]
