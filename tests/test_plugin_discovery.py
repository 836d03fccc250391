"""Plugin discovery and control (load order, ``-p``, ``-p no:NAME``, ``KOLRULES_PLUGINS``,
``KOLRULES_DISABLE_PLUGINS``, ``--plugins-dir``, entry points), the listing (``kolrules
plugins``, ``kolrules --version``) and the message of every way a plugin can be broken.

Test plugins are files in ``tmp_path``; installed plugins are real ``*.dist-info``
directories there, with ``importlib.metadata.entry_points`` narrowed to them.
"""

from __future__ import annotations

import inspect
import json
import sys
import textwrap
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kolrules import Platform, PluginError, Reader, Scorer, UnknownKindError, hookimpl
from kolrules.cli import EXIT_OK, EXIT_PLUGIN, EXIT_USAGE, main
from kolrules.engine import Engine
from kolrules.plugins import PluginManager, PluginsDir, make_plugin_manager

VERSION = metadata.version("kolrules")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("KOLRULES_PLUGINS", raising=False)
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGINS", raising=False)


class Site:
    """A directory on ``sys.path`` for plugin modules and installed distributions; the
    ``kolrules`` entry points are those of the distributions installed here."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.root.mkdir()
        self.monkeypatch = monkeypatch
        self.modules: list[str] = []
        monkeypatch.syspath_prepend(str(root))
        real = metadata.entry_points

        def entry_points(**params: Any) -> Any:
            if params.get("group") != "kolrules":
                return real(**params)
            dists = metadata.distributions(path=[str(self.root)])
            return [ep for d in dists for ep in d.entry_points if ep.group == "kolrules"]

        monkeypatch.setattr(metadata, "entry_points", entry_points)

    def module(self, name: str, source: str) -> str:
        write(self.root / f"{name}.py", source)
        self.modules.append(name)
        return name

    def dist(self, name: str, version: str, module: str, source: str, ep: str = "") -> str:
        """Install distribution ``name`` providing ``module`` and, given ``ep``, an entry
        point ``ep = module``."""
        self.module(module, source)
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        write(info / "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        write(info / "top_level.txt", module + "\n")
        if ep:
            write(info / "entry_points.txt", f"[kolrules]\n{ep} = {module}\n")
        return module

    def forget(self) -> None:
        for name in self.modules:
            sys.modules.pop(name, None)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    found = Site(tmp_path / "site", monkeypatch)
    yield found
    found.forget()


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Iterator[Path]:
    """A --plugins-dir; its files' modules are forgotten afterwards."""
    folder = tmp_path / "tweaks"
    folder.mkdir()
    yield folder
    for path in folder.glob("*.py"):
        sys.modules.pop(path.stem, None)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cli(args: Iterable[str | Path], code: int = EXIT_OK) -> Result:
    runner = CliRunner(
        **({"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {})
    )
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, f"{result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def rows(args: Iterable[str | Path] = ()) -> dict[str, dict[str, Any]]:
    out = json.loads(cli([*args, "plugins", "--json"]).stdout)
    return {r["name"]: r for r in out}


def plugin_error(*plugins: object, **kwargs: Any) -> str:
    with pytest.raises(PluginError) as info:
        Engine(plugins=list(plugins), **kwargs)
    return str(info.value)


TESTLAND = """\
    from kolrules import Platform, hookimpl


    @hookimpl
    def kolrules_platforms_register():
        return [Platform(name="testland", aliases=("tl",))]
    """

CUBE_SCORER = """\
    from kolrules import Scorer, hookimpl


    def build(params):
        return f"clamp(followers / {params.get('per', 1000)}, 0, 100)"


    @hookimpl
    def kolrules_scorers_register():
        return [Scorer(name="per_follower", build=build)]
    """

SCORED_RULESET = """\
    [ruleset]
    name = "scored"
    version = "1"
    platform = "red"

    [[rules]]
    id = "has-followers"
    require = "followers > 0"
    severity = "review"

    [scoring]
    strategy = "per_follower"
    params = { per = 500 }
    """

FIRST_PARTY = ("red", "weibo", "wechat", "scoring")
CORE = ("kolrules.read", "kolrules.report", "kolrules.ruleset")


# --------------------------------------------------------------------------------------
# Load order and where each plugin came from
# --------------------------------------------------------------------------------------


def test_load_order_and_sources(
    site: Site, plugins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.dist("kolrules-fake-ep", "0.3", "kolrules_fake_ep_xyz", "", ep="fake_ep")
    env_mod = site.module("kolrules_fake_env_xyz", "")
    p_mod = site.module("kolrules_fake_p_xyz", "")
    write(plugins_dir / "b_tweak_xyz.py", "")
    write(plugins_dir / "a_tweak_xyz.py", "")
    write(plugins_dir / "sub" / "c_ignored_xyz.py", "raise RuntimeError('not loaded')")
    write(plugins_dir / ".#a_tweak_xyz.py", "raise RuntimeError('an editor's lock file')")
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("KOLRULES_PLUGINS", f" {env_mod} ,")
    pm = make_plugin_manager([p_mod, PluginsDir(plugins_dir)])
    order = [(name, pm.info[name].source) for name, _ in pm.list_name_plugin()]
    assert order == [
        *((name, "default") for name in CORE),
        *((name, "default") for name in FIRST_PARTY),
        ("fake_ep", "entrypoint"),
        (env_mod, "env"),
        (p_mod, "-p"),
        ("a_tweak_xyz", "plugins-dir"),
        ("b_tweak_xyz", "plugins-dir"),
    ]


def test_autoload_off_loads_no_entry_point_but_p_names_one(site: Site) -> None:
    site.dist("kolrules-fake-ep", "0.3", "kolrules_fake_ep2_xyz", TESTLAND, ep="fake_ep2")
    assert "testland" not in Engine(plugins=()).registry.platforms
    assert "testland" in Engine(plugins=(), load_entrypoints=True).registry.platforms
    # -p NAME finds the entry point by its name even with autoload off.
    by_name = rows(["-p", "fake_ep2"])
    assert by_name["fake_ep2"]["source"] == "-p"
    assert by_name["fake_ep2"]["distribution"] == "kolrules-fake-ep"


def test_a_module_asked_for_again_is_loaded_once() -> None:
    # Once an error ("already registered"); now a no-op, under any name it answers to.
    for args in (["-p", "kolrules_red"], ["-p", "red"], ["-p", "kolrules_red", "-p", "red"]):
        by_name = rows(args)
        assert by_name["red"]["source"] == "default"
        assert "kolrules_red" not in by_name
    pm = make_plugin_manager(["kolrules.read", "kolrules_scoring"])
    assert len(pm.get_plugins()) == len(CORE) + len(FIRST_PARTY)


def test_two_engines_with_different_plugins_in_one_process(
    site: Site, plugins_dir: Path, tmp_path: Path
) -> None:
    write(plugins_dir / "scorer_tweak_xyz.py", CUBE_SCORER)
    mod = site.module("kolrules_testland_xyz", TESTLAND)
    ruleset = write(tmp_path / "scored.toml", SCORED_RULESET)
    with_dir = Engine(ruleset, plugins=[PluginsDir(plugins_dir)])
    with_module = Engine(plugins=[mod, "no:weibo"])
    plain = Engine()
    assert "per_follower" in with_dir.registry.scorers
    assert "per_follower" not in with_module.registry.scorers
    assert "testland" in with_module.registry.platforms
    assert "weibo" not in with_module.registry.platforms
    assert "weibo" in with_dir.registry.platforms
    assert "testland" not in with_dir.registry.platforms
    assert "per_follower" not in plain.registry.scorers
    assert "testland" not in plain.registry.platforms
    assert "weibo" in plain.registry.platforms
    # The first engine still works after the others were built; a second engine with the
    # same plugins dir reuses the module imported for the first.
    assert with_dir.evaluate_one({"id": "a", "followers": 1000}).score == pytest.approx(2)
    again = Engine(ruleset, plugins=[PluginsDir(plugins_dir)])
    assert again.plugin_manager.get_plugin("scorer_tweak_xyz") is sys.modules["scorer_tweak_xyz"]
    assert again.evaluate_one({"id": "a", "followers": 1500}).score == pytest.approx(3)
    managers = {id(e.plugin_manager) for e in (with_dir, with_module, plain)}
    assert len(managers) == 3
    assert isinstance(plain.plugin_manager, PluginManager)


# --------------------------------------------------------------------------------------
# Blocking: -p no:NAME and KOLRULES_DISABLE_PLUGINS
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["weibo", "kolrules_weibo"])
def test_p_no_blocks_a_first_party_plugin(name: str, tmp_path: Path) -> None:
    by_name = rows(["-p", f"no:{name}"])
    assert "weibo" not in by_name
    assert {"red", "wechat", "scoring", *CORE} <= set(by_name)
    out = cli(["-p", f"no:{name}", "plugins"]).stdout
    assert out.rstrip().endswith(f"blocked: weibo (-p no:{name})")
    result = cli(["-p", f"no:{name}", "validate", "weibo-default"], code=3)
    assert "unknown platform 'weibo'" in result.stdout + result.stderr


def test_p_no_blocks_an_entry_point_without_importing_it(site: Site) -> None:
    broken = "raise RuntimeError('imported although blocked')"
    site.dist("kolrules-fake", "1.0", "kolrules_fake_blocked_xyz", broken, ep="fake_blocked")
    for block in ("fake_blocked", "kolrules_fake_blocked_xyz"):
        pm = make_plugin_manager([f"no:{block}"], load_entrypoints=True)
        assert not pm.has_plugin("fake_blocked")
        assert pm.blocked_plugins == {"fake_blocked": f"-p no:{block}"}
    # Blocked even when autoload is off: it was not loaded anyway, and that is fine.
    cli(["-p", "no:fake_blocked", "plugins"])


def test_p_no_blocks_a_plugins_dir_file(plugins_dir: Path) -> None:
    write(plugins_dir / "tweak_blocked_xyz.py", "raise RuntimeError('imported although blocked')")
    by_name = rows(["--plugins-dir", plugins_dir, "-p", "no:tweak_blocked_xyz"])
    assert "tweak_blocked_xyz" not in by_name


@pytest.mark.parametrize("name", ["read", "kolrules.read", "report", "kolrules.ruleset"])
def test_blocking_a_core_plugin_is_refused(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    core = name if name.startswith("kolrules.") else f"kolrules.{name}"
    result = cli(["-p", f"no:{name}", "plugins"], code=EXIT_USAGE)
    assert f"{core!r} is part of kolrules' core and cannot be blocked" in result.stderr
    assert "`kolrules plugins` lists them" in result.stderr
    assert f"{core!r} is part of kolrules' core" in plugin_error(f"no:{name}")

    monkeypatch.setenv("KOLRULES_DISABLE_PLUGINS", f"weibo,{name}")
    result = cli(["plugins"], code=EXIT_USAGE)
    assert f"KOLRULES_DISABLE_PLUGINS: {core!r} is part of kolrules' core" in result.stderr
    assert f"KOLRULES_DISABLE_PLUGINS=weibo,{name}: {core!r}" in plugin_error()


def test_p_no_without_a_name() -> None:
    result = cli(["-p", "no:", "plugins"], code=EXIT_USAGE)
    assert "give the name of the plugin to block, like no:weibo" in result.stderr


def test_p_no_naming_no_plugin_lists_those_that_can_be_blocked() -> None:
    result = cli(["-p", "no:weibo2", "plugins"], code=EXIT_USAGE)
    assert "unknown plugin 'weibo2'; known plugins: red, scoring, wechat, weibo" in result.stderr
    with pytest.raises(UnknownKindError, match="weibo2"):
        Engine(plugins=["no:weibo2"])


def test_a_plugin_both_asked_for_and_blocked(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = site.module("kolrules_both_xyz", "")
    result = cli(["-p", mod, "-p", f"no:{mod}", "plugins"], code=EXIT_PLUGIN)
    assert (
        f"plugin {mod!r} is asked for (from -p) and blocked (-p no:{mod}); drop one of the two"
        in result.stderr
    )

    class Testland:
        @hookimpl
        def kolrules_platforms_register(self) -> list[Platform]:
            return []

    assert "plugin 'Testland' is asked for (from -p) and blocked (-p no:Testland)" in (
        plugin_error(Testland(), "no:Testland")
    )
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGINS", "red")
    assert (
        "plugin 'kolrules_red' is asked for (from -p) and blocked (KOLRULES_DISABLE_PLUGINS=red)"
        in (plugin_error("kolrules_red"))
    )


def test_kolrules_disable_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGINS", " weibo, kolrules_wechat ,not_installed_xyz")
    by_name = rows()
    assert "weibo" not in by_name
    assert "wechat" not in by_name
    assert "red" in by_name
    out = cli(["plugins"]).stdout
    assert (
        "blocked: weibo (KOLRULES_DISABLE_PLUGINS=weibo), "
        "wechat (KOLRULES_DISABLE_PLUGINS=kolrules_wechat)"
    ) in out
    # A name this machine does not have is no error: the variable is often set machine-wide.
    assert set(Engine().registry.platforms) >= {"red", "xhs"}


# --------------------------------------------------------------------------------------
# KOLRULES_PLUGINS and --plugins-dir
# --------------------------------------------------------------------------------------


def test_kolrules_plugins_env(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = site.module("kolrules_env_testland_xyz", TESTLAND)
    monkeypatch.setenv("KOLRULES_PLUGINS", f"{mod},kolrules_red")
    by_name = rows()
    assert by_name[mod]["source"] == "env"
    assert by_name[mod]["registers"] == {"platforms": ["testland"]}
    assert "testland" in Engine().registry.platforms

    monkeypatch.setenv("KOLRULES_PLUGINS", "no:weibo")
    assert (
        "KOLRULES_PLUGINS: 'no:weibo': this variable names plugins to load; block a plugin "
        "with KOLRULES_DISABLE_PLUGINS=weibo instead"
    ) in cli(["plugins"], code=EXIT_PLUGIN).stderr

    monkeypatch.setenv("KOLRULES_PLUGINS", "kolrules_missing_env_xyz")
    result = cli(["plugins"], code=EXIT_PLUGIN)
    assert (
        "plugin 'kolrules_missing_env_xyz' (from KOLRULES_PLUGINS): no module named "
        "'kolrules_missing_env_xyz' (searched sys.path); check KOLRULES_PLUGINS"
    ) in result.stderr


def test_plugins_dir_file_adds_a_scorer(plugins_dir: Path, tmp_path: Path) -> None:
    write(plugins_dir / "client_scoring_xyz.py", CUBE_SCORER)
    write(plugins_dir / "notes.txt", "not a plugin")
    ruleset = write(tmp_path / "scored.toml", SCORED_RULESET)
    kols = write(tmp_path / "kols.csv", "id,followers\na,1000\nb,20000\n")
    args = ["--plugins-dir", plugins_dir, "evaluate", kols, "-r", ruleset, "-f", "json"]
    report = json.loads(cli(args).stdout)
    assert [d["score"] for d in report["decisions"]] == pytest.approx([2, 40])

    mine = rows(["--plugins-dir", plugins_dir])["client_scoring_xyz"]
    assert mine["source"] == "plugins-dir"
    assert mine["path"] == str(plugins_dir / "client_scoring_xyz.py")
    assert mine["distribution"] is None
    assert mine["registers"] == {"scorers": ["per_follower"]}
    # Without --plugins-dir the strategy is unknown.
    assert "per_follower" in cli(["evaluate", kols, "-r", ruleset], code=3).stderr


def test_plugins_dir_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    result = cli(["--plugins-dir", missing, "plugins"], code=EXIT_USAGE)
    assert (
        f"Invalid value for '--plugins-dir': {str(missing)!r} does not exist; give a "
        "directory that holds plugin *.py files"
    ) in result.stderr
    a_file = write(tmp_path / "tweak.py", "")
    result = cli(["--plugins-dir", a_file, "plugins"], code=EXIT_USAGE)
    assert f"{str(a_file)!r} is not a directory" in result.stderr
    # The library says the same, as a PluginError.
    assert f"plugins directory {str(missing)!r} does not exist" in plugin_error(PluginsDir(missing))


def test_plugins_dir_file_that_fails_to_import(plugins_dir: Path) -> None:
    write(
        plugins_dir / "broken_tweak_xyz.py",
        "import json\n\nx = 1\nraise ValueError('bad\\nsecond')\n",
    )
    path = plugins_dir / "broken_tweak_xyz.py"
    result = cli(["--plugins-dir", plugins_dir, "plugins"], code=EXIT_PLUGIN)
    assert (
        f"plugin 'broken_tweak_xyz' (from --plugins-dir, file {path}) failed to import: "
        f"ValueError: bad (at {path}:4); fix the file, or move it out of {str(plugins_dir)!r}"
    ) in result.stderr
    assert "second" not in result.stderr
    assert "broken_tweak_xyz" not in sys.modules


def test_plugins_dir_file_named_like_an_imported_module(plugins_dir: Path) -> None:
    write(plugins_dir / "json.py", "")
    message = plugin_error(PluginsDir(plugins_dir))
    assert f"plugin 'json' (from --plugins-dir, file {plugins_dir / 'json.py'}): " in message
    assert "a module named 'json' is already imported" in message
    assert message.endswith("rename the file")


def test_plugins_dir_file_named_like_a_plugin(plugins_dir: Path) -> None:
    write(plugins_dir / "red.py", "")
    assert (
        "plugin 'red' (from --plugins-dir): the name 'red' is already taken by plugin "
        f"'red' (kolrules {VERSION}) (shipped with kolrules); rename one of them"
    ) in plugin_error(PluginsDir(plugins_dir))
    sys.modules.pop("red", None)


# --------------------------------------------------------------------------------------
# Listing: kolrules plugins --json, kolrules --version
# --------------------------------------------------------------------------------------


def test_plugins_json(site: Site, plugins_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site.dist("kolrules-fake-douyin", "0.3.1", "kolrules_fake_douyin_xyz", TESTLAND, ep="douyin")
    installed = site.dist("acme-kolrules", "2.0", "acme_kolrules_xyz", CUBE_SCORER)
    write(plugins_dir / "tweak_json_xyz.py", "")
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD")
    by_name = rows(["-p", installed, "--plugins-dir", plugins_dir, "-p", "no:wechat"])
    assert list(by_name) == [
        *CORE,
        "red",
        "weibo",
        "scoring",
        "douyin",
        installed,
        "tweak_json_xyz",
    ]
    assert by_name["douyin"] == {
        "name": "douyin",
        "source": "entrypoint",
        "distribution": "kolrules-fake-douyin",
        "version": "0.3.1",
        "entry_point": "douyin = kolrules_fake_douyin_xyz",
        "module": "kolrules_fake_douyin_xyz",
        "path": str(site.root / "kolrules_fake_douyin_xyz.py"),
        "hooks": ["kolrules_platforms_register"],
        "registers": {"platforms": ["testland"]},
    }
    # A module given to -p that an installed distribution provides gets its version.
    assert (by_name[installed]["distribution"], by_name[installed]["version"]) == (
        "acme-kolrules",
        "2.0",
    )
    assert (by_name[installed]["source"], by_name[installed]["registers"]) == (
        "-p",
        {"scorers": ["per_follower"]},
    )
    assert by_name["tweak_json_xyz"]["hooks"] == []
    for name in (*CORE, "red", "scoring"):
        assert (by_name[name]["distribution"], by_name[name]["version"]) == ("kolrules", VERSION)
        assert by_name[name]["source"] == "default"
    assert by_name["red"]["module"] == "kolrules_red"

    text = cli(["-p", installed, "plugins"]).stdout
    assert f"{installed}  (-p; acme-kolrules 2.0)\n" in text
    assert "    scorers: per_follower\n" in text
    assert f"red  (default; kolrules {VERSION})\n    hooks: kolrules_platforms_register\n" in text


def test_version_lists_third_party_plugins(
    site: Site, plugins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(["--version"]).stdout == f"kolrules {VERSION}\nthird-party plugins: none\n"
    site.dist("kolrules-fake-douyin", "0.3.1", "kolrules_fake_douyin2_xyz", TESTLAND, ep="douyin")
    loose = site.module("kolrules_loose_xyz", "")
    write(plugins_dir / "tweak_version_xyz.py", "")
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD")
    out = cli(["--version", "-p", loose, "--plugins-dir", plugins_dir]).stdout
    assert out == (
        f"kolrules {VERSION}\n"
        "third-party plugins:\n"
        "  douyin: kolrules-fake-douyin 0.3.1 (entrypoint)\n"
        f"  {loose}: no distribution (-p)\n"
        f"  tweak_version_xyz: no distribution ({plugins_dir / 'tweak_version_xyz.py'})\n"
    )
    # A broken plugin: the version still shows, then the error (exit 5).
    result = cli(["-p", "kolrules_missing_xyz", "--version"], code=EXIT_PLUGIN)
    assert result.stdout == f"kolrules {VERSION}\n"
    assert "no module named 'kolrules_missing_xyz'" in result.stderr


def test_help_lists_the_plugin_options() -> None:
    out = cli(["--help"]).stdout
    for text in ("-p, --plugin MODULE|no:NAME", "--plugins-dir DIR", "--version"):
        assert text in out
    assert "KOLRULES_DISABLE_PLUGINS" in out


# --------------------------------------------------------------------------------------
# Broken plugins: every message names the plugin (its distribution) and the hook
# --------------------------------------------------------------------------------------


def test_a_plugin_module_that_does_not_exist() -> None:
    result = cli(["-p", "kolrules_nowhere_xyz", "plugins"], code=EXIT_PLUGIN)
    assert result.stderr == (
        "error: plugin 'kolrules_nowhere_xyz' (from -p): no module named "
        "'kolrules_nowhere_xyz' (searched sys.path); check the name given to -p, or install "
        "the distribution that provides it\n"
    )
    assert "no module named 'kolrules_nowhere_xyz'" in plugin_error("kolrules_nowhere_xyz.sub")


def test_a_plugin_that_raises_while_imported(site: Site) -> None:
    mod = site.module("kolrules_raising_xyz", "import os\n\nraise KeyError('PLATFORM_TOKEN')\n")
    path = site.root / f"{mod}.py"
    assert plugin_error(mod) == (
        f"plugin {mod!r} (from -p) failed to import: KeyError: 'PLATFORM_TOKEN' "
        f"(at {path}:3); fix the plugin, or stop loading it with -p"
    )


def test_a_plugin_whose_dependency_is_missing(site: Site) -> None:
    mod = site.module("kolrules_needs_dep_xyz", "import not_installed_dep_xyz\n")
    message = plugin_error(mod)
    assert message.startswith(
        f"plugin {mod!r} (from -p) failed to import: ModuleNotFoundError: "
        "No module named 'not_installed_dep_xyz'"
    )
    assert message.endswith(
        "install 'not_installed_dep_xyz', which the plugin needs; or fix the plugin, or stop "
        "loading it with -p"
    )


def test_a_plugin_with_a_syntax_error(site: Site) -> None:
    mod = site.module("kolrules_syntax_xyz", "x = 1\ndef broken(:\n")
    message = plugin_error(mod)
    assert f"plugin {mod!r} (from -p) failed to import: SyntaxError: " in message
    assert f"(at {site.root / (mod + '.py')}:2)" in message


def test_an_entry_point_that_fails_to_import(site: Site) -> None:
    site.dist("kolrules-fake-bad", "0.9", "kolrules_fake_bad_xyz", "1 / 0\n", ep="fakebad")
    message = plugin_error(load_entrypoints=True)
    path = site.root / "kolrules_fake_bad_xyz.py"
    assert message == (
        "plugin 'fakebad' (distribution kolrules-fake-bad 0.9, entry point fakebad = "
        f"kolrules_fake_bad_xyz) failed to import: ZeroDivisionError: division by zero "
        f"(at {path}:1); upgrade or reinstall kolrules-fake-bad, or skip it with "
        "-p no:fakebad or KOLRULES_DISABLE_PLUGINS=fakebad"
    )


def test_two_distributions_with_one_entry_point_name(site: Site) -> None:
    site.dist("kolrules-one", "1.0", "kolrules_one_xyz", "", ep="same")
    site.dist("kolrules-two", "2.0", "kolrules_two_xyz", "", ep="same")
    message = plugin_error(load_entrypoints=True)
    assert "two distributions register the 'kolrules' entry point 'same'" in message
    assert "distribution kolrules-one 1.0 (kolrules_one_xyz)" in message
    assert "distribution kolrules-two 2.0 (kolrules_two_xyz)" in message
    assert message.endswith("block this name with -p no:same or KOLRULES_DISABLE_PLUGINS=same")
    assert not make_plugin_manager(["no:same"], load_entrypoints=True).has_plugin("same")


MISSPELLED = """\
    from kolrules import hookimpl


    @hookimpl
    def kolrules_platform_register():
        return []
    """


def test_a_misspelled_hook(site: Site) -> None:
    site.dist("kolrules-typo", "1.1", "kolrules_typo_xyz", MISSPELLED)
    result = cli(["-p", "kolrules_typo_xyz", "plugins"], code=EXIT_PLUGIN)
    assert (
        "plugin 'kolrules_typo_xyz' (kolrules-typo 1.1) (from -p): kolrules_platform_register "
        "is not a kolrules hook; did you mean kolrules_platforms_register? the hooks are: "
        "kolrules_commands_register, kolrules_platforms_register, kolrules_profile_derive, "
    ) in result.stderr


def test_a_misspelled_optional_hook_is_allowed() -> None:
    class Optional:
        @hookimpl(optionalhook=True)
        def kolrules_future_hook(self) -> None:
            """A hook of a later kolrules: fine to have when it does not exist yet."""

    Engine(plugins=[Optional()])


def test_an_undecorated_hook_function(site: Site) -> None:
    mod = site.module(
        "kolrules_undecorated_xyz",
        """\
        from kolrules import Platform


        def kolrules_platforms_register():
            return [Platform(name="testland")]


        def _kolrules_helper():  # a private helper: fine
            return 1
        """,
    )
    assert plugin_error(mod) == (
        f"plugin {mod!r} (from -p): kolrules_platforms_register is not decorated with "
        "@kolrules.hookimpl, so kolrules would ignore it; add @kolrules.hookimpl above "
        "`def kolrules_platforms_register`, or rename it if it is not a hook (names "
        "starting with kolrules_ are kept for hooks)"
    )


def test_an_undecorated_misspelled_method() -> None:
    class Sloppy:
        def kolrules_scorer_register(self) -> list[Scorer]:
            return []

    message = plugin_error(Sloppy())
    assert message.startswith(
        "plugin 'Sloppy' (from -p): kolrules_scorer_register is not decorated with "
        "@kolrules.hookimpl, so kolrules would ignore it; did you mean "
        "kolrules_scorers_register? add @kolrules.hookimpl"
    )


def test_a_hook_with_a_wrong_signature(site: Site) -> None:
    mod = site.module(
        "kolrules_signature_xyz",
        """\
        from kolrules import hookimpl


        @hookimpl
        def kolrules_platforms_register(config, *, strict=False):
            return []
        """,
    )
    assert plugin_error(mod) == (
        f"plugin {mod!r} (from -p): hook kolrules_platforms_register has the wrong "
        "signature: it takes config, which kolrules does not pass (it passes no "
        "arguments); write `def kolrules_platforms_register()` (an implementation may take "
        "fewer of the hook's arguments, never others)"
    )

    class KeywordOnly:
        @hookimpl
        def kolrules_scorers_register(self, *, params: object) -> list[Scorer]:
            return []

    assert "hook kolrules_scorers_register has the wrong signature: it takes params" in (
        plugin_error(KeywordOnly())
    )


def test_a_hook_that_raises_names_plugin_distribution_hook_and_line(site: Site) -> None:
    mod = site.dist(
        "kolrules-exploding",
        "0.2",
        "kolrules_exploding_xyz",
        """\
        from kolrules import hookimpl


        @hookimpl
        def kolrules_platforms_register():
            raise RuntimeError("token expired\\nmore detail")
        """,
    )
    result = cli(["-p", mod, "plugins"], code=EXIT_PLUGIN)
    assert result.stderr == (
        f"error: plugin {mod!r} (kolrules-exploding 0.2) failed in its hook "
        "kolrules_platforms_register: RuntimeError: token expired "
        f"(at {site.root / (mod + '.py')}:6); fix the plugin, or block it with -p no:{mod}\n"
    )


def test_two_plugins_registering_the_same_platform(site: Site) -> None:
    first = site.dist("kolrules-tl-one", "1.0", "kolrules_tl_one_xyz", TESTLAND)
    second = site.module("kolrules_tl_two_xyz", TESTLAND)
    result = cli(["-p", first, "-p", second, "plugins"], code=EXIT_PLUGIN)
    assert (
        f"platform name 'testland' is registered by plugin {first!r} (kolrules-tl-one 1.0) "
        f"and by plugin {second!r} (hook kolrules_platforms_register); disable one of them "
        f"with -p no:{first} or -p no:{second} (or KOLRULES_DISABLE_PLUGINS), or rename the "
        "platform in one of them"
    ) in result.stderr

    class Rouge:
        @hookimpl
        def kolrules_platforms_register(self) -> list[Platform]:
            return [Platform(name="rouge", aliases=("xhs",))]

    assert (
        f"platform name 'xhs' is registered by plugin 'red' (kolrules {VERSION}) and by "
        "plugin 'Rouge' (hook kolrules_platforms_register); disable one of them with "
        "-p no:red or -p no:Rouge"
    ) in plugin_error(Rouge())

    class Csv:
        @hookimpl
        def kolrules_readers_register(self) -> list[Reader]:
            return [Reader(name="CSV", extensions=(".csv",), read=lambda path: None)]

    assert (
        f"input format name 'csv' is registered by plugin 'kolrules.read' (kolrules {VERSION}) "
        "and by plugin 'Csv' (hook kolrules_readers_register); disable the plugin with "
        "-p no:Csv (or KOLRULES_DISABLE_PLUGINS), or rename the input format in one of them"
    ) in plugin_error(Csv())
    # Blocking the first-party one lets the other have the name.
    assert Engine("weibo-default", plugins=[Rouge(), "no:red"]).registry.platform("xhs").name == (
        "rouge"
    )
