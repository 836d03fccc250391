"""Registration hooks (``kolrules_*_register``), from a plugin author's side: each is
exercised here, and a broken plugin is refused with a :class:`PluginError` that names it.

Every hook has a test named ``test_hook_<hook name>`` here or in ``test_hooks_phases.py``
(the guard test checks this).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import polars as pl
import pytest
from hookkit import cli, engine, kind_ruleset, write

import kolrules
from kolrules import (
    Platform,
    PluginError,
    Reader,
    Reporter,
    RuleKind,
    RuleParamError,
    RuleParts,
    RulesetError,
    Scorer,
    Tier,
    hookimpl,
    hookspecs,
)
from kolrules.cli import EXIT_PLUGIN, EXIT_RULESET
from kolrules.report import Report
from kolrules.ruleset import bundled_rulesets_dir
from kolrules.testing import make_profile

HOOKS = sorted(
    name for name, obj in vars(hookspecs).items() if name.startswith("kolrules_") and callable(obj)
)
#: The hooks called once, when an engine is built (phase hooks are tested on their own).
REGISTER_HOOKS = [h for h in HOOKS if h.endswith("_register")]
#: The batch forms of the phase hooks: called once with an empty frame when compiling.
BATCH_PHASE_HOOKS = ["kolrules_profiles_derive", "kolrules_profiles_validate"]


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


# --------------------------------------------------------------------------------------
# The guard
# --------------------------------------------------------------------------------------


def test_every_hookspec_is_documented_and_has_a_test() -> None:
    assert len(HOOKS) >= 5, HOOKS
    tests = {
        node.name
        for file in ("test_hooks_register.py", "test_hooks_phases.py")
        for node in ast.walk(ast.parse((Path(__file__).parent / file).read_text("utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_")
    }
    pm_hooks = {name for name in vars(engine().plugin_manager.hook) if name.startswith("kolrules_")}
    assert set(HOOKS) == pm_hooks
    for hook in HOOKS:
        spec = getattr(hookspecs, hook)
        assert hasattr(spec, "kolrules_spec"), f"{hook} is not marked with @hookspec"
        doc = inspect.getdoc(spec) or ""
        assert "Receives" in doc, f"{hook}: the docstring must say what the hook receives"
        assert "Returns" in doc, f"{hook}: the docstring must say what the hook returns"
        if spec.kolrules_spec.get("firstresult"):
            assert re.search(r"first[- ]?result", doc, re.IGNORECASE), (
                f"{hook} is firstresult: its docstring must say so (first-result)"
            )
        else:
            assert re.search(r"\bCollected\b", doc), (
                f"{hook}: its docstring must say that results are Collected"
            )
        assert f"test_hook_{hook}" in tests, f"no test_hook_{hook} in the hook tests"


def test_hookimpl_is_the_kolrules_marker() -> None:
    assert kolrules.hookimpl is hookspecs.hookimpl
    assert hookspecs.hookimpl.project_name == "kolrules"


# --------------------------------------------------------------------------------------
# Platforms
# --------------------------------------------------------------------------------------

TESTLAND = Platform(
    name="testland",
    label="Testland",
    aliases=("tl", "测试国"),
    columns={"id": ("tid", "编号"), "followers": ("fans", "粉丝")},
    units={"万": 10_000},
    tiers=(
        Tier("small", 0, 10_000, price_min=100, price_max=1_000),
        Tier("big", 10_000, None, price_min=1_000, price_max=10_000),
    ),
    metrics={"fans_k": "followers / 1000"},
)


class TestlandPlugin:
    @hookimpl
    def kolrules_platforms_register(self) -> Iterable[Platform]:
        return [TESTLAND]


TESTLAND_RULESET = """\
    [ruleset]
    name = "testland-basic"
    version = "1.0"
    platform = "tl"

    [[rules]]
    id = "enough-fans"
    require = "fans_k >= 5"
    severity = "reject"
    message = "only {fans_k:.1f}k fans"
    """


def test_hook_kolrules_platforms_register(tmp_path: Path) -> None:
    ruleset = write(tmp_path / "testland.toml", TESTLAND_RULESET)
    eng = engine(ruleset, [TestlandPlugin()])
    assert eng.registry.platform("TL") is TESTLAND
    assert eng.registry.platform("测试国") is TESTLAND

    big = eng.evaluate_one({"编号": "t1", "粉丝": "1.2万"})
    assert (big.platform, big.verdict, big.tier) == ("testland", "accept", "big")
    assert big.metrics["fans_k"] == pytest.approx(12)
    assert (big.price.band_min, big.price.band_max) == (1_000, 10_000)

    small = eng.evaluate_one({"tid": "t2", "fans": 3000})
    assert (small.verdict, small.tier) == ("reject", "small")
    assert "only 3.0k fans" in small.reasons

    export = write(tmp_path / "testland.csv", "编号,粉丝\nt1,1.2万\nt2,3000\n", encoding="gbk")
    report = eng.evaluate_file(export)
    assert [(d.id, d.verdict) for d in report.decisions] == [("t1", "accept"), ("t2", "reject")]

    # Without the plugin, the platform is unknown and the ruleset cannot be compiled.
    with pytest.raises(RulesetError) as info:
        engine(ruleset)
    assert "'tl'" in str(info.value)
    assert f"{ruleset}:4" in str(info.value)  # the line of platform = "tl"


@pytest.mark.parametrize(
    "clash",
    [
        pytest.param(Platform(name="red"), id="name"),
        pytest.param(Platform(name="RED"), id="name-other-case"),
        pytest.param(Platform(name="rouge", aliases=("xhs",)), id="alias-of-red"),
        pytest.param(Platform(name="xiaohongshu"), id="name-is-an-alias-of-red"),
    ],
)
def test_hook_kolrules_platforms_register_clash_names_both_plugins(clash: Platform) -> None:
    class RedClash:
        @hookimpl
        def kolrules_platforms_register(self) -> Iterable[Platform]:
            return [clash]

    with pytest.raises(PluginError) as info:
        engine(plugins=[RedClash()])
    message = str(info.value)
    assert "'RedClash'" in message
    assert "'red'" in message  # the first-party RED plugin


def test_hook_kolrules_platforms_register_same_platform_twice_from_one_plugin_is_fine() -> None:
    class Twice:
        @hookimpl
        def kolrules_platforms_register(self) -> Iterable[Platform]:
            return [TESTLAND, TESTLAND]

    assert engine(plugins=[Twice()]).registry.platform("testland") is TESTLAND


# --------------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------------


class PerThousand:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def build(self, params: Any) -> str:
        self.seen.append(dict(params))
        return f"clamp(followers / {params.get('per', 1000)}, 0, 100)"

    @hookimpl
    def kolrules_scorers_register(self) -> Iterable[Scorer]:
        return [Scorer(name="per_thousand", build=self.build, description="followers / 1000")]


def scoring_ruleset(tmp_path: Path, strategy: str, params: str = "") -> Path:
    return write(
        tmp_path / f"{strategy}.toml",
        f"""\
        [ruleset]
        name = "scored"
        version = "1"
        platform = "red"

        [[rules]]
        id = "has-followers"
        require = "followers > 0"
        severity = "review"

        [scoring]
        strategy = "{strategy}"
        {params}
        """,
    )


def test_hook_kolrules_scorers_register(tmp_path: Path) -> None:
    scorer = PerThousand()
    eng = engine(scoring_ruleset(tmp_path, "per_thousand", "params = { per = 500 }"), [scorer])
    assert scorer.seen == [{"per": 500}]  # built once, when the ruleset is compiled
    assert eng.evaluate_one({"id": "a", "followers": 12_000}).score == pytest.approx(24)
    assert eng.evaluate_one({"id": "b", "followers": "10万"}).score == pytest.approx(100)  # clamped
    csv_file = write(tmp_path / "kols.csv", "id,followers\na,12000\nb,2000\n")
    scores = [d.score for d in eng.evaluate_file(csv_file).decisions]
    assert scores == pytest.approx([24, 4])
    assert len(scorer.seen) == 1  # never per row

    # The first-party strategies stay available next to a plugin's.
    assert {"weighted", "cost_efficiency", "per_thousand"} <= set(eng.registry.scorers)

    with pytest.raises(RulesetError, match="per_thousand"):
        engine(scoring_ruleset(tmp_path, "per_thousand"))


def test_hook_kolrules_scorers_register_clash_names_both_plugins() -> None:
    class Weighted:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return [Scorer(name="Weighted", build=lambda params: "0")]

    with pytest.raises(PluginError, match=r"'scoring'.*'Weighted'|'Weighted'.*'scoring'"):
        engine(plugins=[Weighted()])


# --------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------


def read_pipe(path: Path) -> pl.DataFrame:
    lines = [line.split("|") for line in path.read_text(encoding="utf-8").splitlines() if line]
    header, rows = lines[0], lines[1:]
    return pl.DataFrame(
        {h: [r[i] or None for r in rows] for i, h in enumerate(header)},
        schema=dict.fromkeys(header, pl.String),
    )


class PipeReader:
    @hookimpl
    def kolrules_readers_register(self) -> Iterable[Reader]:
        return [Reader(name="pipe", extensions=(".pipe",), read=read_pipe)]


def test_hook_kolrules_readers_register(tmp_path: Path) -> None:
    data = "id|粉丝数|获赞与收藏|报价\na|1.2万|4.8万|2500\nb|lots|5000|\n"
    path = write(tmp_path / "kols.pipe", data)
    report = engine(plugins=[PipeReader()]).evaluate_file(path)
    assert report.rows_read == 2
    assert [d.id for d in report.decisions] == ["a"]
    assert report.decisions[0].tier == "micro"
    assert [e.id for e in report.errors] == ["b"]

    # The same file under another name: picked with input_format.
    other = write(tmp_path / "kols.export", data)
    assert engine(plugins=[PipeReader()]).evaluate_file(other, input_format="PIPE").rows_read == 2
    # Without the plugin nobody reads .pipe files.
    with pytest.raises(kolrules.UnknownKindError, match="pipe"):
        engine().evaluate_file(path)


def test_hook_kolrules_readers_register_clash_names_both_plugins() -> None:
    class CsvAgain:
        @hookimpl
        def kolrules_readers_register(self) -> Iterable[Reader]:
            return [Reader(name="csv", extensions=(".csv",), read=read_pipe)]

    with pytest.raises(
        PluginError, match=r"'kolrules\.read'.*'CsvAgain'|'CsvAgain'.*'kolrules\.read'"
    ):
        engine(plugins=[CsvAgain()])


# --------------------------------------------------------------------------------------
# Reporters
# --------------------------------------------------------------------------------------


def render_markdown(report: Report, stream: IO[str]) -> None:
    stream.write("| id | verdict |\n| --- | --- |\n")
    for d in report.decisions:
        stream.write(f"| {d.id} | {d.verdict} |\n")
    stream.write(f"\n{report.summary_line()}\n")


class Markdown:
    @hookimpl
    def kolrules_reporters_register(self) -> Iterable[Reporter]:
        return [Reporter(name="markdown", extension=".md", render=render_markdown)]


MARKDOWN_MODULE = """\
    from kolrules import Reporter, hookimpl


    def render(report, stream):
        stream.write("| id | verdict |\\n| --- | --- |\\n")
        for d in report.decisions:
            stream.write(f"| {d.id} | {d.verdict} |\\n")


    @hookimpl
    def kolrules_reporters_register():
        return [Reporter(name="markdown", extension=".md", render=render)]
    """


def test_hook_kolrules_reporters_register(
    tmp_path: Path, plugin_module: Callable[[str, str], str]
) -> None:
    import io

    kols = write(tmp_path / "kols.csv", "id,followers,total_likes\na,12000,48000\nb,20000,5000\n")
    eng = engine(plugins=[Markdown()])
    buf = io.StringIO()
    eng.registry.reporter("Markdown").render(eng.evaluate_file(kols), buf)
    assert "| a | " in buf.getvalue()
    assert "| b | reject |" in buf.getvalue()
    assert "markdown" in eng.reporter_names()

    module = plugin_module("kolrules_test_markdown_xyz", MARKDOWN_MODULE)
    out = cli(["-p", module, "evaluate", str(kols), "--format", "markdown"]).stdout
    assert out.startswith("| id | verdict |")
    assert "| b | reject |" in out
    # -o picks the reporter by its extension.
    md = tmp_path / "out.md"
    result = cli(["-p", module, "evaluate", str(kols), "-o", str(md)])
    assert "| b | reject |" in md.read_text(encoding="utf-8")
    assert "rows read 2" in result.stderr
    # The plugin shows in `kolrules plugins`.
    rows = json.loads(cli(["-p", module, "plugins", "--json"]).stdout)
    mine = next(r for r in rows if r["name"] == module)
    assert mine["hooks"] == ["kolrules_reporters_register"]
    assert mine["registers"] == {"reporters": ["markdown"]}
    assert mine["distribution"] is None
    # Without -p the format is unknown.
    cli(["evaluate", str(kols), "--format", "markdown"], code=2)


TALLY_MODULE = """\
    from kolrules import Reporter, hookimpl


    def render(report, stream):
        raise AssertionError("a reporter that can stream is never given the whole run")


    def write_batches(frames, stream):
        for frame in frames:
            counts = frame["verdict"].fill_null("error").value_counts(sort=True)
            shown = " ".join(f"{v}={n}" for v, n in sorted(counts.iter_rows()))
            stream.write(f"batch of {frame.height}: {shown}\\n".encode())


    @hookimpl
    def kolrules_reporters_register():
        return [Reporter("tally", ".tally", render, "counts per batch", write_batches)]
    """


def test_a_reporter_with_a_streaming_form_is_written_batch_by_batch(
    tmp_path: Path, plugin_module: Callable[[str, str], str]
) -> None:
    rows = [(f"k{i}", 12000 + i, 48000 if i % 3 else 10) for i in range(5)] + [("k0", 1, 1)]
    kols = write(
        tmp_path / "kols.jsonl",  # read whole, then evaluated in slices of batch_rows
        "".join(f'{{"id": "{k}", "followers": {f}, "total_likes": {n}}}\n' for k, f, n in rows),
    )
    module = plugin_module("kolrules_test_tally_xyz", TALLY_MODULE)
    eng = engine(plugins=[module])
    out = tmp_path / "out.tally"
    summary = eng.evaluate_to_file(kols, out, output_format="tally", batch_rows=2)
    assert out.read_text(encoding="utf-8") == (
        "batch of 2: accept=1 reject=1\n"  # k0 has 10 likes for 12,000 followers
        "batch of 2: accept=1 reject=1\n"  # so has k3
        "batch of 2: accept=1 error=1\n"  # k0 again: a duplicate id is a row error
    )
    assert summary.summary_line() == "rows read 6 = accepted 3 + review 0 + rejected 2 + errors 1"
    # The command line streams it too, picked by -o's extension (and never calls render).
    result = cli(["-p", module, "evaluate", str(kols), "-o", str(tmp_path / "cli.tally")])
    assert (tmp_path / "cli.tally").read_text(encoding="utf-8") == (
        "batch of 6: accept=3 error=1 reject=2\n"
    )
    assert result.stderr.strip().endswith("errors 1")


def test_a_format_without_a_streaming_form_is_rendered_from_the_whole_run(
    tmp_path: Path,
) -> None:
    import io

    from kolrules.report import render_table

    kols = write(tmp_path / "kols.csv", "id,followers,total_likes\na,12000,48000\nb,20000,5\n")
    eng = engine()
    assert eng.reporter("table").write_batches is None
    out = tmp_path / "out.txt"
    summary = eng.evaluate_to_file(kols, out, output_format="table")
    whole = io.StringIO()
    render_table(eng.evaluate_file(kols), whole)
    assert out.read_text(encoding="utf-8") == whole.getvalue()
    assert summary.counts == {"accepted": 1, "review": 0, "rejected": 1, "errors": 0}
    # A text stream works as well as a path.
    text = io.StringIO()
    eng.evaluate_to_file(kols, text, output_format="table")
    assert text.getvalue() == whole.getvalue()


def test_hook_kolrules_reporters_register_clash_names_both_plugins() -> None:
    class Json:
        @hookimpl
        def kolrules_reporters_register(self) -> Iterable[Reporter]:
            return [Reporter(name="JSON", extension=".json", render=render_markdown)]

    with pytest.raises(PluginError, match=r"'kolrules\.report'.*'Json'|'Json'.*'kolrules\.report'"):
        engine(plugins=[Json()])


# --------------------------------------------------------------------------------------
# Rulesets
# --------------------------------------------------------------------------------------

ACME = """\
    [ruleset]
    name = "acme"
    version = "2.0"
    platform = "red"
    description = "Acme's RED rules"

    [[rules]]
    id = "big-enough"
    require = "followers >= 5000"
    severity = "reject"
    """


class RulesetDir:
    def __init__(self, *dirs: Path) -> None:
        self.dirs = dirs

    @hookimpl
    def kolrules_rulesets_register(self) -> Iterable[Path]:
        return list(self.dirs)


def test_hook_kolrules_rulesets_register(
    tmp_path: Path, plugin_module: Callable[[str, str], str]
) -> None:
    pack = tmp_path / "acme-pack"
    write(pack / "acme.toml", ACME)
    write(pack / "acme.test.toml", "not a ruleset: *.test.toml files are skipped")

    eng = engine("acme", [RulesetDir(pack)])
    assert (eng.ruleset.name, eng.ruleset.version) == ("acme", "2.0")
    assert set(eng.named_rulesets()) >= {"acme", "red-default", "weibo-default", "wechat-default"}
    assert eng.evaluate_one({"id": "x", "followers": 100}).verdict == "reject"
    # Without the plugin the name is unknown.
    with pytest.raises(kolrules.UnknownKindError, match="acme"):
        engine("acme")

    module = plugin_module(
        "kolrules_test_acme_pack_xyz",
        f"""\
        from pathlib import Path

        from kolrules import hookimpl


        @hookimpl
        def kolrules_rulesets_register():
            return [Path({str(pack)!r})]
        """,
    )
    rows = json.loads(cli(["-p", module, "rulesets", "--json"]).stdout)
    acme = next(r for r in rows if r["name"] == "acme")
    assert (acme["platform"], acme["version"], acme["rules"]) == ("red", "2.0", 1)
    assert "acme" in cli(["-p", module, "rulesets"]).stdout
    assert "acme" not in cli(["rulesets"]).stdout
    kols = write(tmp_path / "kols.csv", "id,followers\nx,100\n")
    report = json.loads(
        cli(["-p", module, "evaluate", str(kols), "-r", "acme", "-f", "json"]).stdout
    )
    assert report["ruleset"]["name"] == "acme"
    assert report["decisions"][0]["verdict"] == "reject"
    plugins = json.loads(cli(["-p", module, "plugins", "--json"]).stdout)
    mine = next(r for r in plugins if r["name"] == module)
    assert mine["registers"] == {"ruleset_dirs": [str(pack)]}


def test_hook_kolrules_rulesets_register_same_name_twice_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "one" / "acme.toml", ACME)
    second = write(tmp_path / "two" / "acme.toml", ACME)
    for plugins in (
        [RulesetDir(first.parent, second.parent)],
        [RulesetDir(first.parent), RulesetDir(second.parent)],
    ):
        with pytest.raises(RulesetError) as info:
            engine("acme", plugins)
        assert str(first) in str(info.value)
        assert str(second) in str(info.value)


def test_hook_kolrules_rulesets_register_cannot_shadow_a_bundled_ruleset(
    tmp_path: Path, plugin_module: Callable[[str, str], str]
) -> None:
    mine = write(tmp_path / "pack" / "red-default.toml", ACME)
    with pytest.raises(RulesetError) as info:
        engine("red-default", [RulesetDir(mine.parent)])
    assert str(mine) in str(info.value)
    assert str(bundled_rulesets_dir() / "red-default.toml") in str(info.value)

    module = plugin_module(
        "kolrules_test_shadow_pack_xyz",
        f"from kolrules import hookimpl\n\n\n@hookimpl\ndef kolrules_rulesets_register():\n"
        f"    return [{str(mine.parent)!r}]\n",
    )
    result = cli(["-p", module, "rulesets"], code=EXIT_RULESET)
    assert str(mine) in result.stderr


def test_hook_kolrules_rulesets_register_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(
        PluginError, match=r"'RulesetDir'.*kolrules_rulesets_register.*not a directory"
    ):
        engine(plugins=[RulesetDir(tmp_path / "missing")])


# --------------------------------------------------------------------------------------
# Broken plugins
# --------------------------------------------------------------------------------------


def test_misspelled_hook_is_refused_when_the_engine_is_built() -> None:
    class Misspelled:
        @hookimpl
        def kolrules_platform_register(self) -> Iterable[Platform]:
            return [TESTLAND]

    with pytest.raises(PluginError) as info:
        engine(plugins=[Misspelled()])
    assert "kolrules_platform_register" in str(info.value)
    assert "Misspelled" in str(info.value)


def test_misspelled_hook_in_a_cli_plugin_exits_5(plugin_module: Callable[[str, str], str]) -> None:
    module = plugin_module(
        "kolrules_test_misspelled_xyz",
        """\
        from kolrules import hookimpl


        @hookimpl
        def kolrules_reporter_register():
            return []
        """,
    )
    result = cli(["-p", module, "rulesets"], code=EXIT_PLUGIN)
    assert "kolrules_reporter_register" in result.stderr
    assert module in result.stderr


def _raising(hook: str) -> object:
    def boom(self: object) -> None:
        raise RuntimeError("kaboom")

    return type("Exploding", (), {hook: hookimpl(boom)})()


def _use(plugin: object, hook: str) -> None:
    """Call ``hook`` the way kolrules does: the engine calls the registration hooks, the
    command line the commands hook."""
    if hook == "kolrules_commands_register":
        from kolrules.plugins import make_plugin_manager
        from kolrules.plugins.registry import collect_commands

        collect_commands(make_plugin_manager([plugin], load_entrypoints=False))
    else:
        engine(plugins=[plugin])


@pytest.mark.parametrize("hook", [*REGISTER_HOOKS, *BATCH_PHASE_HOOKS])
def test_a_hook_that_raises_names_the_plugin_and_the_hook(hook: str) -> None:
    with pytest.raises(PluginError) as info:
        _use(_raising(hook), hook)
    message = str(info.value)
    assert "'Exploding'" in message
    assert hook in message
    assert "RuntimeError: kaboom" in message


def _returning(hook: str, value: object) -> object:
    def give(self: object) -> object:
        return value

    return type("WrongType", (), {hook: hookimpl(give)})()


@pytest.mark.parametrize(
    ("hook", "value"),
    [
        pytest.param("kolrules_platforms_register", TESTLAND, id="platform-not-in-a-list"),
        pytest.param("kolrules_platforms_register", ["testland"], id="platform-name-not-platform"),
        pytest.param("kolrules_platforms_register", "testland", id="platform-str"),
        pytest.param("kolrules_platforms_register", {"testland": TESTLAND}, id="platform-dict"),
        pytest.param("kolrules_scorers_register", [lambda params: "0"], id="scorer-function"),
        pytest.param("kolrules_scorers_register", 42, id="scorer-int"),
        pytest.param("kolrules_readers_register", [read_pipe], id="reader-function"),
        pytest.param("kolrules_reporters_register", [TESTLAND], id="reporter-platform"),
        pytest.param("kolrules_rulesets_register", [42], id="rulesets-int"),
        pytest.param("kolrules_rule_kinds_register", [lambda params: "x"], id="rule-kind-function"),
        pytest.param("kolrules_profiles_validate", ["fine"], id="validate-list"),
        pytest.param("kolrules_profiles_derive", {"x": [1.0]}, id="derive-dict"),
        pytest.param("kolrules_rulesets_register", Path(__file__).parent, id="rulesets-bare-path"),
        pytest.param(
            "kolrules_rulesets_register", str(Path(__file__).parent), id="rulesets-bare-str"
        ),
    ],
)
def test_a_hook_returning_the_wrong_type(hook: str, value: object) -> None:
    with pytest.raises(PluginError) as info:
        engine(plugins=[_returning(hook, value)])
    message = str(info.value)
    assert "'WrongType'" in message
    assert hook in message
    assert "expected" in message


@pytest.mark.parametrize("hook", REGISTER_HOOKS)
def test_a_hook_returning_none_or_nothing_registers_nothing(hook: str) -> None:
    baseline = engine().registry
    for value in (None, []):
        registry = engine(plugins=[_returning(hook, value)]).registry
        assert registry.platforms == baseline.platforms
        assert registry.scorers == baseline.scorers
        assert registry.rule_kinds == baseline.rule_kinds
        assert registry.ruleset_dirs == baseline.ruleset_dirs


def test_the_same_plugin_twice_is_refused() -> None:
    plugin = TestlandPlugin()
    with pytest.raises(PluginError, match="TestlandPlugin"):
        engine(plugins=[plugin, plugin])


def test_two_instances_of_one_plugin_class_get_their_own_names() -> None:
    class Empty:
        @hookimpl
        def kolrules_scorers_register(self) -> Iterable[Scorer]:
            return []

    names = [
        name for name, _ in engine(plugins=[Empty(), Empty()]).plugin_manager.list_name_plugin()
    ]
    assert len([n for n in names if n.startswith("Empty")]) == 2


def test_plugins_by_module_name(plugin_module: Callable[[str, str], str]) -> None:
    module = plugin_module("kolrules_test_by_name_xyz", MARKDOWN_MODULE)
    eng = engine(plugins=[module])
    assert "markdown" in eng.registry.reporters
    assert eng.registry.owners[("reporter", "markdown")] == module
    with pytest.raises(PluginError, match="nonexistent_module_xyz"):
        engine(plugins=["nonexistent_module_xyz"])


# --------------------------------------------------------------------------------------
# Isolation
# --------------------------------------------------------------------------------------


def test_engines_do_not_share_plugins(tmp_path: Path) -> None:
    scorer = PerThousand()
    with_plugins = engine(plugins=[TestlandPlugin(), scorer, Markdown(), PipeReader()])
    plain = engine()
    pack = tmp_path / "pack"
    write(pack / "acme.toml", ACME)
    with_pack = engine("acme", [RulesetDir(pack)])

    assert "testland" in with_plugins.registry.platforms
    assert "per_thousand" in with_plugins.registry.scorers
    assert "markdown" in with_plugins.registry.reporters
    assert "pipe" in with_plugins.registry.readers
    for other in (plain, with_pack, engine()):
        assert "testland" not in other.registry.platforms
        assert "tl" not in other.registry.platforms
        assert "per_thousand" not in other.registry.scorers
        assert "markdown" not in other.registry.reporters
        assert "pipe" not in other.registry.readers
    assert "acme" in with_pack.named_rulesets()
    assert "acme" not in with_plugins.named_rulesets()
    assert "acme" not in plain.named_rulesets()
    # Building the others did not take anything away from the first.
    assert with_plugins.registry.platform("tl") is TESTLAND
    assert with_plugins.plugin_manager is not plain.plugin_manager


# --------------------------------------------------------------------------------------
# kolrules_commands_register
# --------------------------------------------------------------------------------------

COMMAND_PLUGIN = """
    import click
    from kolrules import hookimpl


    @click.command("hello")
    @click.argument("who")
    def hello(who):
        '''Greet WHO.

        Example: kolrules -p greet hello RED
        '''
        click.echo(f"hello {who}")


    @hookimpl
    def kolrules_commands_register():
        return [hello]
"""


def test_commands_are_found_without_polars_or_the_engine(tmp_path: Path) -> None:
    """Asking plugins for their commands loads only the third-party plugins: ``--help``
    with one installed stays fast (no polars, no engine, no first-party plugin)."""
    import subprocess
    import sys

    write(tmp_path / "tweaks" / "greet.py", COMMAND_PLUGIN)
    probe = (
        "import sys\n"
        "from kolrules.cli import main\n"
        "try:\n"
        f"    main(['--plugins-dir', {str(tmp_path / 'tweaks')!r}, '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('polars', 'kolrules.engine', 'kolrules_red') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "hello     Greet WHO." in out
    assert "LOADED []" in out


def test_hook_kolrules_commands_register(plugin_module: Callable[[str, str], str]) -> None:
    name = plugin_module("greet_cmd", COMMAND_PLUGIN)
    assert cli(["-p", name, "hello", "RED"]).stdout == "hello RED\n"
    listed = cli(["-p", name, "--help"]).stdout
    assert re.search(r"^\s+hello\s+Greet WHO", listed, re.MULTILINE)
    assert "hello" not in cli(["--help"]).stdout.split("Commands:")[1]
    assert "Greet WHO" in cli(["-p", name, "hello", "--help"]).stdout


def test_hook_kolrules_commands_register_clash_with_a_built_in_command(
    plugin_module: Callable[[str, str], str],
) -> None:
    name = plugin_module("clash_cmd", COMMAND_PLUGIN.replace('"hello"', '"evaluate"'))
    result = cli(["-p", name, "--help"], code=EXIT_PLUGIN)
    assert "adds a command 'evaluate', but kolrules has a built-in command" in result.stderr
    assert f"-p no:{name}" in result.stderr


def test_hook_kolrules_commands_register_wrong_type(
    plugin_module: Callable[[str, str], str],
) -> None:
    name = plugin_module("wrong_cmd", COMMAND_PLUGIN.replace("return [hello]", "return ['hi']"))
    result = cli(["-p", name, "hello", "x"], code=EXIT_PLUGIN)
    assert "returned str from kolrules_commands_register; expected Command" in result.stderr


def test_unknown_command_without_plugins_is_a_usage_error() -> None:
    result = cli(["helo"], code=2)
    assert "No such command 'helo'" in result.stderr


# --------------------------------------------------------------------------------------
# Rule kinds
# --------------------------------------------------------------------------------------


class AtLeast:
    """A rule kind: ``field`` must be at least ``min`` (params checked like a real kind)."""

    def __init__(self) -> None:
        self.built: list[dict[str, Any]] = []

    def build(self, params: Mapping[str, Any]) -> RuleParts:
        self.built.append(dict(params))
        for key in params:
            if key not in ("field", "min"):
                raise RuleParamError(key, f"unknown parameter {key!r}; valid: field, min")
        if "field" not in params:
            raise RuleParamError("field", "'field' is required")
        low = params.get("min", 0)
        if not isinstance(low, int | float) or low < 0:
            raise RuleParamError("min", f"must be a number >= 0, got {low!r}")
        field = params["field"]
        return RuleParts(
            require=f"{field} >= {low}",
            when=f"present({field})",
            message=f"{{{field}:.0f}} {field}, below {low}",
        )

    @hookimpl
    def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
        return [RuleKind("at_least", self.build, "a field must be at least min")]


def test_hook_kolrules_rule_kinds_register(tmp_path: Path) -> None:
    kind = AtLeast()
    path = kind_ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", min = 30 }\n')
    eng = engine(path, [kind])
    assert kind.built == [{"field": "posts", "min": 30}]  # built once, when compiling
    rule = next(r for r in eng.plan.rules if r.rule.id == "enough-posts")
    assert rule.require.source == "posts >= 30"
    assert rule.when is not None and rule.when.source == "present(posts)"

    good = make_profile(id="a", posts=40)
    few = make_profile(id="b", posts=12)
    none = make_profile(id="c", posts=None)
    decisions = [eng.evaluate_one(p) for p in (good, few, none)]
    outcomes = [next(f for f in d.findings if f.rule == "enough-posts") for d in decisions]
    assert [f.outcome for f in outcomes] == ["pass", "fail", "not_applicable"]
    assert outcomes[1].message == "12 posts, below 30"
    assert decisions[1].verdict != "accept"

    # The columnar path gives the same outcomes, and never calls the kind per row.
    frame = eng.evaluate_frame(pl.DataFrame([good, few, none]))
    assert frame.get_column("rule:enough-posts").to_list() == [
        "pass",
        "fail",
        "not_applicable",
    ]
    assert len(kind.built) == 1

    # The rule's own message and when win over (and join) the kind's.
    path = kind_ruleset(
        tmp_path,
        'kind = "at_least"\nparams = { field = "posts", min = 30 }\n'
        'when = "followers > 1000"\nmessage = "only {posts:.0f} notes"\n',
        "own",
    )
    own = next(r for r in engine(path, [AtLeast()]).plan.rules if r.rule.id == "enough-posts")
    assert own.when is not None and own.when.source == "(followers > 1000) and (present(posts))"
    assert own.template == "only {posts:.0f} notes"


def test_hook_kolrules_rule_kinds_register_unknown_kind_lists_those_available(
    tmp_path: Path,
) -> None:
    path = kind_ruleset(tmp_path, 'kind = "at_lest"\nparams = { field = "posts" }\n')
    with pytest.raises(RulesetError) as info:
        engine(path, [AtLeast()])
    (issue,) = info.value.issues
    assert issue.file == str(path)
    assert issue.key == "rules[0].kind"
    assert issue.line == 9
    assert "unknown rule kind 'at_lest'; known rule kinds: at_least" in issue.message
    assert issue.hint is not None and issue.hint.startswith("did you mean 'at_least'?")

    # Without any plugin adding rule kinds, the message says there are none.
    with pytest.raises(RulesetError, match="known rule kinds: none"):
        engine(path)

    # The command line reports it as a ruleset error (exit 3), naming file and line.
    result = cli(["validate", str(path)], code=EXIT_RULESET)
    assert f"{path}:9" in result.stdout + result.stderr
    assert "unknown rule kind 'at_lest'" in result.stdout + result.stderr


def test_hook_kolrules_rule_kinds_register_bad_params_point_at_the_key(tmp_path: Path) -> None:
    path = kind_ruleset(
        tmp_path, 'kind = "at_least"\n\n[rules.params]\nfield = "posts"\nmin = -3\n'
    )
    with pytest.raises(RulesetError) as info:
        engine(path, [AtLeast()])
    (issue,) = info.value.issues
    assert issue.key == "rules[0].params.min"
    assert issue.line == 13
    assert issue.message == "rule 'enough-posts' (kind 'at_least'): must be a number >= 0, got -3"


def test_hook_kolrules_rule_kinds_register_a_built_expression_that_does_not_compile(
    tmp_path: Path,
) -> None:
    path = kind_ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "postz" }\n')
    with pytest.raises(RulesetError) as info:
        engine(path, [AtLeast()])
    messages = [i.message for i in info.value.issues]
    assert {i.key for i in info.value.issues} == {"rules[0].kind"}  # require and message
    assert any("rule 'enough-posts' (kind 'at_least')" in m and "postz" in m for m in messages)


@pytest.mark.parametrize(
    ("rule", "key", "text"),
    [
        pytest.param(
            'kind = "at_least"\nrequire = "posts > 1"\nparams = { field = "posts" }\n',
            "rules[0].require",
            "is of kind 'at_least', which builds its own require",
            id="kind-and-require",
        ),
        pytest.param(
            'require = "posts > 1"\nparams = { field = "posts" }\n',
            "rules[0].params",
            "has params but no kind",
            id="params-without-kind",
        ),
    ],
)
def test_hook_kolrules_rule_kinds_register_rule_shape_errors(
    tmp_path: Path, rule: str, key: str, text: str
) -> None:
    with pytest.raises(RulesetError) as info:
        engine(kind_ruleset(tmp_path, rule), [AtLeast()])
    assert [(i.key, text in i.message) for i in info.value.issues] == [(key, True)]


def test_a_standalone_rule_needs_require_or_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path / "alone.toml",
        """\
        [ruleset]
        name = "alone"
        version = "1"
        platform = "red"

        [[rules]]
        id = "nothing"
        severity = "warn"
        """,
    )
    with pytest.raises(RulesetError) as info:
        engine(path)
    (issue,) = info.value.issues
    assert issue.key == "rules[0]"
    assert issue.message == "missing required key 'require' (or 'kind')"


def test_an_overlay_changes_a_kind_rules_params_key_by_key(tmp_path: Path) -> None:
    kind_ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", min = 30 }\n')
    child = write(
        tmp_path / "child.toml",
        """\
        [ruleset]
        name = "child"
        version = "1"
        extends = "kinds.toml"

        [[rules]]
        id = "enough-posts"
        params = { min = 50 }
        """,
    )
    kind = AtLeast()
    rule = next(r for r in engine(child, [kind]).plan.rules if r.rule.id == "enough-posts")
    assert kind.built == [{"field": "posts", "min": 50}]
    assert rule.require.source == "posts >= 50"
    shown = cli(["rulesets", "show", str(child), "--resolved"]).stdout
    assert re.search(r"min = 50 +# .*child\.toml:8", shown), shown


def test_hook_kolrules_rule_kinds_register_clash_names_both_plugins() -> None:
    class Other:
        @hookimpl
        def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
            return [RuleKind("AT_LEAST", lambda params: RuleParts("true"))]

    with pytest.raises(PluginError) as info:
        engine(plugins=[AtLeast(), Other()])
    message = str(info.value)
    assert re.search("rule kind name '(at_least|AT_LEAST)'", message)
    assert "'AtLeast'" in message and "'Other'" in message


def test_a_rule_kind_that_raises_or_returns_the_wrong_type_names_its_plugin(
    tmp_path: Path,
) -> None:
    path = kind_ruleset(tmp_path, 'kind = "broken"\n')

    def kinds(build: Callable[[Mapping[str, Any]], Any]) -> object:
        class Broken:
            @hookimpl
            def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
                return [RuleKind("broken", build)]

        return Broken()

    def boom(params: Mapping[str, Any]) -> RuleParts:
        raise ZeroDivisionError("oops")

    with pytest.raises(PluginError) as info:
        engine(path, [kinds(boom)])
    assert "rule kind 'broken' of plugin 'Broken'" in str(info.value)
    assert "ZeroDivisionError: oops" in str(info.value)
    with pytest.raises(PluginError, match=r"returned str from build; expected kolrules\.RuleParts"):
        engine(path, [kinds(lambda params: "posts > 1")])
