"""Helpers for plugin authors' tests, re-exported by :mod:`kolrules.testing`.

- :func:`make_engine`: an :class:`~kolrules.engine.Engine` with entry-point autoloading off
  and the given plugins;
- :func:`make_profile`: a valid RED-like profile dict, any field overridable;
- :func:`check_plugin`: register a plugin on a fresh plugin manager, check its hooks and
  every kind it registers, and return a :class:`PluginCheck` (or raise
  :class:`PluginCheckError` listing every problem).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.errors import ExpressionError, KolrulesError, PluginError
from kolrules.expression import parse
from kolrules.plugins.blame import plugin_label
from kolrules.plugins.loading import make_plugin_manager
from kolrules.plugins.manager import PluginManager
from kolrules.types import Platform, Reader, Reporter, RuleKind, RuleParts, Scorer

if TYPE_CHECKING:
    from kolrules.engine import Engine
    from kolrules.plugins.registry import Registry
    from kolrules.ruleset import Ruleset

__all__ = [
    "DEFAULT_PROFILE",
    "PluginCheck",
    "PluginCheckError",
    "check_plugin",
    "make_engine",
    "make_profile",
]

#: The fields :func:`make_profile` fills in: a mid-tier RED account that the bundled
#: ``red-default`` ruleset accepts (tier ``micro``, no data errors). Canonical field names.
DEFAULT_PROFILE: Mapping[str, Any] = {
    "id": "kol-1",
    "handle": "test_kol",
    "followers": 20_000,
    "posts": 120,
    "total_likes": 80_000,
    "avg_likes": 500,
    "avg_comments": 40,
    "avg_collects": 150,
    "avg_shares": 20,
    "avg_views": 20_000,
    "price": 3_000,
    "account_age_days": 720,
    "origin": "homegrown",
    "category": "beauty",
}


def make_engine(
    ruleset: Ruleset | str | Path = "red-default",
    plugins: Sequence[object] = (),
    *,
    strict: bool = False,
) -> Engine:
    """An engine for ``ruleset`` (a :class:`~kolrules.ruleset.Ruleset`, a path or a
    ruleset name; default ``red-default``) with kolrules' core and first-party plugins and
    ``plugins`` (modules, objects, module names, ``"no:NAME"``,
    :class:`~kolrules.plugins.PluginsDir`), and no installed entry points, so a test sees
    only the plugins it names. ``KOLRULES_PLUGINS`` and ``KOLRULES_DISABLE_PLUGINS`` still
    apply: unset them in the test (``monkeypatch.delenv``) if the machine sets them."""
    from kolrules.engine import Engine

    return Engine(ruleset, plugins=list(plugins), load_entrypoints=False, strict=strict)


def make_profile(**fields: Any) -> dict[str, Any]:
    """A RED-like profile for :meth:`Engine.evaluate_one <kolrules.engine.Engine.evaluate_one>`:
    :data:`DEFAULT_PROFILE` with ``fields`` replacing or adding keys. A field given as
    ``None`` is left out (a missing value)::

        make_profile(followers=150_000, price=None)   # a bigger account, no quote
    """
    profile = {**DEFAULT_PROFILE, **fields}
    return {k: v for k, v in profile.items() if v is not None}


@attrs.frozen
class PluginCheck:
    """What :func:`check_plugin` found: the plugin's registered name, the hooks it
    implements and the names of what it registers, each sorted."""

    name: str
    hooks: tuple[str, ...]
    platforms: tuple[str, ...] = ()
    scorers: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()
    ruleset_dirs: tuple[Path, ...] = ()
    rule_kinds: tuple[str, ...] = ()
    #: The metrics its phase hooks derive, by platform (``kolrules_profiles_derive``).
    derived: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)


class PluginCheckError(PluginError):
    """:func:`check_plugin` found problems; ``problems`` lists each one, and the message
    lists them all. A :class:`~kolrules.errors.PluginError`, as kolrules would refuse
    the plugin."""

    def __init__(self, plugin: str, problems: Sequence[str]) -> None:
        self.plugin = plugin
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"plugin {plugin!r} failed its check:\n{lines}")


def check_plugin(
    plugin: object,
    *,
    scorer_params: Mapping[str, Mapping[str, Any]] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> PluginCheck:
    """Register ``plugin`` (a module, an object with hook methods, or a module name) on a
    fresh plugin manager, as kolrules would (core and first-party plugins loaded, no
    entry points, environment variables ignored), and check it:

    - its hooks: every ``kolrules_*`` function is a decorated hook that kolrules has,
      taking only arguments the hook passes (kolrules' own validation);
    - it implements at least one hook;
    - what it registers: each hook returns a list of the right type (:class:`Platform`,
      :class:`Scorer`, :class:`Reader`, :class:`Reporter`, ruleset directories), no name
      clashes with another plugin or within the plugin, every name and alias is non-empty;
    - each scorer's ``build`` returns an expression that parses, given
      ``scorer_params[name]`` (default ``{}``: a scorer whose parameters have no defaults
      needs an entry here);
    - each rule kind's ``build`` returns a :class:`~kolrules.types.RuleParts` whose
      expressions parse, given ``rule_params[name]`` (default ``{}``);
    - its phase hooks: a row form comes with its batch form, and for every platform the
      batch forms take an empty frame and return what their hooks say (``derived`` lists
      the metrics they add, by platform).

    Returns a :class:`PluginCheck`; raises :class:`PluginCheckError` listing every problem
    found. When kolrules refuses the plugin outright (a misspelled or undecorated hook, a
    failed import, a hook that raises, a name clash) that refusal is the one problem.
    """
    from kolrules.plugins.registry import Registry

    try:
        pm = make_plugin_manager([plugin], load_entrypoints=False, environ={})
    except PluginError as exc:
        raise PluginCheckError(_label(plugin), [str(exc)]) from exc
    name = _registered_name(pm, plugin)
    try:
        clashes = _own_clashes(pm, name)
        if clashes:
            raise PluginCheckError(name, clashes)
        registry = Registry.collect(pm)
    except PluginCheckError:
        raise
    except KolrulesError as exc:
        raise PluginCheckError(name, [str(exc)]) from exc
    hooks = tuple(sorted(h.name for h in pm.get_hookcallers(pm.get_plugin(name)) or ()))
    problems: list[str] = []
    if not hooks:
        problems.append(
            "it implements no kolrules hook; decorate its hook functions with "
            "@kolrules.hookimpl and name them after kolrules/hookspecs.py"
        )
    kinds = _owned(registry, name)
    problems += _name_problems(kinds)
    for scorer in kinds["scorer"]:
        assert isinstance(scorer, Scorer)
        problems += _scorer_problems(scorer, (scorer_params or {}).get(scorer.name, {}))
    for reader in kinds["reader"]:
        assert isinstance(reader, Reader)
        if not reader.extensions:
            problems.append(
                f"input format {reader.name!r} has no extensions; give the file suffixes "
                "it reads, like ('.csv',)"
            )
        problems += _callable_problem("input format", reader.name, "read", reader.read)
    for reporter in kinds["reporter"]:
        assert isinstance(reporter, Reporter)
        problems += _callable_problem("output format", reporter.name, "render", reporter.render)
    for kind in kinds["rule_kind"]:
        assert isinstance(kind, RuleKind)
        problems += _rule_kind_problems(kind, (rule_params or {}).get(kind.name, {}))
    derived, phase_problems = _phase_problems(pm, registry, name)
    problems += phase_problems
    if problems:
        raise PluginCheckError(name, problems)
    return PluginCheck(
        name=name,
        hooks=hooks,
        platforms=_names(kinds["platform"]),
        scorers=_names(kinds["scorer"]),
        readers=_names(kinds["reader"]),
        reporters=_names(kinds["reporter"]),
        ruleset_dirs=tuple(sorted(d for d in kinds["ruleset_dir"] if isinstance(d, Path))),
        rule_kinds=_names(kinds["rule_kind"]),
        derived=derived,
    )


def _label(plugin: object) -> str:
    return plugin if isinstance(plugin, str) else plugin_label(plugin)


def _registered_name(pm: PluginManager, plugin: object) -> str:
    """The name ``plugin`` was registered under in ``pm``."""
    if isinstance(plugin, str):
        for name, info in pm.info.items():
            if plugin in (name, info.module):
                return name
    else:
        found = pm.get_name(plugin)
        if found is not None:
            return found
    raise PluginError(f"plugin {plugin!r} was not registered")  # pragma: no cover


_HOOKS = {
    "kolrules_platforms_register": (Platform, "platform"),
    "kolrules_scorers_register": (Scorer, "scoring strategy"),
    "kolrules_rule_kinds_register": (RuleKind, "rule kind"),
    "kolrules_readers_register": (Reader, "input format"),
    "kolrules_reporters_register": (Reporter, "output format"),
}


def _own_clashes(pm: PluginManager, plugin: str) -> list[str]:
    """Two different objects of one kind with one name (or alias), both from ``plugin``."""
    from kolrules.plugins.registry import registered

    problems: list[str] = []
    for hook, (cls, word) in _HOOKS.items():
        seen: dict[str, object] = {}
        for owner, item in registered(pm, hook):
            if owner != plugin or not isinstance(item, cls):
                continue  # another plugin's, or a wrong type the registry reports
            names = (
                item.names() if isinstance(item, Platform) else (str(getattr(item, "name", "")),)
            )
            for each in names:
                key = each.casefold()
                if key in seen and seen[key] is not item:
                    problems.append(
                        f"it registers two {word} objects named {each!r} ({hook}); "
                        "register one, or rename the other"
                    )
                seen.setdefault(key, item)
    return problems


def _owned(registry: Registry, plugin: str) -> dict[str, list[object]]:
    """The distinct objects of each kind that ``plugin`` registered, in registration order."""
    tables: dict[str, Mapping[str, Any]] = {
        "platform": registry.platforms,
        "scorer": registry.scorers,
        "rule_kind": registry.rule_kinds,
        "reader": registry.readers,
        "reporter": registry.reporters,
    }
    out: dict[str, list[object]] = {kind: [] for kind in (*tables, "ruleset_dir")}
    for (kind, key), owner in registry.owners.items():
        if owner != plugin:
            continue
        if kind == "ruleset_dir":
            if Path(key) not in out[kind]:
                out[kind].append(Path(key))
        elif all(tables[kind][key] is not seen for seen in out[kind]):
            out[kind].append(tables[kind][key])
    return out


def _names(items: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted(str(getattr(i, "name", "")) for i in items))


_KIND_WORDS = {
    "platform": "platform",
    "scorer": "scoring strategy",
    "rule_kind": "rule kind",
    "reader": "input format",
    "reporter": "output format",
}


def _name_problems(kinds: Mapping[str, list[object]]) -> list[str]:
    """Empty or blank names and aliases. (Two objects with one name are refused by the
    registry, which names the hook.)"""
    problems: list[str] = []
    for kind, word in _KIND_WORDS.items():
        for item in kinds[kind]:
            name = str(getattr(item, "name", ""))
            names = item.names() if isinstance(item, Platform) else (name,)
            if not name.strip():
                problems.append(
                    f"a {word} has an empty name ({item!r}); give it a name, which rulesets "
                    "and the command line use to pick it"
                )
            for alias in names[1:]:
                if not alias.strip():
                    problems.append(f"{word} {name!r} has an empty alias; remove it")
    return problems


def _build(
    what: str, option: str, name: str, build: Any, params: Mapping[str, Any]
) -> tuple[object, list[str]]:
    """``build(params)``'s result, or the problem it raised (with the ``check_plugin``
    option that passes other parameters)."""
    try:
        return build(params), []
    except Exception as exc:
        hint = (
            f"fix build, or pass check_plugin(..., {option}={{{name!r}: {{...}}}}) "
            "with parameters it accepts"
        )
        return None, [f"{what}: build({dict(params)!r}) raised {type(exc).__name__}: {exc}; {hint}"]


def _scorer_problems(scorer: Scorer, params: Mapping[str, Any]) -> list[str]:
    """``build(params)`` raises, or returns something other than an expression that parses."""
    what = f"scoring strategy {scorer.name!r}"
    given = f"build({dict(params)!r})"
    expression, problems = _build(what, "scorer_params", scorer.name, scorer.build, params)
    if problems:
        return problems
    if not isinstance(expression, str):
        return [
            f"{what}: {given} returned {type(expression).__name__}; it must return the "
            "score as a string in the kolrules expression language"
        ]
    try:
        parse(expression)
    except ExpressionError as exc:
        return [f"{what}: {given} returned an expression that does not parse: {exc}"]
    return []


def _rule_kind_problems(kind: RuleKind, params: Mapping[str, Any]) -> list[str]:
    """``build(params)`` raises, or returns something other than parts that parse."""
    what = f"rule kind {kind.name!r}"
    given = f"build({dict(params)!r})"
    parts, problems = _build(what, "rule_params", kind.name, kind.build, params)
    if problems:
        return problems
    if not isinstance(parts, RuleParts):
        return [f"{what}: {given} returned {type(parts).__name__}; return a kolrules.RuleParts"]
    for key in ("require", "when"):
        text = getattr(parts, key)
        if text is None and key == "when":
            continue
        try:
            parse(text)
        except (ExpressionError, TypeError, AttributeError) as exc:
            problems.append(f"{what}: {given} built a {key} that does not parse: {exc}")
    return problems


def _phase_problems(
    pm: PluginManager, registry: Registry, plugin: str
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Run ``plugin``'s phase hooks as the engine would when compiling, for every
    platform: the metrics they derive by platform, and the problems found."""
    from kolrules.normalise import Schema
    from kolrules.plugins.phases import PHASE_HOOKS, Phases

    mine = {
        h.name
        for h in pm.get_hookcallers(pm.get_plugin(plugin)) or ()
        if any(h.name in pair for pair in PHASE_HOOKS)
    }
    if not mine:
        return {}, []
    derived: dict[str, tuple[str, ...]] = {}
    platforms = {id(p): p for p in registry.platforms.values()}  # aliases share one object
    for platform in platforms.values():
        try:
            phases = Phases(pm, platform, Schema.build(platform).fields)
        except PluginError as exc:
            return derived, [f"for platform {platform.name!r}: {exc}"]
        names = [n for impl in phases.derivers if impl.plugin == plugin for n in impl.columns]
        if names:
            derived[platform.name] = tuple(sorted(names))
    return derived, []


def _callable_problem(word: str, name: str, attr: str, value: object) -> list[str]:
    if callable(value):
        return []
    return [f"{word} {name!r}: {attr} is {type(value).__name__}, not a function; pass a callable"]
