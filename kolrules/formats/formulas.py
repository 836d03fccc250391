"""Text cells a spreadsheet would run as formulas, neutralised: shared by the ``csv`` and
``xlsx`` formats, so that both write the same text for the same cell.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's
list of what starts a formula) is written after a ``'``: Excel and LibreOffice then show it
as the text it is and run nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FIXED_WORDS", "FORMULA_START", "neutralise", "safe_cell", "safe_text"]

#: What starts a cell that a spreadsheet runs as a formula (OWASP's list): such a text
#: cell is written after a ``'``, unless the csv is asked for raw.
FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_START)

#: Text columns of a decision frame whose cells come from a fixed vocabulary (as do the
#: ``rule:<id>`` columns' pass / fail / not_applicable): nothing in them is neutralised.
FIXED_WORDS = frozenset({"status", "verdict", "position"})


def safe_text(column: str) -> pl.Expr:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+cmd|...``,
    ``@SUM(...)``, ``-1+1``, a tab or carriage return first) behind a ``'``."""
    import polars as pl

    v = pl.col(column)
    risky = v.str.contains(FORMULA_START).fill_null(False)
    return pl.when(risky).then(pl.concat_str(pl.lit("'"), v)).otherwise(v).alias(column)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (a decision frame) with :func:`safe_text` applied to each text column
    whose cells are free text: not :data:`FIXED_WORDS`, not the ``rule:<id>`` columns."""
    import polars as pl

    texts = [
        c
        for c, t in frame.schema.items()
        if t == pl.String and c not in FIXED_WORDS and not c.startswith("rule:")
    ]
    return frame.with_columns(*(safe_text(c) for c in texts)) if texts else frame


def safe_cell(text: str) -> str:
    """One text cell as :func:`safe_text` writes it (for cells built in Python: a sheet's
    labels, a ruleset's descriptions, a path)."""
    return "'" + text if _FORMULA.match(text) else text
