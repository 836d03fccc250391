"""Output in Chinese and English (``--lang``, ``Engine(lang=...)``): rule messages given
per language, the engine's own words, the reports for people; both evaluation paths
saying the same in Chinese; the locale default; and the errors of message tables.

English output is pinned by the tests of each step (tests/test_report.py,
tests/test_cli.py, tests/test_findings.py, ...); here it is checked only beside Chinese.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from kolrules.cli import main, options
from kolrules.engine import Engine
from kolrules.errors import RulesetError, UnknownKindError
from kolrules.evaluate import JOIN, to_pass_text
from kolrules.findings.words import LANGS, words_for
from kolrules.ruleset import load_ruleset, parse_ruleset
from kolrules.types import Decision

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = REPO / "examples" / "candidates.csv"
BUNDLED = sorted((REPO / "rulesets").rglob("*.toml"))


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def csv_rows(text: str) -> dict[str, dict[str, str | None]]:
    frame = pl.read_csv(io.StringIO(text), infer_schema_length=0)
    return {row["id"]: row for row in frame.iter_rows(named=True) if row["id"]}


# -- the bundled rulesets ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [p for p in BUNDLED if not p.name.endswith(".test.toml")], ids=lambda p: p.name
)
def test_every_bundled_rule_message_is_given_in_english_and_chinese(path: Path) -> None:
    rs = load_ruleset(path)
    for rule in rs.rules:
        assert set(rule.messages) == {"en", "zh"}, rule.id
        assert rule.message == rule.messages["en"]
        assert rule.messages["zh"] != rule.messages["en"]


# -- evaluate and explain on the command line ----------------------------------------------


def test_the_table_in_chinese_and_in_english() -> None:
    zh = run("evaluate", str(CANDIDATES), "--lang", "zh", "--limit", "10")
    en = run("evaluate", str(CANDIDATES), "--lang", "en", "--limit", "10")
    assert zh.exit_code == en.exit_code == 0
    assert zh.output.startswith(f"规则集 red-default 1.0.0 · {CANDIDATES}\n")
    assert en.output.startswith(f"ruleset red-default 1.0.0 · {CANDIDATES}\n")
    zh_lines, en_lines = zh.output.splitlines(), en.output.splitlines()
    assert any(line.split()[:4] == ["ID", "handle", "档位", "结论"] for line in zh_lines)
    assert any(line.split()[:4] == ["id", "handle", "tier", "verdict"] for line in en_lines)
    red_008 = next(line for line in zh_lines if line.startswith("red-008"))
    assert red_008.split()[2:4] == ["尾部", "拒绝"]
    assert "区间内" in red_008 and "获赞与收藏总数为粉丝数" in red_008
    assert "within" in en.output and "区间内" not in en.output
    assert zh_lines[-1] == "读取 37 行 = 通过 20 + 复核 11 + 拒绝 3 + 错误 3"
    assert en_lines[-1] == "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3"
    assert zh_lines[-3] == (
        "（共 37 行，此处列出前 10 行；--limit N 列出更多，-o FILE.csv 或 -f jsonl 写出全部）"
    )


def test_csv_reasons_follow_the_language_and_the_columns_do_not(tmp_path: Path) -> None:
    zh, en = tmp_path / "zh.csv", tmp_path / "en.csv"
    out_zh = run("evaluate", str(CANDIDATES), "--lang", "zh", "-o", str(zh))
    out_en = run("evaluate", str(CANDIDATES), "--lang", "en", "-o", str(en))
    assert out_zh.output == "读取 37 行 = 通过 20 + 复核 11 + 拒绝 3 + 错误 3\n"
    assert out_en.output == "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3\n"
    text_zh = zh.read_text(encoding="utf-8-sig")
    text_en = en.read_text(encoding="utf-8-sig")
    assert text_zh.splitlines()[0] == text_en.splitlines()[0]  # the same columns
    rows_zh, rows_en = csv_rows(text_zh), csv_rows(text_en)
    for row_id, row in rows_zh.items():  # what other programs read stays as it is
        for column in ("verdict", "tier", "position", "status", "rule:tier-known"):
            assert row[column] == rows_en[row_id][column]
    assert rows_zh["red-008"]["reasons"] == (
        "获赞与收藏总数为粉丝数的 0.60 倍，低于 1 倍：疑似假粉 | 篇均互动为粉丝数的 0.66%，低于 3%"
    )
    assert rows_en["red-008"]["reasons"] == (
        "total likes and collects are 0.60x followers, below 1x: likely fake followers | "
        "engagement per post is 0.66% of followers, below 3%"
    )
    assert rows_zh["red-014"]["to_pass"] == (
        "likes-per-follower-low: total_likes 不低于 54,000（目前 45,000），或 followers "
        "不高于 15,000（目前 18,000） | few-comments: avg_comments 不低于 10（目前 4），或 "
        "avg_likes 不高于 200（目前 500）"
    )
    assert rows_en["red-014"]["to_pass"] == (
        "likes-per-follower-low: total_likes at least 54,000 (now 45,000) or followers at "
        "most 15,000 (now 18,000) | few-comments: avg_comments at least 10 (now 4) or "
        "avg_likes at most 200 (now 500)"
    )
    assert rows_zh["red-005"]["to_pass"] == "gifting-candidate: 需提供 price"
    assert rows_zh["red-020"]["to_pass"].startswith("celebrity-endorsement: 无法由输入推算 | ")
    # A missing value in a message is said in the language too.
    assert rows_zh["red-025"]["reasons"] == (
        "粉丝数 缺失 不属于任何档位（缺失，或低于最低档位）：请核实粉丝数"
    )
    assert rows_en["red-025"]["reasons"] == (
        "no tier for missing followers (missing, or below the lowest tier): check the "
        "follower count"
    )


def test_json_messages_follow_the_language_and_the_values_do_not() -> None:
    zh = run("evaluate", str(CANDIDATES), "--lang", "zh", "-f", "jsonl")
    lines = [json.loads(line) for line in zh.stdout.splitlines()]
    red_008 = next(line for line in lines if line.get("id") == "red-008")
    assert red_008["verdict"] == "reject" and red_008["tier"] == "micro"
    assert red_008["why"] == "拒绝：likes-below-followers 未通过"
    finding = next(f for f in red_008["findings"] if f["rule"] == "likes-per-view-band")
    assert finding["outcome"] == "not_applicable"
    assert finding["message"] == "不适用：present(avg_views) 不成立（缺少 avg_views）"
    assert lines[-1]["kind"] == "summary" and "accepted" in lines[-1]


def test_explain_in_chinese_and_in_english() -> None:
    zh = run("explain", str(CANDIDATES), "--id", "red-008", "--lang", "zh")
    en = run("explain", str(CANDIDATES), "--id", "red-008", "--lang", "en")
    assert zh.output.splitlines()[:5] == [
        "red-008（red）：结论 拒绝，档位 尾部，评分 23.1",
        "判定依据：拒绝：likes-below-followers 未通过",
        "已应用审核规则：8/9（缺少 avg_views）",
        "报价 3,000 元；合理价格区间 500-8,000 元；位置 区间内；CPE 15.15",
        zh.output.splitlines()[4],
    ]
    assert zh.output.splitlines()[4].startswith("规则集 red-default 1.0.0（")
    assert en.output.splitlines()[:4] == [
        "red-008 (red): verdict reject, tier micro, score 23.1",
        "why: reject: likes-below-followers failed",
        "vetting rules applied: 8 of 9 (missing avg_views)",
        "quote 3,000 RMB; fair band 500-8,000 RMB; position within; CPE 15.15",
    ]
    for word in (
        "检查结果",
        "说明（及通过条件）",
        "未通过",
        "不适用",
        "通过条件：",
        "指标",
        "表头",
    ):
        assert word in zh.output
    assert "（已由 likes-below-followers 说明，原因中不再重复）" in zh.output
    assert "(said by likes-below-followers: not repeated among" in en.output


# -- the locale --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "C", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_HK.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "", "LANG": "ZH_cn"}, "zh"),  # an empty variable is not set
    ],
)
def test_the_language_the_locale_asks_for(
    env: dict[str, str], lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert options.default_lang() == lang


def test_the_command_line_speaks_the_locale_unless_told(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    zh_locale = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}
    said = run("evaluate", str(CANDIDATES), "-o", str(out), env=zh_locale)
    assert said.output == "读取 37 行 = 通过 20 + 复核 11 + 拒绝 3 + 错误 3\n"
    told = run("evaluate", str(CANDIDATES), "-o", str(out), "--lang", "en", env=zh_locale)
    assert told.output == "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3\n"
    bad = CliRunner().invoke(main, ["evaluate", str(CANDIDATES), "--lang", "fr"])
    assert bad.exit_code == 2
    assert "'fr' is not one of 'en', 'zh'" in bad.output


def test_the_command_line_offers_the_languages_the_engine_speaks() -> None:
    assert options.LANGS == LANGS


def test_an_engine_refuses_a_language_it_does_not_speak() -> None:
    with pytest.raises(UnknownKindError) as caught:
        Engine(load_entrypoints=False, lang="fr")
    assert str(caught.value) == "unknown language 'fr'; known languages: en, zh"


# -- message tables in a ruleset ---------------------------------------------------------

BASE = """\
[ruleset]
name = "lang-test"
version = "1"
platform = "red"

[verdict]
min_applicable = 0.9

[[verdict.escalate]]
severity = "warn"
count = 2
to = "review"

[scoring]
strategy = "weighted"

[scoring.params.metrics.engagement_rate]
weight = 1
low = 0.01
high = 0.05

[[rules]]
id = "fake"
require = "total_likes >= followers"
severity = "reject"
message.en = "likes {total_likes:,.0f} below followers {followers:,.0f}"
message.zh = "获赞 {total_likes:,.0f} 少于粉丝 {followers:,.0f}"

[[rules]]
id = "views"
require = "avg_views >= 1000"
missing = "fail"
severity = "warn"
message = { en = "views {avg_views:,.0f}, below 1,000", zh = "浏览量 {avg_views:,.0f}，低于 1,000" }

[[rules]]
id = "posts"
require = "posts >= 50"
severity = "warn"
message = "{posts:.0f} posts"

[[rules]]
id = "comments"
require = "avg_comments >= 10"
severity = "info"
message.zh = "评论 {avg_comments:.0f} 条"

[[rules]]
id = "origin"
when = "present(origin)"
require = "origin != 'celebrity'"
severity = "review"
message.en = "celebrity"
"""


def engine_of(text: str, lang: str) -> Engine:
    return Engine(parse_ruleset(text, "lang.toml"), load_entrypoints=False, lang=lang)


def test_a_rule_message_in_each_language_with_english_as_the_fallback() -> None:
    profile = {
        "id": "k",
        "followers": 5_000,
        "total_likes": 1_000,
        "posts": 12,
        "avg_comments": 2,
        "origin": "celebrity",
    }
    said = {}
    for lang in LANGS:
        decision = engine_of(BASE, lang).evaluate_one(profile)
        said[lang] = {f.rule: f.message for f in decision.findings}
    assert said["en"] == {
        "fake": "likes 1,000 below followers 5,000",
        "views": "views missing, below 1,000",
        "posts": "12 posts",
        "comments": "comments: needs avg_comments >= 10 (avg_comments = 2)",
        "origin": "celebrity",
    }
    assert said["zh"] == {
        "fake": "获赞 1,000 少于粉丝 5,000",
        "views": "浏览量 缺失，低于 1,000",
        "posts": "12 posts",  # given as text: the message in every language
        "comments": "评论 2 条",
        "origin": "celebrity",  # no zh: the English one
    }


def test_a_message_table_changes_only_the_languages_it_names_in_an_overlay(
    tmp_path: Path,
) -> None:
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    overlay = tmp_path / "client.toml"
    overlay.write_text(
        """\
[ruleset]
name = "client"
version = "1"
extends = "base.toml"

[[rules]]
id = "posts"
message.zh = "仅有 {posts:.0f} 篇"

[[rules]]
id = "fake"
message.zh = "疑似假粉"

[[rules]]
id = "views"
message = "views: {avg_views}"
""",
        encoding="utf-8",
    )
    rs = load_ruleset(overlay)
    by_id = {r.id: r for r in rs.rules}
    assert by_id["posts"].messages == {"en": "{posts:.0f} posts", "zh": "仅有 {posts:.0f} 篇"}
    assert by_id["fake"].messages == {
        "en": "likes {total_likes:,.0f} below followers {followers:,.0f}",
        "zh": "疑似假粉",
    }
    assert by_id["views"].message == "views: {avg_views}" and by_id["views"].messages == {}
    # The English template of "posts" was text in the parent: it is located there.
    origin, rest = rs.origin(("rules", 2, "message", "en"))
    assert origin is not None and rest == ()
    assert (Path(origin.file).name, origin.line, origin.key) == (
        "base.toml",
        40,
        ("rules", 2, "message"),
    )


def test_an_unknown_language_in_a_message_table_names_file_key_and_line() -> None:
    text = BASE.replace('message.zh = "评论 {avg_comments:.0f} 条"', 'message.cn = "评论"')
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text, "lang.toml")
    (issue,) = caught.value.issues
    assert (issue.file, issue.key, issue.line) == ("lang.toml", "rules[3].message.cn", 46)
    assert issue.message == "unknown key 'cn'"
    assert issue.hint == "did you mean 'zh'? valid keys: en, zh"


def test_a_message_neither_text_nor_a_table_and_an_empty_table() -> None:
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(BASE.replace('message = "{posts:.0f} posts"', "message = 5"), "lang.toml")
    (issue,) = caught.value.issues
    assert (issue.key, issue.line) == ("rules[2].message", 40)
    assert issue.message == "expected text (in quotes) or a table, got 5"
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(BASE.replace('message = "{posts:.0f} posts"', "message = {}"), "lang.toml")
    (issue,) = caught.value.issues
    assert (issue.key, issue.line, issue.message) == (
        "rules[2].message",
        40,
        "the message table gives no template",
    )


def test_a_placeholder_unknown_in_the_chinese_template_is_an_error_in_every_language() -> None:
    text = BASE.replace("粉丝 {followers:,.0f}", "粉丝 {follower:,.0f}")
    for lang in LANGS:  # a ruleset that compiles in one language compiles in all
        with pytest.raises(RulesetError) as caught:
            engine_of(text, lang)
        (issue,) = caught.value.issues
        assert (issue.file, issue.key, issue.line) == ("lang.toml", "rules[0].message.zh", 27)
        assert issue.message == "unknown name {follower} in the message"
        assert issue.hint == "did you mean {followers}?"


def test_a_bad_format_in_a_message_given_as_text_is_located_at_the_message() -> None:
    text = BASE.replace('message = "{posts:.0f} posts"', 'message = "{posts:.0q} posts"')
    with pytest.raises(RulesetError) as caught:
        engine_of(text, "zh")
    (issue,) = caught.value.issues
    assert (issue.key, issue.line) == ("rules[2].message", 40)
    assert issue.message.startswith("bad format {posts:.0q}: ")


def test_validate_warns_of_a_rule_not_given_in_a_language_others_are(tmp_path: Path) -> None:
    from kolrules.checks import validate

    path = tmp_path / "lang.toml"
    path.write_text(BASE, encoding="utf-8")
    found = validate(Engine(load_entrypoints=False), path)
    warned = [i for i in found.warnings if "message" in i.message and "--lang" in i.message]
    assert [(i.key, i.line, i.message) for i in warned] == [
        (
            "rules[2].message",
            40,
            "rule 'posts' has no zh message, though 3 other rules give one: --lang zh shows "
            "its English one",
        ),
        (
            "rules[4].message.en",
            53,
            "rule 'origin' has no zh message, though 3 other rules give one: --lang zh shows "
            "its English one",
        ),
    ]
    assert warned[0].hint == (
        'add message.zh = "..." (a message given as a table: message = { en = "...", zh = "..." })'
    )


# -- both paths say the same in Chinese ----------------------------------------------------


def reasons_cell(decision: Decision) -> str | None:
    return JOIN.join(decision.reasons) or None


def to_pass_cell(decision: Decision, lang: str) -> str | None:
    return JOIN.join(f"{f.rule}: {to_pass_text(f, lang)}" for f in decision.said()) or None


@pytest.mark.parametrize("polars_from", [None, 0], ids=["python-messages", "polars-messages"])
@pytest.mark.parametrize("ruleset", ["red-default", "beauty-startup", "lang-test"])
def test_both_paths_say_the_same_in_chinese(
    ruleset: str, polars_from: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if polars_from is not None:  # every failed message rendered by one polars expression
        monkeypatch.setattr("kolrules.evaluate.POLARS_MESSAGES_FROM", polars_from)
    if ruleset == "lang-test":
        engine = engine_of(BASE, "zh")
    else:
        engine = Engine(ruleset, load_entrypoints=False, lang="zh")
    frame = pl.read_csv(CANDIDATES, infer_schema_length=0)
    rows = frame.to_dicts()
    one_by_one = engine.evaluate(rows, headers=frame.columns)
    from_columns = engine.evaluate_file(CANDIDATES)
    assert one_by_one.decisions == from_columns.decisions
    by_row = {d.row: d for d in one_by_one.decisions}
    (batch,) = engine.decision_frames([frame])
    seen = 0
    for cell in batch.iter_rows(named=True):
        decision = by_row.get(cell["row"])
        if decision is None:
            continue
        assert cell["reasons"] == reasons_cell(decision), cell["id"]
        assert cell["to_pass"] == to_pass_cell(decision, "zh"), cell["id"]
        seen += bool(cell["reasons"])
    assert seen >= 10
    said = " ".join(r for d in one_by_one.decisions for r in d.reasons)
    assert "not applicable" not in said and "passed:" not in said
    if ruleset == "lang-test":  # the engine's own words: escalation, the thin note, no score
        whys = {d.why for d in one_by_one.decisions}
        assert {
            "复核：2 条警告升级为复核（达到 2 条即升级）：views、posts",
            "复核：可应用的审核规则太少（[verdict] min_applicable 0.9）",
            "复核：存在数据错误，因此为复核（[verdict] data_errors）",
            "通过：仅有警告和提示未通过（posts）",
            "拒绝：fake 未通过",
            "通过：没有规则未通过",
        } <= whys
        notes = {r for d in one_by_one.decisions for r in d.reasons if "条审核规则中仅" in r}
        assert notes == {
            "5 条审核规则中仅 4 条可应用：缺少 followers",
            "5 条审核规则中仅 4 条可应用：缺少 avg_comments",
        }
        assert {d.score_missing for d in one_by_one.decisions} == {
            None,
            "无评分：输入中缺少 followers",
            "无评分：输入中缺少 avg_comments",
            "无评分：无法由这些数值计算",
        }


def test_the_json_stream_says_what_the_decisions_say_in_chinese() -> None:
    engine = engine_of(BASE, "zh")
    out = io.BytesIO()
    engine.evaluate_to_file(CANDIDATES, out, output_format="jsonl")
    lines = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    streamed = {line["row"]: line for line in lines if line.get("kind") == "decision"}
    decisions = engine.evaluate_file(CANDIDATES).decisions
    assert len(streamed) == len(decisions)
    for decision in decisions:
        want = json.loads(json.dumps(decision.to_dict(), ensure_ascii=False))
        got = streamed[decision.row]
        assert got["why"] == want["why"]
        assert got["score_missing"] == want["score_missing"]
        assert got["findings"] == want["findings"], decision.id


def test_the_words_of_every_language_differ_from_english_where_people_read_them() -> None:
    en, zh = words_for("en"), words_for("zh")
    assert en.summary(40, {"accepted": 20, "review": 11, "rejected": 5, "errors": 4}) == (
        "rows read 40 = accepted 20 + review 11 + rejected 5 + errors 4"
    )
    assert zh.summary(40, {"accepted": 20, "review": 11, "rejected": 5, "errors": 4}) == (
        "读取 40 行 = 通过 20 + 复核 11 + 拒绝 5 + 错误 4"
    )
    assert en.thin(2, 9, ["avg_likes", "price"]) == (
        "only 2 of 9 vetting rules could be applied: missing avg_likes, price"
    )
    assert (
        zh.thin(2, 9, ["avg_likes", "price"])
        == "9 条审核规则中仅 2 条可应用：缺少 avg_likes、price"
    )
    assert [zh.verdict(v) for v in ("accept", "review", "reject", "other")] == [
        "通过",
        "复核",
        "拒绝",
        "other",
    ]
    assert [en.verdict(v) for v in ("accept", "review", "reject")] == ["accept", "review", "reject"]
    assert zh.tier("mid") == "腰部" and zh.tier("my-tier") == "my-tier"
