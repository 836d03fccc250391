"""Fuzz targets (Hypothesis) for what reads hostile text: the number parser, the
expression compiler, the ruleset loader, and the agreement of the two normalising paths.

Each target feeds its inputs to kolrules and checks that the answer is a value or one of
kolrules' own errors, never another exception, and that where two paths read the same
input they give the same answer. The engine-level agreement of the two evaluation paths
is tests/test_paths_agree.py.

Normal runs are short and seeded (a few seconds). ``tox -e fuzz`` sets
``KOLRULES_FUZZ=1``: the targets run unseeded with ``KOLRULES_FUZZ_TARGET_EXAMPLES``
examples (default 100,000; a target whose examples hold many inputs takes a share of it:
about 4.8 million inputs in all), and the number of inputs run through each target, and
how fast, is printed at the end. (``KOLRULES_FUZZ_EXAMPLES`` is the count per engine of
tests/test_paths_agree.py, which the same env runs.)
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from hostile_kit import normalised_alike
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolrules import Platform
from kolrules.errors import ExpressionError, RulesetError, RulesetIssue, UnknownKindError
from kolrules.expression import compile_expression, to_polars, to_python
from kolrules.normalise import (
    MAX_CELL,
    NEGATIVE,
    NOT_A_NUMBER,
    NOT_FINITE,
    Schema,
    parse_number,
)
from kolrules.ruleset import parse_ruleset

FUZZ = os.environ.get("KOLRULES_FUZZ", "") not in ("", "0")
#: Inputs run through each target in this session, the seconds its checks took, and when
#: it first and last ran (Hypothesis' own time included).
RUNS: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()
SPAN: dict[str, list[float]] = {}


def fuzz(short: int, share: float = 1.0) -> settings:
    """``short`` seeded examples; with ``KOLRULES_FUZZ``, ``share`` of
    ``KOLRULES_FUZZ_TARGET_EXAMPLES`` (default 100,000) unseeded ones (a target whose
    examples hold many inputs takes a smaller share)."""
    if FUZZ:
        many = int(os.environ.get("KOLRULES_FUZZ_TARGET_EXAMPLES", "0") or 0) or 100_000
        return settings(
            max_examples=max(1, int(many * share)),
            derandomize=False,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
    return settings(
        max_examples=short,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def _report_runs(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    if reporter is None or capture is None or not RUNS:
        return
    lines = []
    for name in sorted(RUNS):
        wall = SPAN[name][1] - SPAN[name][0]
        lines.append(
            f"fuzz {name}: {RUNS[name]:,} inputs in {wall:,.1f} s, {RUNS[name] / wall:,.0f}/s "
            f"({RUNS[name] / SECONDS[name]:,.0f}/s in kolrules and the checks)"
        )
    total, wall = sum(RUNS.values()), sum(end - start for start, end in SPAN.values())
    lines.append(f"fuzz total: {total:,} inputs in {wall:,.1f} s, {total / wall:,.0f}/s")
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


class _Timed:
    """Counts ``n`` inputs of ``name`` and the time they took (a ``with`` block)."""

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n

    def __enter__(self) -> None:
        self.start = time.perf_counter()
        SPAN.setdefault(self.name, [self.start, self.start])

    def __exit__(self, *exc: object) -> None:
        end = time.perf_counter()
        SECONDS[self.name] += end - self.start
        RUNS[self.name] += self.n
        SPAN[self.name][1] = end


# -- the number parser ---------------------------------------------------------------------

PLATFORM = Platform.from_mapping(
    {
        "platform": {"name": "fuzz"},
        "numbers": {
            "units": {"万": 10_000, "w": 10_000, "亿": 1e8, "k": 1_000, "%": 0.01, "‰": 0.001},
            "plus_adds": 1,
            "missing": ["-", "N/A", "暂无", "None", "nan"],
        },
        "origins": {"明星": "celebrity"},
    }
)
SCHEMA = Schema.build(PLATFORM)
#: What a number cell is made of: digits, signs, units, separators, white space (with
#: the characters one path might strip and the other not), and a few strangers.
NUMBER_ALPHABET = (
    "0123456789" * 3
    + "+-.eE,，¥￥元万w亿k%‰ "
    + "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2000\u200a\u2028\u3000\ufeff"
    + "１２.Infinatyx_/()RMBrmb"
)
NUMBER_WORDS = ["-", "N/A", "暂无", "None", "nan", "NaN", "inf", "1e400", "10万+", "1.2万"]
number_cells = st.one_of(
    st.text(NUMBER_ALPHABET, max_size=16),
    st.sampled_from(NUMBER_WORDS),
    st.text(max_size=8),
)


def random_cells(rng: random.Random, n: int, alphabet: str, words: list[str]) -> list[str]:
    """``n`` cells made fast from ``rng`` (Hypothesis' own text strategies cost about a
    millisecond a cell): mostly from ``alphabet``, some ``words``, some any character."""
    cells = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.1:
            cells.append(rng.choice(words))
        elif kind < 0.2:
            cells.append("".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(4))))
        else:
            cells.append("".join(rng.choices(alphabet, k=rng.randrange(12))))
    return [c.encode("utf-8", "replace").decode("utf-8", "replace") for c in cells]


#: Many cells per example: a few drawn by Hypothesis (which shrinks them), the rest made
#: from a random generator it seeds (a failure names the cell in its message).
SEEDS = st.integers(0, 2**32)
many_number_cells = st.tuples(SEEDS, st.lists(number_cells, max_size=6)).map(
    lambda t: t[1] + random_cells(random.Random(t[0]), 400, NUMBER_ALPHABET, NUMBER_WORDS)
)


@fuzz(30, share=0.1)
@given(cells=many_number_cells)
def test_fuzz_number_parser(cells: list[str]) -> None:
    """Each cell is a finite number, missing or one of the parser's reasons."""
    with _Timed("number parser", len(cells)):
        for cell in cells:
            value, reason = _parsed(cell)
            assert reason in (None, NOT_A_NUMBER, NOT_FINITE), (cell, reason)
            assert value is None or math.isfinite(value), (cell, value)


def _parsed(cell: str) -> tuple[float | None, str | None]:
    try:
        return parse_number(cell, SCHEMA), None
    except ValueError as exc:
        return None, str(exc)


@fuzz(10, share=0.01)
@given(cells=many_number_cells)
def test_fuzz_the_two_paths_read_numbers_alike(cells: list[str]) -> None:
    """The frame path reads each number cell as the one-profile path does (value and
    reason), as text in a column."""
    rows = [{"id": f"k{i}", "followers": "1", "posts": c} for i, c in enumerate(cells)]
    with _Timed("number paths", len(cells)):
        for values, data_errors, _ in normalised_alike(rows, SCHEMA):
            reasons = {e.reason for e in data_errors}
            assert reasons <= {NOT_A_NUMBER, NOT_FINITE, NEGATIVE}, reasons
            assert values["posts"] is None or values["posts"] >= 0


# -- the two normalising paths ---------------------------------------------------------------

TEXT_ALPHABET = "ab明星-N/Ae \t\u3000\xa0\x1c\x1f\u2028\ufeff'\"=+@,;\n\r"
TEXT_WORDS = ["", "-", "N/A", "None", "暂无", "明星", "celebrity", "CELEBRITY", "fuzz", "red"]
text_cells = st.one_of(
    st.none(),
    st.text(TEXT_ALPHABET, max_size=8),
    st.sampled_from(TEXT_WORDS),
    st.text(max_size=6),
)
profiles = st.fixed_dictionaries(
    {
        "id": text_cells,
        "handle": text_cells,
        "followers": st.one_of(number_cells, st.none()),
        "posts": st.one_of(number_cells, st.none()),
        "origin": text_cells,
        "platform": text_cells,
    }
)


def random_profiles(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """``n`` profiles made fast from ``rng`` (see :func:`random_cells`)."""
    texts = {f: random_cells(rng, n, TEXT_ALPHABET, TEXT_WORDS) for f in TEXT_FIELDS}
    numbers = {f: random_cells(rng, n, NUMBER_ALPHABET, NUMBER_WORDS) for f in NUMBER_FIELDS}
    cells = {**texts, **numbers}
    return [{f: None if rng.random() < 0.05 else cells[f][i] for f in cells} for i in range(n)]


TEXT_FIELDS = ("id", "handle", "origin", "platform")
NUMBER_FIELDS = ("followers", "posts")
many_profiles = st.tuples(SEEDS, st.lists(profiles, max_size=4)).map(
    lambda t: t[1] + random_profiles(random.Random(t[0]), 300)
)


@fuzz(10, share=0.01)
@given(rows=many_profiles)
def test_fuzz_the_two_normalising_paths_agree(rows: list[dict[str, Any]]) -> None:
    """Values, data errors and row errors (empty or duplicate ids aside: those are the
    engine's, across rows) of every row are the same on both paths."""
    distinct = [
        {**r, "id": None if r["id"] is None else f"{i}:{r['id']}"} for i, r in enumerate(rows)
    ]
    with _Timed("normalise paths", len(rows)):
        normalised_alike(distinct, SCHEMA)


def test_a_cell_at_and_over_the_limit_is_read_alike() -> None:
    rows = [
        {"id": "a", "handle": "h" * MAX_CELL, "followers": "1"},
        {"id": "b", "handle": "h" * (MAX_CELL + 1), "followers": "1"},
        {"id": "c", "handle": "h", "followers": "1" + "\u3000" * MAX_CELL},
    ]
    got = normalised_alike(rows, SCHEMA)
    assert [bool(e) for _, _, e in got] == [False, True, True]


# -- the expression compiler -----------------------------------------------------------------

SCOPE: dict[str, Any] = {"a": "number", "b": "number", "s": "text", "c": "bool"}
TOKENS = [
    "a", "b", "s", "c", "followers", "1", "0", "2.5", "1e308", "1e400", "-", "+", "*", "/",
    "%", "**", "<", "<=", ">", ">=", "==", "!=", "and", "or", "not", "in", "not in", "(",
    ")", "[", "]", ",", "'x'", "'y'", "min(", "max(", "abs(", "log(", "missing(", "present(",
    "coalesce(", "clamp(", "ifelse(", "True", "None", ".", "__class__", "lambda", ":", "if",
    "else", "import", "=", "@", "~", "'", '"', "\\", "\n", "\u3000", "１", "9" * 30,
]  # fmt: skip
expressions = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join),
    st.text(max_size=30),
)
ROWS = pl.DataFrame(
    {
        "a": [1.0, None, -2.0, 0.0, 1e308],
        "b": [2.0, 0.0, None, -1.0, 3.0],
        "s": ["x", None, "y", "z", ""],
        "c": [True, False, None, True, False],
    }
)


@fuzz(400, share=0.5)
@given(source=expressions)
def test_fuzz_the_expression_compiler(source: str) -> None:
    """An expression compiles or is an ExpressionError; one that compiles is written for
    both paths, which give the same values on rows with missing, zero and huge values."""
    with _Timed("expression compiler", 1):
        try:
            e = compile_expression(source, SCOPE)
        except ExpressionError as exc:
            refused = str(exc)
        else:
            refused = ""
        if refused:
            return
        code = to_python(e.tree, {k: k for k in SCOPE})
        fn = eval("lambda a, b, s, c: " + code, {"_INF": math.inf, "_log": math.log})
        py = [fn(**r) for r in ROWS.iter_rows(named=True)]
        col = ROWS.with_columns(to_polars(e.tree, pl.col).alias("r"))["r"].to_list()
        assert [_same(x) for x in py] == [_same(x) for x in col], source


def _same(value: Any) -> Any:
    """A value as both paths must give it: NaN as a marker, -0.0 as 0.0 (both paths may
    differ in the sign of a zero, which no comparison sees)."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value + 0.0
    return value


# -- the ruleset loader ----------------------------------------------------------------------

BASE = (
    '[ruleset]\nname = "fuzz"\nversion = "1"\nplatform = "red"\n'
    "[params]\nmin = 1000\n"
    '[metrics]\nper_post = "followers / posts"\n'
    '[[tiers]]\nname = "all"\nmin_followers = 0\n'
    '[[rules]]\nid = "enough"\nseverity = "review"\nrequire = "followers >= min"\n'
    'message = "{followers} followers"\n'
)
PIECES = [
    "[", "]", "[[", "]]", "=", '"', "'", "{", "}", ",", ".", "\n", "#", "\\", "nan", "inf",
    "-inf", "1e400", "9" * 40, "true", "[rules]", "[[rules]]", "[tiers]", "[ruleset]",
    'extends = "red-default"', 'extends = "../x"', "id", "severity", "require", "when",
    "missing", "kind", "params", '"review"', '"reject"', '"{followers:>999}"', "\x00",
    "\ud7ff", "\u3000", "[fields]\nx = \"number\"", "[columns]\nfollowers = [\"posts\"]",
]  # fmt: skip


@st.composite
def mutated_rulesets(draw: st.DrawFn) -> str:
    text = BASE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)))
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
    return text


@fuzz(150, share=0.2)
@given(text=mutated_rulesets())
def test_fuzz_the_ruleset_loader(text: str) -> None:
    """A mutated ruleset loads, or every issue of its RulesetError names a file (this
    one, or the ruleset it extends) and says what is wrong."""
    with _Timed("ruleset loader", 1):
        issues: tuple[RulesetIssue, ...] = ()
        try:
            parse_ruleset(text.encode("utf-8", "surrogatepass"), "fuzz.toml")
        except RulesetError as exc:
            issues = exc.issues or (RulesetIssue("", "", "no issue"),)
        except UnknownKindError as exc:
            issues = (RulesetIssue("fuzz.toml", "", str(exc)),)
        for issue in issues:
            assert issue.file and issue.message, issue
