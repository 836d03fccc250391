"""Phase hooks: what plugins do to every profile after it is normalised and before the
plan evaluates it: check it (``kolrules_profiles_validate``) and derive extra metrics
(``kolrules_profiles_derive``).

A :class:`Phases` is built once per compiled plan from the plugins of one engine. It calls
the batch forms once per frame on the columnar path, never per row; the row forms
(``kolrules_profile_validate``, ``kolrules_profile_derive``) serve the one-profile path,
which falls back to the batch form with a one-row frame for a plugin without them.
Everything a plugin returns is checked, and what it raises becomes a
:class:`~kolrules.errors.PluginError` naming the plugin, the hook and the rows.
"""

from __future__ import annotations

import inspect
import keyword
import types
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.errors import KolrulesError, PluginError
from kolrules.normalise import BAD, HAS_DATA_ERRORS, ROW, NormalisedFrame, NormalisedRow
from kolrules.plugins.blame import first_line, label, where
from kolrules.types import DataError, FieldType, Platform

if TYPE_CHECKING:
    import pluggy
    import polars as pl

    from kolrules.expression import Type

__all__ = ["PHASE_HOOKS", "Phases"]

#: (batch form, row form) of each phase, in the order they run.
PHASE_HOOKS = (
    ("kolrules_profiles_validate", "kolrules_profile_validate"),
    ("kolrules_profiles_derive", "kolrules_profile_derive"),
)
_RESERVED = frozenset({"and", "or", "not", "in", "true", "false"})


@attrs.frozen
class _Impl:
    """One plugin's implementation of one phase: its batch form and, if any, its row form."""

    plugin: str
    batch: Callable[..., Any]
    batch_args: tuple[str, ...]
    row: Callable[..., Any] | None
    row_args: tuple[str, ...]
    #: For a derive hook, the columns it adds and their types.
    columns: Mapping[str, Type] = attrs.field(factory=dict)


def _impls(
    pm: pluggy.PluginManager, hook: str
) -> dict[str, tuple[Callable[..., Any], tuple[str, ...]]]:
    caller = getattr(pm.hook, hook, None)
    if caller is None:  # pragma: no cover - the specs are always registered
        return {}
    return {i.plugin_name: (i.function, tuple(i.argnames)) for i in caller.get_hookimpls()}


class Phases:
    """The phase hooks of one engine's plugins, for one plan (platform and fields)."""

    def __init__(
        self, pm: pluggy.PluginManager, platform: Platform, fields: Mapping[str, FieldType]
    ) -> None:
        self.pm = pm
        self.platform = platform
        self.fields = dict(fields)
        self.validators: list[_Impl] = []
        #: Validators that said nothing of the empty frame: asked again about the first
        #: profiles they see, kept if they say something then, dropped if not (what they
        #: raise there is a plugin error like any other).
        self.probing: list[_Impl] = []
        self.derivers: list[_Impl] = []
        self.derived: dict[str, Type] = {}
        for (batch_hook, row_hook), out in zip(
            PHASE_HOOKS, (self.validators, self.derivers), strict=True
        ):
            batches, rows = _impls(pm, batch_hook), _impls(pm, row_hook)
            for plugin in rows.keys() - batches.keys():
                raise PluginError(
                    f"plugin {label(pm, plugin)} implements {row_hook} but not {batch_hook}: "
                    f"files are evaluated in batches and never call a hook per row, so give "
                    f"the batch form too (docs/plugins/hooks.md)"
                )
            if not batches:
                continue
            empty = self._frame(None)
            for plugin, (fn, args) in batches.items():
                row, row_args = rows.get(plugin, (None, ()))
                impl = _Impl(plugin, fn, args, row, row_args)
                result = self._call_batch(impl, batch_hook, empty, "")
                if result is None and batch_hook.endswith("_validate"):
                    self.probing.append(impl)
                    continue
                if result is None:
                    continue  # no metrics for this platform
                if batch_hook.endswith("_validate"):
                    self._check_problems(impl, batch_hook, result, empty, " for the empty frame")
                    out.append(impl)
                else:
                    columns = self._declare(impl, batch_hook, result)
                    out.append(attrs.evolve(impl, columns=columns))

    @property
    def active(self) -> bool:
        return bool(self.validators or self.derivers or self.probing)

    def _validated(self, call: Callable[[_Impl], Any]) -> list[tuple[_Impl, Any]]:
        """Each validator's result for the profiles at hand (``call``), the ones still
        probed included: a probed one is kept from now on if it said something (not
        ``None``), else dropped."""
        found = [(impl, call(impl)) for impl in self.validators]
        for impl in list(self.probing):
            result = call(impl)
            self.probing.remove(impl)
            if result is not None:
                self.validators.append(impl)
                found.append((impl, result))
        return found

    # -- checks -------------------------------------------------------------------------

    def _frame(self, profile: Mapping[str, Any] | None) -> pl.DataFrame:
        """A frame of the schema's fields, typed as the columnar path holds them: empty
        for ``None``, else the one row of ``profile``."""
        import polars as pl

        schema = {f: _dtypes()[t] for f, t in self.fields.items()}
        if profile is None:
            return pl.DataFrame(schema=schema)
        return pl.DataFrame({f: [profile.get(f)] for f in self.fields}, schema=schema)

    def _fail(self, impl: _Impl, hook: str, what: str) -> PluginError:
        return PluginError(
            f"plugin {label(self.pm, impl.plugin)} {what} (hook {hook}); fix the plugin, or "
            f"block it with -p no:{impl.plugin}"
        )

    def _declare(self, impl: _Impl, hook: str, result: Any) -> dict[str, Type]:
        """The names and types of the columns a derive hook returned for the empty frame."""
        import polars as pl

        if not isinstance(result, pl.DataFrame):
            raise self._fail(
                impl, hook, f"returned {type(result).__name__}; expected a polars DataFrame or None"
            )
        if result.height:
            raise self._fail(impl, hook, f"returned {result.height} rows for 0 (the empty frame)")
        columns: dict[str, Type] = {}
        for name, dtype in result.schema.items():
            if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
                raise self._fail(impl, hook, f"derived {name!r}, which an expression cannot name")
            clash = next(
                (d.plugin for d in self.derivers if name in d.columns),
                "a field" if name in self.fields else None,
            )
            if clash is not None:
                owner = clash if clash == "a field" else f"plugin {label(self.pm, clash)}"
                raise self._fail(
                    impl, hook, f"derived {name!r}, a name {owner} already has; rename it"
                )
            if dtype.is_numeric():
                columns[name] = "number"
            elif dtype == pl.String:
                columns[name] = "text"
            elif dtype == pl.Boolean:
                columns[name] = "bool"
            else:
                raise self._fail(
                    impl,
                    hook,
                    f"derived {name!r} of dtype {dtype} (for an empty frame); give it a "
                    "numeric, String or Boolean dtype, e.g. pl.Series(name, values, "
                    "dtype=pl.Float64)",
                )
        self.derived.update(columns)
        return columns

    def _check_problems(
        self, impl: _Impl, hook: str, result: Any, frame: pl.DataFrame, rows: str
    ) -> pl.Series:
        import polars as pl

        if not isinstance(result, pl.Series):
            raise self._fail(
                impl,
                hook,
                f"returned {type(result).__name__}{rows}; expected a String polars Series or None",
            )
        if result.len() != frame.height:
            raise self._fail(
                impl, hook, f"returned {result.len()} values for {frame.height} rows{rows}"
            )
        if result.dtype not in (pl.String, pl.Null):
            raise self._fail(
                impl, hook, f"returned a Series of {result.dtype}{rows}; expected String"
            )
        return result

    def _check_columns(
        self, impl: _Impl, hook: str, result: Any, frame: pl.DataFrame, rows: str
    ) -> list[pl.Series]:
        import polars as pl

        if not isinstance(result, pl.DataFrame):
            raise self._fail(
                impl, hook, f"returned {type(result).__name__}{rows}; expected a polars DataFrame"
            )
        if result.height != frame.height:
            raise self._fail(impl, hook, f"returned {result.height} rows for {frame.height}{rows}")
        if set(result.columns) != set(impl.columns):
            raise self._fail(
                impl,
                hook,
                f"returned the columns {sorted(result.columns)}{rows}, not the "
                f"{sorted(impl.columns)} it returned for the empty frame",
            )
        out = []
        for name, kind in impl.columns.items():
            try:
                out.append(result.get_column(name).cast(_dtypes()[kind]))
            except pl.exceptions.PolarsError as exc:
                raise self._fail(
                    impl, hook, f"returned column {name!r} that is not {kind}{rows}: {exc}"
                ) from None
        return out

    # -- calls --------------------------------------------------------------------------

    def _call_batch(self, impl: _Impl, hook: str, frame: pl.DataFrame, rows: str) -> Any:
        given = {"frame": frame, "platform": self.platform}
        return self._call(impl, hook, impl.batch, impl.batch_args, given, rows)

    def _call(
        self,
        impl: _Impl,
        hook: str,
        fn: Callable[..., Any],
        args: tuple[str, ...],
        given: Mapping[str, Any],
        rows: str,
    ) -> Any:
        """``fn`` called with the arguments it takes; what it raises (other than kolrules'
        own errors) names the plugin, the hook and ``rows``."""
        try:
            return fn(*(given[a] for a in args))
        except KolrulesError:
            raise
        except Exception as exc:
            raise self._raised(impl, hook, fn, exc, rows or " for the empty frame") from exc

    def _raised(
        self, impl: _Impl, hook: str, fn: Callable[..., Any], exc: Exception, rows: str
    ) -> PluginError:
        try:
            own = inspect.getsourcefile(fn)
        except TypeError:  # pragma: no cover - a builtin
            own = None
        return PluginError(
            f"plugin {label(self.pm, impl.plugin)} failed in its hook {hook}{rows}: "
            f"{first_line(exc)}{where(exc, own)}; fix the plugin, or block it with "
            f"-p no:{impl.plugin}"
        )

    # -- the columnar path ----------------------------------------------------------------

    def apply_frame(self, norm: NormalisedFrame) -> NormalisedFrame:
        """``norm`` with the plugins' problems added as data errors and their metrics as
        columns (one call per plugin and hook for the whole frame)."""
        import polars as pl

        if not self.active:
            return norm
        if norm.rows.height == 0:
            empty = [pl.lit(None, dtype=_dtypes()[t]).alias(n) for n, t in self.derived.items()]
            return attrs.evolve(norm, rows=norm.rows.with_columns(empty))
        frame = norm.rows.select(list(self.fields))
        numbers = norm.rows.get_column(ROW)
        span = f" on rows {numbers[0]}-{numbers[-1]}"
        data_errors = dict(norm.data_errors)
        flagged: set[int] = set()
        bad = norm.rows.get_column(BAD)
        hook = PHASE_HOOKS[0][0]
        checked = self._validated(lambda impl: self._call_batch(impl, hook, frame, span))
        for impl, result in checked:
            if result is None:
                continue
            problems = self._check_problems(impl, hook, result, frame, span)
            hits = problems.is_not_null() & bad.not_()
            for row, text in zip(
                numbers.filter(hits).to_list(), problems.filter(hits).to_list(), strict=True
            ):
                data_errors[row] = (*data_errors.get(row, ()), _problem(impl, text))
                flagged.add(row)
        columns: list[pl.Series] = []
        for impl in self.derivers:
            hook = PHASE_HOOKS[1][0]
            result = self._call_batch(impl, hook, frame, span)
            if result is None:
                result = pl.DataFrame(
                    {
                        n: pl.Series([None] * frame.height, dtype=_dtypes()[t])
                        for n, t in impl.columns.items()
                    }
                )
            columns.extend(self._check_columns(impl, hook, result, frame, span))
        rows = norm.rows.with_columns(columns) if columns else norm.rows
        if flagged:
            marked = pl.col(HAS_DATA_ERRORS) | pl.col(ROW).is_in(sorted(flagged))
            rows = rows.with_columns(marked.alias(HAS_DATA_ERRORS))
        return attrs.evolve(norm, rows=rows, data_errors=data_errors)

    # -- the one-profile path -------------------------------------------------------------

    def apply_row(self, norm: NormalisedRow, row: int) -> NormalisedRow:
        """``norm`` with the plugins' problems and metrics, using their row forms."""
        if not self.active or norm.row_errors:
            return norm
        profile = types.MappingProxyType(norm.values)
        values = dict(norm.values)
        problems = list(norm.data_errors)
        pid = norm.values.get("id")
        at = f" on row {row}" + (f" (id {pid})" if pid is not None else "")

        def hook_of(impl: _Impl) -> str:
            return PHASE_HOOKS[0][1] if impl.row is not None else PHASE_HOOKS[0][0]

        checked = self._validated(lambda i: self._row_result(i, hook_of(i), profile, at))
        for impl, found in checked:
            hook = hook_of(impl)
            if found is None:
                continue
            if isinstance(found, str) or not isinstance(found, Iterable):
                raise self._fail(
                    impl, hook, f"returned {type(found).__name__}{at}; expected a list"
                )
            for text in found:
                if text is not None:
                    problems.append(_problem(impl, str(text)))
        for impl in self.derivers:
            hook = PHASE_HOOKS[1][1] if impl.row is not None else PHASE_HOOKS[1][0]
            got = self._row_result(impl, hook, profile, at)
            if got is None:
                got = dict.fromkeys(impl.columns)
            if not isinstance(got, Mapping) or set(got) != set(impl.columns):
                shown = sorted(got) if isinstance(got, Mapping) else type(got).__name__
                raise self._fail(
                    impl,
                    hook,
                    f"returned {shown}{at}; expected a mapping of {sorted(impl.columns)}",
                )
            for name, kind in impl.columns.items():
                values[name] = self._value(impl, hook, got[name], kind, at)
        return NormalisedRow(values, tuple(problems), (), norm.id_column)

    def _row_result(self, impl: _Impl, hook: str, profile: Mapping[str, Any], at: str) -> Any:
        """The row form's result, or the batch form's for a one-row frame, in row form."""
        if impl.row is not None:
            given = {"profile": profile, "platform": self.platform}
            return self._call(impl, hook, impl.row, impl.row_args, given, at)
        frame = self._frame(profile)
        result = self._call_batch(impl, hook, frame, at)
        if result is None:
            return None
        if hook.endswith("_validate"):
            return self._check_problems(impl, hook, result, frame, at).to_list()
        columns = self._check_columns(impl, hook, result, frame, at)
        return {c.name: c[0] for c in columns}

    def _value(self, impl: _Impl, hook: str, value: Any, kind: Type, at: str) -> Any:
        """A derived value of the row form, as the columnar path would hold it."""
        if value is None:
            return None
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if (kind == "text" and isinstance(value, str)) or (
            kind == "bool" and isinstance(value, bool)
        ):
            return value
        raise self._fail(impl, hook, f"returned {value!r} for a {kind} metric{at}")


def _problem(impl: _Impl, text: str) -> DataError:
    return DataError("", None, f"{text} (plugin {impl.plugin})")


def _dtypes() -> Mapping[str, Any]:
    import polars as pl

    return {"number": pl.Float64, "text": pl.String, "bool": pl.Boolean}
