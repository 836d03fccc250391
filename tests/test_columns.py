"""What was read (issue 17): how an input's headers map to fields, shown by ``kolrules
columns``, at the top of ``kolrules evaluate``'s table, as the json format's ``columns``,
and the input values ``kolrules explain`` shows beside the metrics."""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from kolrules.cli import EXIT_INPUT, EXIT_OK, main
from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.normalise import read_headers
from kolrules.report import render_json
from kolrules.types import Columns

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# A Weibo profile-only export, as issue 17 met it: no likes, comments or quotes.
WEIBO = "uid,followers_count,class,备注\nw1,5000,3,x\nw2,800,4,\n"
WEIBO_READ = {"id": "uid", "followers": "followers_count"}
WEIBO_LACKING = {
    "avg_likes": ("zombie-fans", "engagement-rate-low", "few-comments"),
    "avg_comments": ("zombie-fans", "engagement-rate-low", "few-comments"),
    "avg_shares": ("zombie-fans", "engagement-rate-low"),
    "price": ("gifting-candidate", "price-above-tier-band", "price-below-tier-band"),
    "origin": ("celebrity-endorsement",),
    "following": ("following-ratio",),
}
# Every input these read is lacking (the others read followers too, or the tier, or say
# what a missing value means): they are not applied to any row.
WEIBO_NOT_APPLIED = ["few-comments", "gifting-candidate"]


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(args: Sequence[str | Path], code: int = EXIT_OK) -> Result:
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # pragma: no cover - click 8.1
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    else:
        runner = CliRunner()
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- computing it -----------------------------------------------------------------------


def test_each_field_its_header_the_unused_headers_and_what_the_rules_lack() -> None:
    engine = Engine("weibo-default", load_entrypoints=False)
    found = engine.columns_read(["uid", "followers_count", "class", "备注"])
    assert found == Columns(
        WEIBO_READ, ("class", "备注"), WEIBO_LACKING, (), tuple(WEIBO_NOT_APPLIED)
    )
    assert found.to_dict() == {
        "read": WEIBO_READ,
        "unused": ["class", "备注"],
        "lacking": {f: list(r) for f, r in WEIBO_LACKING.items()},
        "not_applied": WEIBO_NOT_APPLIED,
    }


def test_fields_come_in_schema_order_with_the_platforms_spellings() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    read, unused = read_headers(["备注", "粉丝数", "小红书号", "Price"], engine.plan.schema)
    assert list(read.items()) == [("id", "小红书号"), ("followers", "粉丝数"), ("price", "Price")]
    assert unused == ("备注",)


def test_a_missing_required_field_is_listed_not_raised() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    found = engine.columns_read(["id", "reach"])
    assert found.required == ("followers",)
    assert found.unused == ("reach",)
    assert found.to_dict()["required"] == ["followers"]
    with pytest.raises(InputFileError, match="no 'followers' column"):
        engine.normalise_frame(pl.DataFrame({"id": ["a"], "reach": ["1"]}))  # a run stops


def test_two_headers_for_one_field_are_still_refused() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    with pytest.raises(
        InputFileError, match="columns 'followers' and '粉丝数' both mean 'followers'"
    ):
        engine.columns_read(["id", "粉丝数", "followers"])


def test_a_field_read_through_a_metric_is_lacking_for_the_rules_reading_the_metric(
    tmp_path: Path,
) -> None:
    ruleset = write(
        tmp_path,
        "rs.toml",
        '[ruleset]\nname = "t"\nversion = "1"\nextends = "red-default"\n\n'
        '[metrics]\nviews_per_post = "avg_views / posts"\n\n'
        '[[rules]]\nid = "views"\nrequire = "views_per_post >= 1"\nseverity = "warn"\n',
    )
    engine = Engine(ruleset, load_entrypoints=False)
    lacking = engine.columns_read(["id", "followers", "posts"]).lacking
    assert lacking["avg_views"] == ("likes-per-view-band", "views")
    assert "posts" not in lacking


def test_reports_of_a_file_carry_the_columns_and_reports_of_mappings_do_not(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    engine = Engine("weibo-default", load_entrypoints=False)
    assert engine.evaluate_file(path).columns == engine.read_columns(path)
    assert engine.preview(path, 1)[0].columns == engine.read_columns(path)
    report = engine.evaluate([{"id": "w1", "followers": 5000}])
    assert report.columns is None
    out = io.StringIO()
    render_json(report, out)
    assert '\n  "columns": null,\n' in out.getvalue()


# -- showing it -------------------------------------------------------------------------


def test_the_columns_command(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    out = run(["columns", path, "-r", "weibo-default"]).stdout
    assert out.splitlines() == [
        f"columns of {path} for ruleset weibo-default 1.0.0 (platform weibo)",
        "field         header           note",
        "─" * 100,
        "id            uid",
        "followers     followers_count",
        "avg_likes     -                not in the input; read by rules zombie-fans, "
        "engagement-rate-low,",
        "                               few-comments",
        "avg_comments  -                not in the input; read by rules zombie-fans, "
        "engagement-rate-low,",
        "                               few-comments",
        "avg_shares    -                not in the input; read by rules zombie-fans, "
        "engagement-rate-low",
        "price         -                not in the input; read by rules gifting-candidate,",
        "                               price-above-tier-band, price-below-tier-band",
        "origin        -                not in the input; read by rule celebrity-endorsement",
        "following     -                not in the input; read by rule following-ratio",
        "not applied: few-comments, gifting-candidate: to no row, as the input lacks all they read",
        "not used: class, 备注",
    ]


def test_the_columns_command_as_json(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    data = json.loads(run(["columns", path, "-r", "weibo-default", "--json"]).stdout)
    assert data == {
        "ruleset": {"name": "weibo-default", "version": "1.0.0"},
        "platform": "weibo",
        "source": str(path),
        "read": WEIBO_READ,
        "unused": ["class", "备注"],
        "lacking": {f: list(r) for f, r in WEIBO_LACKING.items()},
        "not_applied": WEIBO_NOT_APPLIED,
    }


def test_the_columns_command_names_a_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, "k.csv", "id,reach\na,1\n")
    out = run(["columns", path, "-r", "red-default"]).stdout
    assert "\nfollowers         -       required: not in the input, a run stops\n" in out
    assert out.endswith("not used: reach\n")
    result = run(["evaluate", path], code=EXIT_INPUT)
    assert "no 'followers' column" in result.stderr


def test_the_table_opens_with_the_columns_block(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    lines = run(["evaluate", path, "-r", "weibo-default"]).stdout.splitlines()
    assert lines[:7] == [
        f"ruleset weibo-default 1.0.0 · {path}",
        "columns read       uid→id, followers_count→followers",
        "not used           class, 备注",
        "not in the input   avg_likes, avg_comments, avg_shares, price, origin, following: 8 "
        "rules read them",
        "                   (kolrules columns names them)",
        "not applied        few-comments, gifting-candidate: to no row, as the input lacks all "
        "they read",
        "",
    ]


def test_the_table_of_an_export_with_its_own_spellings() -> None:
    out = run(["evaluate", EXAMPLES / "candidates.csv"]).stdout
    assert out.splitlines()[1:4] == [
        "columns read   id, platform, handle, followers, posts, total_likes, avg_likes, "
        "avg_comments,",
        "               avg_collects, avg_shares, avg_views, price, account_age_days, origin, "
        "category",
        "",
    ]


def test_the_json_format_carries_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    data = json.loads(run(["evaluate", path, "-r", "weibo-default", "-f", "json"]).stdout)
    assert list(data) == ["ruleset", "source", "columns", "decisions", "errors", "summary"]
    assert data["columns"]["read"] == WEIBO_READ
    assert data["columns"]["unused"] == ["class", "备注"]
    lines = run(["evaluate", path, "-r", "weibo-default", "-f", "jsonl"]).stdout.splitlines()
    assert all("columns" not in json.loads(line) for line in lines)  # jsonl is unchanged


def test_explain_shows_the_input_values_beside_the_metrics() -> None:
    out = run(["explain", EXAMPLES / "candidates-gbk.csv", "--id", "red-014"]).stdout
    assert "inputs" in out and "metrics" in out
    row = next(line for line in out.splitlines() if line.startswith("│ followers "))
    assert row.startswith("│ followers        │    18,000 │ 粉丝数     │  │ ")
    handle = next(line for line in out.splitlines() if "│ handle " in line)
    assert "小城穿搭" in handle and "博主昵称" in handle


def test_explain_json_has_the_inputs() -> None:
    args = ["explain", EXAMPLES / "candidates.csv", "--id", "red-014", "-f", "json"]
    data = json.loads(run(args).stdout)
    assert data["inputs"]["followers"] == 18000.0
    assert data["inputs"]["handle"] == "小城穿搭"
    assert list(data["inputs"])[:3] == ["id", "platform", "handle"]


def test_explain_of_a_profile_without_a_tier(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "id,followers\nsmall,10\n")
    out = run(["explain", path, "--id", "small", "-r", "weibo-default"]).stdout
    assert "no fair band: no tier;" in out
    assert "missing-missing" not in out


# -- the platforms' spellings of common exports -------------------------------------------

EXPORT_HEADERS = {
    "user_id": "id",
    "user_name": "handle",
    "follower_num": "followers",
    "post_num": "posts",
}


@pytest.mark.parametrize("ruleset", ["red-default", "weibo-default", "wechat-default"])
def test_common_export_spellings_are_known_on_every_platform(ruleset: str) -> None:
    schema = Engine(ruleset, load_entrypoints=False).plan.schema
    read, unused = read_headers([*EXPORT_HEADERS, "class"], schema)
    assert read == {field: header for header, field in EXPORT_HEADERS.items()}
    assert unused == ("class",)
    chinese = ["用户名", "粉丝数量", "posts_count"]
    assert read_headers(chinese, schema)[0] == {
        "handle": "用户名",
        "followers": "粉丝数量",
        "posts": "posts_count",
    }


@pytest.mark.parametrize("ruleset", ["red-default", "weibo-default"])
@pytest.mark.parametrize("header", ["followee_num", "following", "关注数", "关注人数"])
def test_the_accounts_followed_where_the_platform_shows_them(ruleset: str, header: str) -> None:
    schema = Engine(ruleset, load_entrypoints=False).plan.schema
    assert read_headers(["id", header], schema)[0] == {"id": "id", "following": header}


def test_a_weibo_research_export_is_read_without_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "weibo.csv",
        "user_id,user_name,follower_num,followee_num,post_num,class\n1,a,5000,12000,40,3\n",
    )
    engine = Engine("weibo-default", load_entrypoints=False)
    found = engine.read_columns(path)
    assert found.read == {
        "id": "user_id",
        "handle": "user_name",
        "followers": "follower_num",
        "posts": "post_num",
        "following": "followee_num",
    }
    assert found.unused == ("class",)
    (decision,) = engine.evaluate_file(path).decisions
    assert next(f for f in decision.findings if f.rule == "following-ratio").outcome == "fail"


# -- explain: the fair band, or why there is none -------------------------------------------


@pytest.mark.parametrize(
    ("tier", "low", "high", "said"),
    [
        (None, None, None, "no fair band: no tier;"),
        ("koc", None, None, "no fair band for this tier;"),
        ("celebrity", 30_000.0, None, "fair band at least 30,000 RMB;"),
        ("capped", None, 8_000.0, "fair band at most 8,000 RMB;"),
        ("micro", 500.0, 8_000.0, "fair band 500-8,000 RMB;"),
    ],
)
def test_explain_says_the_fair_band_or_why_there_is_none(
    tier: str | None, low: float | None, high: float | None, said: str
) -> None:
    from kolrules.report import render_explanation
    from kolrules.types import Decision, PriceAssessment, RulesetRef

    decision = Decision(
        id="k",
        platform="weibo",
        row=1,
        verdict="accept",
        tier=tier,
        score=None,
        price=PriceAssessment(None, low, high, None, None, True),
        findings=(),
        data_errors=(),
        ruleset=RulesetRef("r", "1", "0" * 64, ("r.toml",)),
    )
    out = io.StringIO()
    headers = {"followers": "粉丝数", "price": "报价"}
    render_explanation(decision, out, {"followers": 10.0, "handle": "[b]x"}, headers)
    lines = out.getvalue().splitlines()
    assert lines[1] == f"no quote (gifting candidate); {said} position n/a; CPE missing"
    assert any(line.startswith("│ followers │    10 │ 粉丝数 │") for line in lines)
    assert any(line.startswith("│ handle    │  [b]x │        │") for line in lines)  # as text


# -- a rule whose inputs the whole input lacks ----------------------------------------------

NO_PRICE = "id,followers,avg_likes,avg_comments\nk1,20000,500,40\nk2,30000,900,60\n"


def _gifting(decision: object) -> tuple[str, str]:
    found = next(f for f in decision.findings if f.rule == "gifting-candidate")  # type: ignore[attr-defined]
    return found.outcome, found.message


def test_a_rule_reading_a_column_the_file_lacks_is_not_applied_to_any_row(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "k.csv", NO_PRICE)
    engine = Engine("red-default", load_entrypoints=False)
    report = engine.evaluate_file(path)
    said = ("not_applicable", "not applicable: the input has no column for price")
    assert [_gifting(d) for d in report.decisions] == [said, said]
    assert not any(d.price.gifting for d in report.decisions)
    assert "gifting-candidate" in report.columns.not_applied  # type: ignore[union-attr]
    # the same rows given one by one, as the rows of that file, and as loose profiles
    rows = [{"id": "k1", "followers": 20000, "avg_likes": 500, "avg_comments": 40}]
    headers = ["id", "followers", "avg_likes", "avg_comments"]
    assert _gifting(engine.evaluate_one(rows[0], headers=headers)) == said
    assert engine.evaluate(rows, headers=headers).decisions[0] == report.decisions[0]
    alone = engine.evaluate_one(rows[0])  # one profile: a key left out is a missing value
    assert _gifting(alone) == ("fail", "no quote: gifting (product seeding) candidate")
    assert alone.price.gifting


def test_an_empty_cell_in_a_price_column_is_still_a_gifting_candidate(tmp_path: Path) -> None:
    path = write(tmp_path, "k.csv", "id,followers,price\nk1,20000,\nk2,30000,3000\n")
    report = Engine("red-default", load_entrypoints=False).evaluate_file(path)
    first, second = report.decisions
    assert _gifting(first)[0] == "fail" and first.price.gifting
    assert _gifting(second)[0] == "pass" and not second.price.gifting
    assert "gifting-candidate" not in report.columns.not_applied  # type: ignore[union-attr]


def test_every_output_says_it_once_for_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "k.csv", NO_PRICE)
    csv_out = run(["evaluate", path, "-f", "csv"]).stdout
    header, *rows = csv_out.splitlines()
    at = header.split(",").index("gifting")
    assert [r.split(",")[at] for r in rows] == ["false", "false"]
    assert "gifting" not in csv_out.split("\n", 1)[1].replace("not_applicable", "")
    streamed = tmp_path / "out.csv"
    Engine("red-default", load_entrypoints=False).evaluate_to_file(path, streamed, batch_rows=1)
    assert streamed.read_text(encoding="utf-8") == csv_out
    data = json.loads(run(["evaluate", path, "-f", "json"]).stdout)
    assert "gifting-candidate" in data["columns"]["not_applied"]
    assert data["columns"]["lacking"]["price"][0] == "gifting-candidate"
    assert all(not d["price"]["gifting"] for d in data["decisions"])
    table = run(["evaluate", path]).stdout
    assert " gifting " not in table  # not in the position column
    assert "gifting-candidate, price-outside-usual-range" in table.split("\n\n")[0]


def test_a_file_with_every_column_keeps_the_engines_plan() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    every = list(engine.plan.schema.fields)
    assert engine.plan_for(every) is engine.plan
    some = engine.plan_for(["id", "followers"])
    assert some is engine.plan_for(["followers", "id"])  # made once per set of fields
    assert "price" in some.absent and not engine.plan.absent
    guarded = {r.rule.id: r for r in some.rules}["gifting-candidate"]
    assert guarded.absent == ("price",)
    assert guarded.when is not None and guarded.when.source == "present(price)"


def test_a_vetting_rule_not_applied_for_the_file_counts_as_missing_its_field(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "w.csv", WEIBO)
    report = Engine("weibo-default", load_entrypoints=False).evaluate_file(path)
    applied = report.decisions[0].applied
    assert applied is not None and not applied.enough
    assert applied.note == (
        "only 2 of 6 vetting rules could be applied: missing avg_likes, avg_comments, "
        "avg_shares, following"
    )
    few = next(f for f in report.decisions[0].findings if f.rule == "few-comments")
    assert few.message == "not applicable: the input has no column for avg_likes, avg_comments"
    table = run(["evaluate", path, "-r", "weibo-default"]).stdout
    assert "only 2 of 6 vetting rules could be" in table  # the table says why: review


def test_the_plans_of_inputs_without_some_columns_are_bounded() -> None:
    """A service given bodies of ever other columns keeps at most MAX_INPUT_PLANS plans."""
    from kolrules.compile import MAX_INPUT_PLANS

    engine = Engine("red-default", load_entrypoints=False)
    optional = [f for f in engine.plan.schema.fields if f not in ("id", "followers")]
    sets = [
        ["id", "followers", *(f for k, f in enumerate(optional) if n >> k & 1)]
        for n in range(MAX_INPUT_PLANS + 10)
    ]
    plans = [engine.plan_for(headers) for headers in sets]
    kept = engine.plan.memo("compile.without_inputs", dict)
    assert 0 < len(kept) <= MAX_INPUT_PLANS
    for headers, plan in zip(sets, plans, strict=True):
        assert plan.absent == frozenset(engine.plan.schema.fields) - set(headers)
        assert engine.plan_for(headers).absent == plan.absent  # made again if let go
