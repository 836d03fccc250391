"""What several commands share: the ``-r``, ``-o``, ``--input-format`` and ``--lang``
options (and the language the locale asks for), the engine a command builds, and the
checks of ``-p`` and ``--plugins-dir``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kolrules.errors import PluginError

if TYPE_CHECKING:
    from kolrules.engine import Engine

__all__ = [
    "check_plugin_args",
    "check_plugins_dir",
    "default_lang",
    "engine_for",
    "input_format_option",
    "lang_option",
    "output_option",
    "plugin_args",
    "ruleset_option",
    "sheet_option",
    "stdin_or",
]


def engine_for(
    ctx: click.Context, ruleset: str | None = None, strict: bool = False, lang: str = "en"
) -> Engine:
    """An engine for ``ruleset`` (default red-default) with the plugins the group's
    ``-p`` and ``--plugins-dir`` added, speaking ``lang``."""
    from kolrules.engine import DEFAULT_RULESET, Engine

    plugins = tuple(ctx.obj.get("plugins", ()))
    return Engine(ruleset or DEFAULT_RULESET, plugins=plugins, strict=strict, lang=lang)


#: The languages of ``--lang``: those of :data:`kolrules.findings.words.LANGS` (not
#: imported here, so that ``kolrules --help`` stays quick; tests/test_lang.py checks them).
LANGS = ("en", "zh")


def default_lang() -> str:
    """The language the locale asks for: the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set and not empty decides, ``zh`` for a value starting with ``zh``
    (``zh_CN.UTF-8``, ``zh_TW``), else ``en``; ``en`` when none is set."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


lang_option = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=default_lang,
    show_default="from the locale (LC_ALL, LC_MESSAGES, LANG): zh for zh_*, else en",
    help="The language of what the output says to people: messages, reasons, what it "
    "would take to pass, the table's words and the summary line. Column names, keys and "
    "values other programs read (verdict, tier, rule ids) stay English.",
)


output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)


input_format_option = click.option(
    "--input-format",
    metavar="FORMAT",
    help="csv, json, jsonl or xlsx (default: from INPUT's suffix; csv when INPUT is -, "
    "standard input).",
)

sheet_option = click.option(
    "--sheet",
    metavar="NAME|NUMBER",
    help="An Excel workbook's sheet: its name, or its position counted from 1 (default: "
    "the first sheet).",
)

#: INPUT that means standard input.
STDIN = "-"


@contextmanager
def stdin_or(source: Path, input_format: str | None) -> Iterator[Path]:
    """``source``, or for ``-`` standard input copied (in blocks, whatever its size) to a
    temporary file named ``stdin.<format>`` (``csv`` unless ``--input-format`` says
    otherwise), removed afterwards: readers read files, some of them twice (the encoding
    is sniffed before the rows are read)."""
    if str(source) != STDIN:
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="kolrules-stdin-") as folder:
        path = Path(folder) / f"stdin.{(input_format or 'csv').lstrip('.')}"
        with path.open("wb") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy, 1 << 20)
        yield path


ruleset_option = click.option(
    "--ruleset",
    "-r",
    metavar="NAME|PATH",
    help="A bundled ruleset's name (see `kolrules rulesets`) or a ruleset file. "
    "Default: red-default.",
)


def check_plugin_args(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """``-p no:`` without a name, or naming a core plugin, is a usage error (exit 2)."""
    blocks = [v[3:].strip() for v in values if v.startswith("no:")]
    if blocks:
        from kolrules.plugins import check_blocks

        try:
            check_blocks(blocks, "-p")
        except PluginError as exc:
            raise click.BadParameter(str(exc).removeprefix("-p: "), ctx, param) from None
    return values


def check_plugins_dir(
    ctx: click.Context, param: click.Parameter, values: tuple[Path, ...]
) -> tuple[Path, ...]:
    for path in values:
        if not path.is_dir():
            state = "is not a directory" if path.exists() else "does not exist"
            raise click.BadParameter(
                f"{str(path)!r} {state}; give a directory that holds plugin *.py files",
                ctx,
                param,
            )
    return values


def plugin_args(plugins: tuple[str, ...], plugins_dirs: tuple[Path, ...]) -> tuple[object, ...]:
    """What ``-p`` and ``--plugins-dir`` add to ``Engine(plugins=...)``."""
    if not plugins_dirs:
        return plugins
    from kolrules.plugins import PluginsDir

    return (*plugins, *(PluginsDir(d) for d in plugins_dirs))
