"""Hostile input: every case is a clear error with the documented exit code, never a crash.

Each family goes through the command line (``kolrules validate`` and ``kolrules evaluate``
via click's CliRunner): a broken ruleset exits 3 with the file, the key path and the line;
an unusable input file exits 4 with the file and the line (or item); nothing is written
to stdout for a run that fails, and no traceback is shown (the runner's exception is the
``SystemExit`` of the exit code). Rulesets that used to crash but are valid (a 240-term
comparison chain, an infinite tier bound) are evaluated, with every row accounted for
and both evaluation paths agreeing. The limits are listed in docs/limits.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hostile_kit import EXIT_INPUT, EXIT_RULESET, SUMMARY, check_exit, invoke

from kolrules import Platform, hookimpl
from kolrules.cli import main
from kolrules.compile import MAX_FORMAT_PRECISION, MAX_FORMAT_WIDTH
from kolrules.engine import Engine
from kolrules.expression import MAX_CODE_NESTING, MAX_NUMBER, number_source
from kolrules.read import MAX_JSON_DEPTH
from kolrules.ruleset import parse_ruleset
from kolrules.ruleset.source import MAX_TOML_DEPTH

#: An overlay of red-default; what a case adds starts on line 5.
HEAD = '[ruleset]\nname = "hostile"\nversion = "1"\nextends = "red-default"\n'
#: A rule of the overlay (lines 5-7 when it comes first); its require, message ... follow.
RULE = '[[rules]]\nid = "h"\nseverity = "review"\n'
CSV = (
    "id,followers,posts,total_likes,avg_likes,price\n"
    "a,20000,50,90000,300,3000\nb,500,3,10,1,\nc,,,,,\n"
)


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def nested_and(depth: int) -> str:
    """``c and c and c and c and (...)``, ``depth`` levels deep (within MAX_DEPTH and the
    500-character limit, but its code nests more than MAX_CODE_NESTING brackets)."""
    text = "c"
    for _ in range(depth - 1):
        text = f"c and c and c and c and ({text})"
    return text


DEEP_TOML = "x = " + "[" * 5_000 + "]" * 5_000 + "\n"
DEEP_INLINE = "x = " + "{ y = " * 3_000 + "1" + " }" * 3_000 + "\n"
ABOVE_DEPTH = "[" * (MAX_TOML_DEPTH + 8) + "]" * (MAX_TOML_DEPTH + 8)
NINES = "9" * 400
SMALL = (
    f"the number {NINES[:12]}...{NINES[-6:]} (400 characters) is too large: a number may "
    f"be at most {MAX_NUMBER:.4g} in size"
)

#: (id, what follows HEAD, key path, line, the message, or its start)
RULESETS = [
    # 1. generated code nested too deeply for Python's compiler
    (
        "code-nesting",
        f'[metrics]\nc = "followers > 0"\n{RULE}require = "{nested_and(19)}"\n',
        "rules[0].require",
        10,
        "rule 'h' require: the expression is too complex: the Python code written for it "
        f"would nest 162 brackets deep; the limit is {MAX_CODE_NESTING}",
    ),
    # 2. numbers too large for a float
    (
        "literal-400-digits",
        f'{RULE}require = "followers < {NINES}"\n',
        "rules[0].require",
        8,
        f"rule 'h' require: {SMALL}",
    ),
    (
        "literal-in-a-list",
        f'{RULE}require = "followers in [1, {NINES}]"\n',
        "rules[0].require",
        8,
        f"rule 'h' require: {SMALL}",
    ),
    (
        "param-400-digits",
        f'[params]\nbig = {NINES}\n{RULE}require = "followers < big"\n',
        "params.big",
        6,
        f"param 'big' is too large (400 digits); a number may be at most {MAX_NUMBER:.4g}",
    ),
    (
        "toml-5000-digits",
        f"[params]\nbig = {'9' * 5_000}\n",
        "",
        6,
        "a number cannot be read: Exceeds the limit (4300 digits)",
    ),
    # 3. infinity and NaN
    (
        "literal-1e400",
        f'{RULE}require = "followers / 1e400 < 1"\n',
        "rules[0].require",
        8,
        "rule 'h' require: the number 1e400 is too large: a number may be at most "
        f"{MAX_NUMBER:.4g} in size",
    ),
    (
        "param-inf",
        f'[params]\nd = inf\n{RULE}require = "followers / d < 1"\n',
        "params.d",
        6,
        "param 'd' is inf (infinite)",
    ),
    (
        "param-minus-inf",
        f'[params]\nd = -inf\n{RULE}require = "followers / d < 1"\n',
        "params.d",
        6,
        "param 'd' is -inf (infinite)",
    ),
    ("param-nan", "[params]\na = nan\n", "params.a", 6, "param 'a' is nan (not a number)"),
    (
        "tier-min-nan",
        '[[tiers]]\nname = "all"\nmin_followers = nan\n',
        "tiers[0].min_followers",
        7,
        "min_followers is nan (not a number)",
    ),
    (
        "tier-max-nan",
        '[[tiers]]\nname = "all"\nmin_followers = 0\nmax_followers = nan\n',
        "tiers[0].max_followers",
        8,
        "max_followers is nan (not a number)",
    ),
    (
        "tier-price-min-inf",
        '[[tiers]]\nname = "all"\nmin_followers = 0\nprice_min = inf\n',
        "tiers[0].price_min",
        8,
        "price_min is inf (infinite)",
    ),
    (
        "overlay-tier-nan",
        "[tier.micro]\nmax_followers = nan\n",
        "tier.micro.max_followers",
        6,
        "max_followers is nan (not a number)",
    ),
    (
        "scoring-weight-nan",
        "[scoring.params.metrics.engagement_rate]\nweight = nan\n",
        "scoring.params.metrics.engagement_rate.weight",
        6,
        "weight is nan (not a number)",
    ),
    # 4. names ending in a newline
    (
        "metric-name-newline",
        '[metrics]\n"m\\n" = "followers"\n',
        'metrics."m\\n"',  # quoted as TOML writes the key
        5,  # the table: the line of a key written with an escape is not found
        "'m\\n' is not a valid name (letters, digits, '_')",
    ),
    (
        "field-name-newline",
        '[fields]\n"f\\n" = "number"\n',
        'fields."f\\n"',  # quoted as TOML writes the key
        5,  # the table: the line of a key written with an escape is not found
        "'f\\n' is not a valid name (letters, digits, '_')",
    ),
    (
        "param-name-newline",
        '[params]\n"p\\n" = 1\n',
        'params."p\\n"',  # quoted as TOML writes the key
        5,  # the table: the line of a key written with an escape is not found
        "'p\\n' is not a valid name (letters, digits, '_')",
    ),
    (
        "rule-id-newline",
        '[[rules]]\nid = "h\\n"\nseverity = "review"\nrequire = "followers > 0"\n',
        "rules[0].id",
        6,
        "rule id 'h\\n' may only use lower-case letters, digits, '-' and '_'",
    ),
    # 5. TOML nested deeper than the parser can go, or than the limit
    (
        "toml-5000-arrays",
        DEEP_TOML,
        "",
        5,
        f"tables and arrays are nested more than {MAX_TOML_DEPTH} levels deep",
    ),
    (
        "toml-3000-inline-tables",
        DEEP_INLINE,
        "",
        5,
        f"tables and arrays are nested more than {MAX_TOML_DEPTH} levels deep",
    ),
    (
        "toml-above-the-limit",
        f"[scoring.params]\nx = {ABOVE_DEPTH}\n",
        "scoring.params.x" + "[0]" * (MAX_TOML_DEPTH - 2),
        6,
        f"tables and arrays are nested more than {MAX_TOML_DEPTH} levels deep",
    ),
    # 7. message format specs
    (
        "format-width-1e9",
        f'{RULE}require = "followers < 1"\nmessage = "{{followers:>1000000000}}"\n',
        "rules[0].message",
        9,
        "bad format {followers:>1000000000}: the width 1000000000 is above the limit of "
        f"{MAX_FORMAT_WIDTH}",
    ),
    (
        "format-width-3e9",
        f'{RULE}require = "followers < 1"\nmessage = "x {{followers:>3000000000}}"\n',
        "rules[0].message",
        9,
        "bad format {followers:>3000000000}: the width 3000000000 is above the limit of "
        f"{MAX_FORMAT_WIDTH}",
    ),
    (
        "format-precision-1e8",
        f'{RULE}require = "followers < 1"\nmessage = "{{followers:.100000000f}}"\n',
        "rules[0].message",
        9,
        "bad format {followers:.100000000f}: the precision .100000000 is above the limit of "
        f"{MAX_FORMAT_PRECISION}",
    ),
    (
        "format-width-5000-digits",
        f'{RULE}require = "followers < 1"\nmessage = "{{handle:0<{"7" * 5_000}}}"\n',
        "rules[0].message",
        9,
        "bad format {handle:0<7777777777...777777}: the width 777777777777...777777 is "
        f"above the limit of {MAX_FORMAT_WIDTH}",
    ),
]


@pytest.mark.parametrize(
    ("body", "key", "line", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in RULESETS],
)
def test_a_hostile_ruleset_is_a_ruleset_error(
    tmp_path: Path, body: str, key: str, line: int, message: str
) -> None:
    path = tmp_path / "hostile.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    data = tmp_path / "kols.csv"
    data.write_text(CSV, encoding="utf-8")
    where = f"{path}:{line}" + (f" [{key}]" if key else "") + ": "
    for args in (["validate", path], ["evaluate", "-r", path, "-f", "csv", data]):
        result = invoke(args)
        check_exit(result, EXIT_RULESET)
        assert where + message in result.stderr, result.stderr
        assert result.stdout.strip() in ("", f"FAIL {path}"), result.stdout


# -- rulesets that crashed and are valid: evaluated, on both paths alike ------------------


#: (id, what follows HEAD): each compiles, and both paths decide every row alike.
VALID = [
    # 1. a comparison chain of 240 terms (its code used to nest two brackets per term)
    ("chain-240", f'[metrics]\na = "followers"\n{RULE}require = "{"<".join(["a"] * 240)}"\n'),
    ("chain-160", f'[metrics]\nf = "followers"\n{RULE}require = "0 <= {"<=".join(["f"] * 159)}"\n'),
    ("or-99", f'[metrics]\nb = "followers > 1000"\n{RULE}require = "{" or ".join(["b"] * 99)}"\n'),
    (
        "coalesce-160",
        f'[metrics]\nf = "followers"\n{RULE}require = "coalesce({", ".join(["f"] * 120)}) > 0"\n',
    ),
    # a chain of metrics solved for what it would take: too deep to write, not solved
    (
        "needs-too-deep",
        '[metrics]\nm0 = "followers'
        + " + 1" * 18
        + '"\n'
        + "".join(f'm{i} = "m{i - 1}' + " + 1" * 18 + '"\n' for i in range(1, 12))
        + f'{RULE}require = "m11 < 5"\n',
    ),
    # 3. inf as a tier's upper bound is no bound
    (
        "tier-max-inf",
        '[[tiers]]\nname = "small"\nmin_followers = 0\nmax_followers = 10000\n'
        '[[tiers]]\nname = "big"\nmin_followers = 10000\nmax_followers = inf\nprice_max = inf\n'
        f'{RULE}require = "present(tier)"\n',
    ),
]


@pytest.mark.parametrize("body", [pytest.param(body, id=name) for name, body in VALID])
def test_a_ruleset_that_used_to_crash_is_evaluated(tmp_path: Path, body: str) -> None:
    path = tmp_path / "valid.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    data = tmp_path / "kols.csv"
    data.write_text(CSV, encoding="utf-8")
    checked = invoke(["validate", path])
    assert checked.exit_code == 0, checked.stderr + checked.stdout
    result = invoke(["evaluate", "-r", path, "-f", "csv", data])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    (counts,) = SUMMARY.findall(result.stderr)
    read, accepted, review, rejected, errors = map(int, counts)
    assert read == 3 == accepted + review + rejected + errors
    assert len(pl.read_csv(result.stdout.encode()).rows()) == 3

    engine = Engine(path, load_entrypoints=False)
    frame = pl.read_csv(data, infer_schema=False)
    framed = engine.evaluate_frame(frame)
    for i, row in enumerate(frame.iter_rows(named=True)):
        one = engine.evaluate_one(row)
        outcome = next(f.outcome for f in one.findings if f.rule == "h")
        assert framed.select("verdict", "tier", "rule:h").row(i) == (one.verdict, one.tier, outcome)


def test_a_need_too_deep_to_write_is_not_solved(tmp_path: Path) -> None:
    """Metrics expanded into a rule's need can nest deeper than any expression written:
    the rule then says it cannot be solved (its code used to fail to compile)."""
    body = dict(VALID)["needs-too-deep"]
    path = tmp_path / "deep.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    engine = Engine(path, load_entrypoints=False)
    [rule] = [r for r in engine.plan.rules if r.rule.id == "h"]
    assert rule.needs == ()
    one = engine.evaluate_one({"id": "a", "followers": 20_000})
    [finding] = [f for f in one.findings if f.rule == "h"]
    assert (finding.outcome, finding.to_pass) == ("fail", None)


# -- input files ------------------------------------------------------------------------


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


#: (id, file name, its text, the message after "input file <path>")
INPUTS = [
    (
        "json-10000-levels",
        "deep.json",
        '[{"id": "a", "followers": ' + _deep(10_000) + "}]",
        f", line 1: arrays and objects are nested more than {MAX_JSON_DEPTH} levels deep",
    ),
    (
        "json-one-level-too-many",
        "deep.json",
        # the wrapper object, its array, a profile: 3 levels, and 62 more
        '{"rows": [\n{"id": "a", "followers": 5},\n{"id": "b", "x": '
        + _deep(MAX_JSON_DEPTH - 2)
        + "}\n]}",
        ", item 2 of the array under 'rows': arrays and objects are nested more than "
        f"{MAX_JSON_DEPTH} levels deep",
    ),
    (
        "jsonl-10000-levels",
        "deep.jsonl",
        '{"id": "a", "followers": 5}\n{"id": "b", "x": ' + _deep(10_000) + "}\n",
        f", line 2: arrays and objects are nested more than {MAX_JSON_DEPTH} levels deep",
    ),
    (
        "jsonl-one-level-too-many",
        "deep.jsonl",
        '{"id": "a", "followers": 5}\n\n{"id": "b", "x": ' + _deep(MAX_JSON_DEPTH) + "}\n",
        f", line 3: arrays and objects are nested more than {MAX_JSON_DEPTH} levels deep",
    ),
    (
        "json-lone-surrogate",
        "surrogate.json",
        '[\n{"id": "ok", "followers": 5},\n{"id": "k\\ud800", "followers": 5}\n]',
        ", item 2 of the top-level array (line 3): the value of 'id' holds \\ud800, half of "
        "a UTF-16 surrogate pair with no other half, which is not a character",
    ),
    (
        "jsonl-lone-surrogate-key",
        "surrogate.jsonl",
        '{"id": "ok", "followers": 5}\n{"id": "k", "f\\udc00": 5}\n',
        ", line 2: the key 'f\\udc00' holds \\udc00, half of a UTF-16 surrogate pair with no "
        "other half, which is not a character",
    ),
    (
        "jsonl-lone-surrogate-in-a-list",
        "surrogate.jsonl",
        '{"id": "ok", "followers": 5}\n{"id": "k", "tags": ["a\\ud800"]}\n',
        ", line 2: the value of 'tags' holds \\ud800, half of a UTF-16 surrogate pair with no "
        "other half, which is not a character",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "message"), [pytest.param(*case[1:], id=case[0]) for case in INPUTS]
)
@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_a_hostile_input_file_is_an_input_error(
    tmp_path: Path, name: str, text: str, message: str, fmt: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke(["evaluate", "-f", fmt, path])
    check_exit(result, EXIT_INPUT)
    assert f"error: input file {path}{message}" in result.stderr, result.stderr
    assert result.stdout == ""  # nothing half-written


#: (id, file name, its text): at the limits, read; every row accounted for.
READABLE = [
    (
        "jsonl-at-the-limit",
        "deep.jsonl",
        '{"id": "a", "followers": 5}\n{"id": "b", "x": ' + _deep(MAX_JSON_DEPTH - 1) + "}\n",
    ),
    (
        "json-at-the-limit",
        "deep.json",
        '[{"id": "a", "followers": 5}, {"id": "b", "x": ' + _deep(MAX_JSON_DEPTH - 2) + "}]",
    ),
    ("json-surrogate-pair", "pair.json", '[{"id": "\\ud83d\\ude00", "followers": 5}, {"id": "b"}]'),
]


@pytest.mark.parametrize(("name", "text"), [pytest.param(*c[1:], id=c[0]) for c in READABLE])
def test_input_at_the_limits_is_read(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke(["evaluate", "-f", "csv", path])
    assert result.exit_code == 0, result.stderr
    (counts,) = SUMMARY.findall(result.stderr)
    read, accepted, review, rejected, errors = map(int, counts)
    assert read == 2 == accepted + review + rejected + errors
    assert len(pl.read_csv(result.stdout.encode(), infer_schema=False).rows()) == 2


# -- what the code generators write -------------------------------------------------------


@pytest.mark.parametrize("value", [math.inf, -math.inf, 1e308, -0.0, 5e-324])
def test_every_float_is_written_as_python_source(value: float) -> None:
    assert eval(number_source(value), {}) == value  # no name: inf and nan are not Python
    assert math.isnan(eval(number_source(math.nan), {}))


class _OddNames:
    """A platform (plugin data, not checked like a ruleset) whose field and metric names
    are no Python identifiers: a space, a final newline."""

    @hookimpl
    def kolrules_platforms_register(self) -> list[Platform]:
        data = {
            "platform": {"name": "odd"},
            "fields": {"fans count": "number"},
            "metrics": {"per fan\n": "followers * 2"},
            "tiers": [{"name": "all", "min_followers": 0, "max_followers": math.inf}],
        }
        return [Platform.from_mapping(data)]


def test_names_that_are_no_identifiers_still_compile() -> None:
    ruleset = parse_ruleset(
        '[ruleset]\nname = "r"\nversion = "1"\nplatform = "odd"\n'
        '[[rules]]\nid = "h"\nseverity = "review"\nrequire = "followers > 10"\n',
        "tests/odd.toml",
    )
    engine = Engine(ruleset, plugins=[_OddNames()], load_entrypoints=False)
    rows = [{"id": "a", "followers": 5, "fans count": 3}, {"id": "b", "followers": 50}]
    framed = engine.evaluate_frame(pl.DataFrame(rows))
    for i, row in enumerate(rows):
        one = engine.evaluate_one(row)
        assert one.metrics["per fan\n"] == 2 * row["followers"]
        outcome = next(f.outcome for f in one.findings if f.rule == "h")
        assert framed.select("verdict", "tier", "rule:h").row(i) == (one.verdict, one.tier, outcome)
    assert framed["rule:h"].to_list() == ["fail", "pass"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep", 'ruleset = "red-default"\n' + DEEP_TOML),
        ("digits", f'ruleset = "red-default"\nbig = {"9" * 5_000}\n'),
    ],
)
def test_a_hostile_test_file_is_a_ruleset_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / f"{name}.test.toml"
    path.write_text(text, encoding="utf-8")
    for command in (["test", str(path)], ["validate", str(path)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 3, (command, result.output)
        assert isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        assert str(path) in result.output


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ('followers = ["posts"]', "the header 'posts' would mean both 'followers' and 'posts'"),
        ('handle = ["user_id"]', "the header 'user_id' would mean both 'id' and 'handle'"),
    ],
)
def test_a_header_claimed_by_two_fields_is_a_ruleset_error(
    tmp_path: Path, columns: str, message: str
) -> None:
    path = tmp_path / "clash.toml"
    path.write_text(
        f'[ruleset]\nname = "clash"\nversion = "1"\nextends = "red-default"\n\n'
        f"[columns]\n{columns}\n",
        encoding="utf-8",
    )
    field = columns.split(" ")[0]
    examples = Path(__file__).resolve().parent.parent / "examples"
    for args in (["validate", path], ["evaluate", examples / "candidates.csv", "-r", path]):
        result = invoke(args)
        check_exit(result, EXIT_RULESET)
        assert f"{path}:7 [columns.{field}]: {message}: a header belongs to one field" in (
            result.stderr
        )


def test_a_platform_whose_columns_claim_a_header_twice_is_a_plugin_error() -> None:
    from kolrules.errors import PluginError

    class Clashing:
        @hookimpl
        def kolrules_platforms_register(self) -> list[Platform]:
            return [
                Platform.from_mapping(
                    {
                        "platform": {"name": "clashing"},
                        "columns": {"followers": ["fans"], "posts": ["FANS"]},
                    }
                )
            ]

    ruleset = '[ruleset]\nname = "c"\nversion = "1"\nplatform = "clashing"\n\n[[tiers]]\n'
    ruleset += 'name = "all"\nmin_followers = 0\n\n[[rules]]\nid = "r"\n'
    ruleset += 'require = "followers > 0"\nseverity = "warn"\n'
    with pytest.raises(PluginError, match="platform 'clashing': the header 'FANS' would mean"):
        Engine(parse_ruleset(ruleset, "c.toml"), plugins=[Clashing()], load_entrypoints=False)


@pytest.mark.parametrize("body", ["raise KeyboardInterrupt\n", "import sys\nsys.exit(3)\n"])
def test_a_plugin_interrupting_its_own_import_is_a_plugin_error(tmp_path: Path, body: str) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "stops.py").write_text(body, encoding="utf-8")
    examples = Path(__file__).resolve().parent.parent / "examples"
    result = invoke(["--plugins-dir", folder, "evaluate", examples / "candidates.csv"])
    check_exit(result, 5)
    assert "plugin 'stops' (from --plugins-dir" in result.stderr
    assert "failed to import" in result.stderr
