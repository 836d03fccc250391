"""The words kolrules says to people, in each language it speaks: one catalogue of
:class:`Words`, looked up with :func:`words_for`.

What follows the language (``Engine(lang=...)``, ``--lang``):

- the engine's own texts in decisions: a passed or not-applicable finding, what it would
  take to pass, why the verdict is what it is, the note when too few vetting rules could
  be applied, why there is no score, a missing value shown in a message;
- the reports for people: the table, ``kolrules explain``, the summary line.

What never does: what other programs read (csv column names, JSON keys, the values of
verdicts, outcomes, severities, positions and tiers in csv and JSON, rule ids, field
names), and the texts of other steps (data errors found when normalising, ruleset errors).

The English words are those kolrules has always written; the tests of each step pin them,
so a change here is a change of output. Every language gives every word: a
:class:`Words` cannot be built with one left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, cast

import attrs

from kolrules.errors import UnknownKindError

__all__ = ["DEFAULT_LANG", "LANGS", "Lang", "Words", "check_lang", "words_for"]

Lang = Literal["en", "zh"]
#: The languages kolrules speaks, the default first.
LANGS: tuple[Lang, ...] = ("en", "zh")
#: The language of output when none is asked for, and of a rule message given as text.
DEFAULT_LANG: Lang = "en"


@attrs.frozen
class Words:
    """Every word of one language. Templates are ``str.format`` text; a label table maps a
    value (a verdict, a tier name) to what people read, and a value it does not name shows
    as it is."""

    lang: Lang

    # -- labels: values people read in the table and in explain --------------------------
    verdicts: Mapping[str, str]
    severities: Mapping[str, str]
    outcomes: Mapping[str, str]
    stages: Mapping[str, str]
    positions: Mapping[str, str]
    #: The tier names the bundled rulesets and platforms use; other names show as written.
    tiers: Mapping[str, str]
    #: What joins names in a list (fields, rule ids).
    sep: str
    #: Singular and plural of the words that have both (English only needs them).
    plurals: Mapping[str, tuple[str, str]]

    # -- findings -------------------------------------------------------------------------
    passed: str
    na_no_column: str
    na_when_false: str
    na_when_missing: str
    na_missing: str
    na_division: str
    #: A value that is not there, in a message or in what it would take.
    missing: str

    # -- what it would take to pass --------------------------------------------------------
    #: A comparison's words (``<=``: "at most").
    ops: Mapping[str, str]
    now_open: str
    now_close: str
    given: str
    either: str
    both: str
    unsolved: str

    # -- why the verdict ------------------------------------------------------------------
    why_head: str
    why_sep: str
    why_failed: str
    why_escalate: str
    #: What a count rule counts, per severity ("2 warnings escalate ...").
    counted: Mapping[str, str]
    why_data_errors: str
    why_thin: str
    why_only_warnings: str
    why_none_failed: str

    # -- how many vetting rules could be applied, and the score -------------------------
    thin_note: str
    thin_missing: str
    score_missing_inputs: str
    score_missing_values: str

    # -- the summary line ---------------------------------------------------------------
    summary_line: str

    # -- the table ------------------------------------------------------------------------
    heading: str
    table_columns: tuple[str, str, str, str, str, str, str, str]
    gifting: str
    to_pass_line: str
    none_evaluated: str
    errors_title: str
    error_columns: tuple[str, str, str]
    first_rows: str
    columns_read: str
    not_used: str
    not_in_input: str
    not_applied: str
    none: str
    lacking: str
    not_applied_note: str

    # -- one decision, explained ------------------------------------------------------------
    explain_head: str
    unknown: str
    why_line: str
    applied_line: str
    applied_missing: str
    applied_thin: str
    no_price_column: str
    no_quote: str
    quote: str
    price_line: str
    no_position: str
    band_none_no_tier: str
    band_none: str
    band_at_least: str
    band_at_most: str
    band: str
    ruleset_line: str
    data_error: str
    findings_title: str
    finding_columns: tuple[str, str, str, str, str]
    to_pass_bold: str
    seen: str
    thresholds: str
    item_sep: str
    said_by: str
    metrics_title: str
    metric_columns: tuple[str, str]
    inputs_title: str
    input_columns: tuple[str, str, str]

    def verdict(self, value: str) -> str:
        return self.verdicts.get(value, value)

    def severity(self, value: str) -> str:
        return self.severities.get(value, value)

    def outcome(self, value: str) -> str:
        return self.outcomes.get(value, value)

    def stage(self, value: str) -> str:
        return self.stages.get(value, value)

    def position(self, value: str) -> str:
        return self.positions.get(value, value)

    def tier(self, value: str) -> str:
        return self.tiers.get(value, value)

    def names(self, items: Iterable[str]) -> str:
        """``items`` as a list: ``avg_likes, price``."""
        return self.sep.join(items)

    def pick(self, word: str, n: int) -> str:
        """``word`` in the singular for one, else in the plural."""
        one, many = self.plurals[word]
        return one if n == 1 else many

    def summary(self, rows_read: int, counts: Mapping[str, int]) -> str:
        """The summary line: ``rows read 40 = accepted 20 + review 11 + rejected 5 +
        errors 4`` (what :meth:`kolrules.types.Report.summary_line` says in English)."""
        return self.summary_line.format(rows=rows_read, **counts)

    def thin(self, rules: int, of: int, missing: Iterable[str]) -> str:
        """The note of a profile whose values let too few vetting rules be applied:
        ``only 2 of 9 vetting rules could be applied: missing avg_likes, price``."""
        fields = self.names(missing)
        said = self.thin_note.format(rules=rules, of=of)
        return said + (self.thin_missing.format(fields=fields) if fields else "")


_EN = Words(
    lang="en",
    verdicts={},
    severities={},
    outcomes={},
    stages={},
    positions={},
    tiers={},
    sep=", ",
    plurals={"rule": ("rule", "rules"), "it": ("it", "them"), "reads": ("it reads", "they read")},
    passed="passed: {test}",
    na_no_column="not applicable: the input has no column for {fields}",
    na_when_false="not applicable: {when} is false",
    na_when_missing=" (missing {names})",
    na_missing="not applicable: missing {names}",
    na_division="not applicable: {test} cannot be computed (division by zero)",
    missing="missing",
    ops={
        "<=": "at most",
        ">=": "at least",
        "<": "below",
        ">": "above",
        "==": "equal to",
        "!=": "other than",
    },
    now_open=" (now ",
    now_close=")",
    given="{name} given",
    either=" or ",
    both=" and ",
    unsolved="cannot be solved from the inputs",
    why_head="{verdict}: ",
    why_sep="; ",
    why_failed="{ids} failed",
    why_escalate="{n} {counted} escalate to {to} (at {count} or more): {ids}",
    counted={
        "reject": "reject rules",
        "review": "review rules",
        "warn": "warnings",
        "info": "infos",
    },
    why_data_errors="data errors make it {verdict} ([verdict] data_errors)",
    why_thin="too few vetting rules could be applied ([verdict] min_applicable {share})",
    why_only_warnings="{verdict}: only warnings and infos failed ({ids})",
    why_none_failed="{verdict}: no rule failed",
    thin_note="only {rules} of {of} vetting rules could be applied",
    thin_missing=": missing {fields}",
    score_missing_inputs="score missing: {fields} not in the input",
    score_missing_values="score missing: it cannot be computed from these values",
    summary_line=(
        "rows read {rows} = accepted {accepted} + review {review} + rejected {rejected} "
        "+ errors {errors}"
    ),
    heading="ruleset {name} {version}",
    table_columns=("id", "tier", "verdict", "score", "quote", "band", "position", "reasons"),
    gifting="gifting",
    to_pass_line="\n  to pass: {needed}",
    none_evaluated="no profiles were evaluated",
    errors_title="rows not evaluated",
    error_columns=("row", "id", "reason"),
    first_rows=(
        "(the first {shown:,} of {total:,} rows; --limit N shows more, -o FILE.csv or "
        "-f jsonl writes them all)"
    ),
    columns_read="columns read",
    not_used="not used",
    not_in_input="not in the input",
    not_applied="not applied",
    none="none",
    lacking="{fields}: {n} {rules} read {them} (kolrules columns names them)",
    not_applied_note="{rules}: to no row, as the input lacks all {reads}",
    explain_head=(
        "[bold]{id}[/] ({platform}): verdict [bold]{verdict}[/], tier {tier}, score {score}"
    ),
    unknown="unknown",
    why_line="why: {why}",
    applied_line="vetting rules applied: {rules} of {of}",
    applied_missing=" (missing {fields})",
    applied_thin=": too few, so review ([verdict] min_applicable)",
    no_price_column="no price column in the input",
    no_quote="no quote (gifting candidate)",
    quote="quote {quote} RMB",
    price_line="{quote}; {band}; position {position}; CPE {cpe}",
    no_position="n/a",
    band_none_no_tier="no fair band: no tier",
    band_none="no fair band for this tier",
    band_at_least="fair band at least {low} RMB",
    band_at_most="fair band at most {high} RMB",
    band="fair band {low}-{high} RMB",
    ruleset_line="ruleset {name} {version} ({hash})",
    data_error="[yellow]data error[/]: {error}",
    findings_title="findings",
    finding_columns=("rule", "stage", "outcome", "severity", "message (and what it would take)"),
    to_pass_bold="\n[bold]to pass:[/] {needed}",
    seen="seen: {values}",
    thresholds=" · thresholds: {values}",
    item_sep="; ",
    said_by="(said by {rule}: not repeated among the reasons)",
    metrics_title="metrics",
    metric_columns=("metric", "value"),
    inputs_title="inputs",
    input_columns=("field", "value", "header"),
)

_ZH = Words(
    lang="zh",
    verdicts={"accept": "通过", "review": "复核", "reject": "拒绝"},
    severities={"reject": "拒绝", "review": "复核", "warn": "警告", "info": "提示"},
    outcomes={"pass": "通过", "fail": "未通过", "not_applicable": "不适用"},
    stages={"vet": "审核", "price": "定价"},
    positions={"below": "低于区间", "within": "区间内", "above": "高于区间", "gifting": "置换"},
    tiers={"koc": "KOC", "micro": "尾部", "mid": "腰部", "top": "头部", "celebrity": "明星"},
    sep="、",
    plurals={"rule": ("条规则", "条规则"), "it": ("", ""), "reads": ("", "")},
    passed="通过：{test}",
    na_no_column="不适用：输入中没有 {fields} 列",
    na_when_false="不适用：{when} 不成立",
    na_when_missing="（缺少 {names}）",
    na_missing="不适用：缺少 {names}",
    na_division="不适用：{test} 无法计算（除数为零）",
    missing="缺失",
    ops={
        "<=": "不高于",
        ">=": "不低于",
        "<": "低于",
        ">": "高于",
        "==": "等于",
        "!=": "不等于",
    },
    now_open="（目前 ",
    now_close="）",
    given="需提供 {name}",
    either="，或 ",
    both="；并且 ",
    unsolved="无法由输入推算",
    why_head="{verdict}：",
    why_sep="；",
    why_failed="{ids} 未通过",
    why_escalate="{n} 条{counted}升级为{to}（达到 {count} 条即升级）：{ids}",
    counted={"reject": "拒绝规则", "review": "复核规则", "warn": "警告", "info": "提示"},
    why_data_errors="存在数据错误，因此为{verdict}（[verdict] data_errors）",
    why_thin="可应用的审核规则太少（[verdict] min_applicable {share}）",
    why_only_warnings="{verdict}：仅有警告和提示未通过（{ids}）",
    why_none_failed="{verdict}：没有规则未通过",
    thin_note="{of} 条审核规则中仅 {rules} 条可应用",
    thin_missing="：缺少 {fields}",
    score_missing_inputs="无评分：输入中缺少 {fields}",
    score_missing_values="无评分：无法由这些数值计算",
    summary_line=(
        "读取 {rows} 行 = 通过 {accepted} + 复核 {review} + 拒绝 {rejected} + 错误 {errors}"
    ),
    heading="规则集 {name} {version}",
    table_columns=("ID", "档位", "结论", "评分", "报价", "合理区间", "位置", "原因"),
    gifting="置换",
    to_pass_line="\n  通过条件：{needed}",
    none_evaluated="没有评估任何账号",
    errors_title="未评估的行",
    error_columns=("行", "ID", "原因"),
    first_rows=(
        "（共 {total:,} 行，此处列出前 {shown:,} 行；--limit N 列出更多，-o FILE.csv 或 "
        "-f jsonl 写出全部）"
    ),
    columns_read="读取的列",
    not_used="未使用的列",
    not_in_input="输入中没有",
    not_applied="未应用",
    none="无",
    lacking="{fields}：{n} {rules}读取（kolrules columns 列出这些规则）",
    not_applied_note="{rules}：不应用于任何行，因为输入缺少其读取的全部列",
    explain_head="[bold]{id}[/]（{platform}）：结论 [bold]{verdict}[/]，档位 {tier}，评分 {score}",
    unknown="未知",
    why_line="判定依据：{why}",
    applied_line="已应用审核规则：{rules}/{of}",
    applied_missing="（缺少 {fields}）",
    applied_thin="：太少，因此复核（[verdict] min_applicable）",
    no_price_column="输入中没有报价列",
    no_quote="无报价（置换候选）",
    quote="报价 {quote} 元",
    price_line="{quote}；{band}；位置 {position}；CPE {cpe}",
    no_position="无",
    band_none_no_tier="无合理价格区间：无档位",
    band_none="该档位无合理价格区间",
    band_at_least="合理价格区间：不低于 {low} 元",
    band_at_most="合理价格区间：不高于 {high} 元",
    band="合理价格区间 {low}-{high} 元",
    ruleset_line="规则集 {name} {version}（{hash}）",
    data_error="[yellow]数据错误[/]：{error}",
    findings_title="检查结果",
    finding_columns=("规则", "阶段", "结果", "严重程度", "说明（及通过条件）"),
    to_pass_bold="\n[bold]通过条件：[/]{needed}",
    seen="实际值：{values}",
    thresholds=" · 阈值：{values}",
    item_sep="；",
    said_by="（已由 {rule} 说明，原因中不再重复）",
    metrics_title="指标",
    metric_columns=("指标", "值"),
    inputs_title="输入",
    input_columns=("字段", "值", "表头"),
)

_WORDS: Mapping[str, Words] = {"en": _EN, "zh": _ZH}


def check_lang(lang: str) -> Lang:
    """``lang`` when kolrules speaks it; else :class:`UnknownKindError` listing those it
    does."""
    if lang not in _WORDS:
        raise UnknownKindError("language", lang, LANGS)
    return cast("Lang", lang)


def words_for(lang: str) -> Words:
    """The words of ``lang`` (``en`` or ``zh``); :class:`UnknownKindError` for another."""
    return _WORDS[check_lang(lang)]
