"""The static text of the ``html`` report (:mod:`kolrules.formats.html_report`): its words
in English and Chinese (:data:`LABELS`), its style sheet (:data:`STYLE`) and its script
(:data:`SCRIPT`), all inlined into the one file the report is.

The script is hand-written and small: it unpacks the table's rows (gzip, base64, in the
page), sorts and filters them, pages through them and shows one KOL's detail. It reads
no network and writes no storage. The charts need no script: they are SVG, drawn in
Python. Every text from the input or the ruleset is set with ``textContent``, never as
HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

from kolrules.findings.words import LANGS, Lang, words_for

__all__ = ["LABELS", "LANGS", "SCRIPT", "STYLE", "Lang"]


_EN: Mapping[str, str] = {
    "title": "KOL report",
    "ruleset": "Ruleset",
    "hash": "hash",
    "input": "Input",
    "run_at": "Run at",
    "chain": "Ruleset files",
    "rows_read": "Rows read",
    "of_rows": "{pct} of rows read",
    "summary": "Summary",
    "by_tier": "By tier and verdict",
    "tier": "Tier",
    "total": "Total",
    "no_tier": "(no tier)",
    "accept": "accept",
    "review": "review",
    "reject": "reject",
    "error": "not evaluated",
    "charts": "Charts",
    # -- likes against followers
    "scatter_title": "Total likes against followers",
    "scatter_x": "Followers",
    "scatter_y": "Total likes",
    "line_fake": "1× followers: fewer likes than followers suggests fake followers",
    "line_usual": "3× followers: the usual minimum",
    "scatter_sample": "{shown} of {total} KOLs drawn: a deterministic sample (the same input "
    "draws the same points).",
    "scatter_all": "Every KOL with both counts above zero is drawn ({total}).",
    "scatter_left_out": "{n} evaluated KOLs without a follower and a like count above zero "
    "are not drawn.",
    "scatter_no_values": "The run gave no follower and like counts beside its decisions: "
    "write the report with kolrules report or kolrules evaluate -o report.html.",
    "scatter_none": "No KOL has both a follower and a like count above zero.",
    # -- quotes against the fair band
    "quotes_title": "Quotes against each tier's fair band (RMB)",
    "quotes_key": "Green: the tier's fair band. Box: the middle half of the quotes; whiskers: "
    "the 10th to the 90th percentile; line: the median.",
    "quotes_counts": "below {below} · within {within} · above {above}",
    "quotes_gifting": "gifting {n}",
    "quotes_none": "No KOL has a quote.",
    "quotes_n": "{n} quoted",
    "band_open": "no upper end",
    # -- cost per engagement
    "cpe_title": "Cost per engagement by tier (RMB per engagement)",
    "cpe_key": "Bar: the median; line: the 25th to the 75th percentile.",
    "cpe_none": "No KOL has a cost per engagement (it needs a quote and engagement).",
    # -- rules
    "rules_title": "Rules failed most",
    "rules_key": "KOLs each rule failed, of {n} evaluated; colour: the rule's severity.",
    "rules_none": "No rule failed any KOL.",
    "rules_clean": "Failed no KOL: {rules}.",
    "rules_more": "{n} more rules failed fewer KOLs: {rules}.",
    "sample_note": "Percentiles from a deterministic sample of {k} of each tier's {what} "
    "where a tier has more.",
    "quotes_what": "quotes",
    "cpe_what": "values",
    # -- the table
    "kols": "KOLs",
    "listed_all": "Every evaluated KOL is listed ({n}). Click a row for its detail.",
    "listed_some": "The first {listed} of {total} evaluated KOLs (in input order) are listed; "
    "the counts and the charts cover all of them. Click a row for its detail.",
    "filter_verdict": "Verdict",
    "filter_tier": "Tier",
    "filter_rule": "Failed rule",
    "filter_search": "Search id or name",
    "all": "all",
    "showing": "{first}–{last} of {n} shown",
    "none_shown": "No KOL matches.",
    "previous": "Previous",
    "next": "Next",
    "noscript": "The table needs JavaScript; the summary and the charts above do not.",
    "no_unpack": "This browser cannot unpack the table (it needs DecompressionStream: Chrome "
    "or Edge 80, Safari 16.4, Firefox 113 or later). The summary and the charts above are "
    "complete.",
    "col_row": "row",
    "col_id": "id",
    "col_verdict": "verdict",
    "col_tier": "tier",
    "col_score": "score",
    "col_followers": "followers",
    "col_total_likes": "total likes",
    "col_quote": "quote",
    "col_band": "fair band",
    "col_position": "position",
    "col_cpe": "CPE",
    "col_reasons": "reasons",
    "col_to_pass": "what it would take to pass",
    # -- one KOL's detail
    "detail": "Detail",
    "close": "Close",
    "findings": "Findings",
    "metrics": "Metrics",
    "data_errors": "Data errors",
    "rule": "rule",
    "stage": "stage",
    "severity": "severity",
    "outcome": "outcome",
    "description": "description",
    "metric": "metric",
    "value": "value",
    "gifting": "gifting candidate",
    "no_metrics": "No metrics in these decisions.",
    # -- rows not evaluated
    "errors_title": "Rows not evaluated",
    "errors_more": "{n} more rows not evaluated are not listed.",
    "reason": "reason",
    "written_by": "Written by kolrules {version}.",
}

_ZH: Mapping[str, str] = {
    "title": "KOL 评估报告",
    "ruleset": "规则集",
    "hash": "哈希",
    "input": "输入文件",
    "run_at": "运行时间",
    "chain": "规则集文件",
    "rows_read": "读取行数",
    "of_rows": "占读取行数的 {pct}",
    "summary": "概览",
    "by_tier": "按层级与结论",
    "tier": "层级",
    "total": "合计",
    "no_tier": "（无层级）",
    "accept": "通过",
    "review": "复核",
    "reject": "拒绝",
    "error": "未评估",
    "charts": "图表",
    "scatter_title": "总获赞与粉丝数",
    "scatter_x": "粉丝数",
    "scatter_y": "总获赞",
    "line_fake": "1 倍粉丝数：获赞少于粉丝，疑似假粉",
    "line_usual": "3 倍粉丝数：通常的下限",
    "scatter_sample": "共 {total} 位 KOL，抽样绘制 {shown} 位"
    "（确定性抽样：同样的输入绘出同样的点）。",
    "scatter_all": "粉丝数与获赞数均大于零的 KOL 全部绘出（{total} 位）。",
    "scatter_left_out": "{n} 位已评估的 KOL 缺少大于零的粉丝数或获赞数，未绘出。",
    "scatter_no_values": "本次运行未提供粉丝数与获赞数：请用 kolrules report 或 "
    "kolrules evaluate -o report.html 生成报告。",
    "scatter_none": "没有 KOL 同时具有大于零的粉丝数与获赞数。",
    "quotes_title": "各层级报价与合理区间（元）",
    "quotes_key": "绿色：该层级的合理区间。方框：中间一半的报价；"
    "须线：第 10 至第 90 百分位；竖线：中位数。",
    "quotes_counts": "低于 {below} · 区间内 {within} · 高于 {above}",
    "quotes_gifting": "置换 {n}",
    "quotes_none": "没有 KOL 报价。",
    "quotes_n": "{n} 个报价",
    "band_open": "无上限",
    "cpe_title": "各层级单次互动成本（元/次互动）",
    "cpe_key": "条形：中位数；线：第 25 至第 75 百分位。",
    "cpe_none": "没有 KOL 具有单次互动成本（需要报价与互动数）。",
    "rules_title": "未通过最多的规则",
    "rules_key": "每条规则未通过的 KOL 数（共评估 {n} 位）；颜色：规则的严重程度。",
    "rules_none": "没有规则未通过。",
    "rules_clean": "无 KOL 未通过：{rules}。",
    "rules_more": "另有 {n} 条规则未通过的 KOL 较少：{rules}。",
    "sample_note": "层级的{what}多于 {k} 个时，百分位取自其中 {k} 个的确定性抽样。",
    "quotes_what": "报价",
    "cpe_what": "数值",
    "kols": "KOL 列表",
    "listed_all": "列出全部已评估的 KOL（{n} 位）。点击一行查看详情。",
    "listed_some": "列出 {total} 位已评估 KOL 中的前 {listed} 位（按输入顺序）；"
    "计数与图表涵盖全部。点击一行查看详情。",
    "filter_verdict": "结论",
    "filter_tier": "层级",
    "filter_rule": "未通过的规则",
    "filter_search": "搜索 ID 或昵称",
    "all": "全部",
    "showing": "显示第 {first}–{last} 位，共 {n} 位",
    "none_shown": "没有符合条件的 KOL。",
    "previous": "上一页",
    "next": "下一页",
    "noscript": "表格需要 JavaScript；上方的概览与图表不需要。",
    "no_unpack": "此浏览器无法解压表格（需要 DecompressionStream：Chrome 或 Edge 80、Safari 16.4、"
    "Firefox 113 及以上）。上方的概览与图表是完整的。",
    "col_row": "行",
    "col_id": "ID",
    "col_verdict": "结论",
    "col_tier": "层级",
    "col_score": "评分",
    "col_followers": "粉丝数",
    "col_total_likes": "总获赞",
    "col_quote": "报价",
    "col_band": "合理区间",
    "col_position": "报价位置",
    "col_cpe": "单次互动成本",
    "col_reasons": "原因",
    "col_to_pass": "如何通过",
    "detail": "详情",
    "close": "关闭",
    "findings": "各规则结果",
    "metrics": "指标",
    "data_errors": "数据错误",
    "rule": "规则",
    "stage": "阶段",
    "severity": "严重程度",
    "outcome": "结果",
    "description": "说明",
    "metric": "指标",
    "value": "值",
    "gifting": "置换（无报价）",
    "no_metrics": "这些结论中没有指标。",
    "errors_title": "未评估的行",
    "errors_more": "另有 {n} 行未评估，未列出。",
    "reason": "原因",
    "written_by": "由 kolrules {version} 生成。",
}

#: Words of values (verdicts, tiers, positions, outcomes, severities, stages) people read,
#: from the engine's catalogue (:mod:`kolrules.findings.words`); a value not named there
#: shows as it is, but for ``not_applicable``, which reads better without its underscore.
_VALUES: Mapping[Lang, Mapping[str, Mapping[str, str]]] = {
    lang: {
        "verdict": w.verdicts,
        "tier": w.tiers,
        "position": w.positions,
        "outcome": {"not_applicable": "not applicable", **w.outcomes},
        "severity": w.severities,
        "stage": w.stages,
    }
    for lang, w in ((lang, words_for(lang)) for lang in LANGS)
}

#: Per language: ``"words"`` (the report's own words) and each kind of value's words.
LABELS: Mapping[Lang, Mapping[str, Mapping[str, str]]] = {
    "en": {"words": _EN, **_VALUES["en"]},
    "zh": {"words": _ZH, **_VALUES["zh"]},
}

STYLE = """
:root{--accept:#15803d;--review:#b45309;--reject:#b91c1c;--error:#6b7280;--ink:#1f2937;
--dim:#6b7280;--line:#e5e7eb;--band:#bbf7d0;--paper:#fff;--soft:#f9fafb}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Micro Hei",sans-serif;color:var(--ink);background:var(--paper);line-height:1.45}
body{margin:0 auto;max-width:1280px;padding:16px 20px 40px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.25rem;margin:1.6em 0 .5em;
border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1rem;margin:.4em 0}
.meta{color:var(--dim);margin:0;display:flex;flex-wrap:wrap;gap:.2em 1.4em}
.meta b{color:var(--ink);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-left:6px solid var(--dim);border-radius:6px;
padding:8px 14px;min-width:140px;background:var(--soft)}
.card .n{font-size:1.6rem;font-weight:700;display:block}.card .p{color:var(--dim);font-size:.85rem}
.card.accept{border-left-color:var(--accept)}.card.review{border-left-color:var(--review)}
.card.reject{border-left-color:var(--reject)}.card.error{border-left-color:var(--error)}
table{border-collapse:collapse;font-size:.875rem}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num,td.id{white-space:nowrap}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px 12px}
figure svg{width:100%;height:auto;display:block}
figcaption{color:var(--dim);font-size:.8rem;margin-top:4px}figcaption p{margin:2px 0}
svg text{font-family:inherit;fill:var(--ink);font-size:12px}
svg .axis line,svg .grid line{stroke:var(--line)}svg .frame{fill:none;stroke:#9ca3af}
svg .tick{fill:var(--dim);font-size:11px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.8rem;margin:4px 0}
.sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;
vertical-align:-1px}.dash{display:inline-block;width:18px;border-top:2px dashed;
margin-right:4px;vertical-align:3px}
.v{font-weight:600;white-space:nowrap}.v-accept{color:var(--accept)}
.v-review{color:var(--review)}.v-reject{color:var(--reject)}.v-error{color:var(--error)}
.controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;margin:8px 0}
.controls label{display:flex;flex-direction:column;font-size:.8rem;color:var(--dim)}
.controls select,.controls input{font:inherit;font-size:.9rem;padding:3px 6px;min-width:150px}
.pager{display:flex;gap:10px;align-items:center;margin:8px 0;font-size:.875rem}
.scroll{overflow-x:auto}
#kol-table th{position:sticky;top:0;background:var(--paper);cursor:pointer;user-select:none;
white-space:nowrap}
#kol-table th[aria-sort=ascending]::after{content:" ▲"}
#kol-table th[aria-sort=descending]::after{content:" ▼"}
#kol-table tbody tr{cursor:pointer}#kol-table tbody tr:hover{background:var(--soft)}
#kol-table tbody tr.on{background:#eff6ff}
#kol-table td.text{white-space:pre-line;min-width:220px;max-width:420px;font-size:.8rem}
#detail{border:2px solid #93c5fd;border-radius:6px;padding:10px 14px;margin:12px 0;
background:#f8fbff}
#detail dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
#detail dt{color:var(--dim)}#detail dd{margin:0}
#detail .cols{display:flex;flex-wrap:wrap;gap:20px}
.note{color:var(--dim);font-size:.85rem}
.warn{color:var(--reject)}
footer{margin-top:30px;color:var(--dim);font-size:.8rem}
@media print{.controls,.pager{display:none}figure{break-inside:avoid}}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var meta = JSON.parse(document.getElementById("kol-meta").textContent);
  var W = meta.labels.words;
  var root = document.documentElement;
  var cols = {};  // each row is an object: cols.x is the key of x
  meta.columns.forEach(function (name) { cols[name] = name; });
  var nf = new Intl.NumberFormat(meta.locale, {maximumFractionDigits: 2});
  var sig = new Intl.NumberFormat(meta.locale, {maximumSignificantDigits: 4});
  var state = {rows: [], shown: [], key: null, dir: 1, page: 0, open: null};
  var PAGE = meta.page_rows;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function word(kind, value) {
    if (value === null || value === undefined) return "";
    var table = meta.labels[kind] || {};
    return Object.prototype.hasOwnProperty.call(table, value) ? table[value] : String(value);
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function num(v) { return v === null || v === undefined ? "" : nf.format(v); }
  function band(r) {
    var lo = r[cols.band_min], hi = r[cols.band_max];
    if (lo === null && hi === null) return "";
    if (hi === null) return "≥" + num(lo);
    if (lo === null) return "≤" + num(hi);
    return num(lo) + "–" + num(hi);
  }
  function position(r) {
    var p = r[cols.position];
    if (p === null && r[cols.gifting]) p = "gifting";
    return word("position", p);
  }
  function lines(text) { return text ? text.split(meta.join).join("\n") : ""; }

  // The table's columns: [label, value for sorting, text shown, class].
  var shown = [
    [W.col_row, function (r) { return r[cols.row]; }, null, "num"],
    [W.col_id, function (r) { return r[cols.id]; }, null, "id"]
  ];
  meta.kept.forEach(function (name) {
    shown.push([name, function (r) { return r[cols["kept:" + name]]; }, null, ""]);
  });
  shown.push(
    [W.col_verdict, function (r) { return r[cols.verdict]; },
      function (r) { return word("verdict", r[cols.verdict]); }, "verdict"],
    [W.col_tier, function (r) { return r[cols.tier]; },
      function (r) { return word("tier", r[cols.tier]); }, ""],
    [W.col_score, function (r) { return r[cols.score]; }, null, "num"]
  );
  if (meta.values) {
    shown.push(
      [W.col_followers, function (r) { return r[cols.followers]; }, null, "num"],
      [W.col_total_likes, function (r) { return r[cols.total_likes]; }, null, "num"]
    );
  }
  shown.push(
    [W.col_quote, function (r) { return r[cols.quote]; }, null, "num"],
    [W.col_band, function (r) { return r[cols.band_min]; }, band, "num"],
    [W.col_position, function (r) { return position(r); }, position, ""],
    [W.col_cpe, function (r) { return r[cols.cpe]; }, null, "num"],
    [W.col_reasons, function (r) { return r[cols.reasons]; },
      function (r) { return lines(r[cols.reasons]); }, "text"],
    [W.col_to_pass, function (r) { return r[cols.to_pass]; },
      function (r) { return lines(r[cols.to_pass]); }, "text"]
  );

  function option(select, value, label) {
    var o = el("option", label);
    o.value = value;
    select.appendChild(o);
  }
  function setUp() {
    var verdict = document.getElementById("f-verdict");
    var tier = document.getElementById("f-tier");
    var rule = document.getElementById("f-rule");
    [verdict, tier, rule].forEach(function (s) { option(s, "", W.all); });
    meta.verdicts.forEach(function (v) { option(verdict, v, word("verdict", v)); });
    meta.tiers.forEach(function (t) {
      option(tier, t === null ? "\u0000" : t, t === null ? W.no_tier : word("tier", t));
    });
    meta.rules.forEach(function (r) { option(rule, r.id, r.id); });
    [verdict, tier, rule].forEach(function (s) { s.addEventListener("change", filter); });
    document.getElementById("f-search").addEventListener("input", filter);
    document.getElementById("prev").addEventListener("click", function () { turn(-1); });
    document.getElementById("next").addEventListener("click", function () { turn(1); });
    var head = document.querySelector("#kol-table thead tr");
    shown.forEach(function (c, i) {
      var th = el("th", c[0], c[3] === "num" ? "num" : "");
      th.setAttribute("role", "columnheader");
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(i, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(i, th); });
      head.appendChild(th);
    });
    document.getElementById("kol-table").addEventListener("click", function (e) {
      var tr = e.target.closest("tbody tr");
      if (tr) openDetail(Number(tr.dataset.at));
    });
    document.getElementById("kol-table").addEventListener("keydown", function (e) {
      var tr = e.target.closest("tbody tr");
      if (tr && e.key === "Enter") openDetail(Number(tr.dataset.at));
    });
  }

  function filter() {
    var v = document.getElementById("f-verdict").value;
    var t = document.getElementById("f-tier").value;
    var ruleId = document.getElementById("f-rule").value;
    var q = document.getElementById("f-search").value.trim().toLowerCase();
    var ri = ruleId ? meta.rules.findIndex(function (r) { return r.id === ruleId; }) : -1;
    var texts = [cols.id].concat(meta.kept.map(function (k) { return cols["kept:" + k]; }));
    state.shown = [];
    state.rows.forEach(function (r, at) {
      if (v && r[cols.verdict] !== v) return;
      if (t && (r[cols.tier] === null ? "\u0000" : r[cols.tier]) !== t) return;
      if (ri >= 0 && r[cols.outcomes].charAt(ri) !== "f") return;
      if (q && !texts.some(function (i) {
        return r[i] !== null && String(r[i]).toLowerCase().indexOf(q) >= 0;
      })) return;
      state.shown.push(at);
    });
    state.page = 0;
    order();
  }
  function sortBy(i, th) {
    state.dir = state.key === i ? -state.dir : 1;
    state.key = i;
    document.querySelectorAll("#kol-table th").forEach(function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
    order();
  }
  function order() {
    if (state.key !== null) {
      var value = shown[state.key][1], dir = state.dir;
      state.shown.sort(function (a, b) {
        var x = value(state.rows[a]), y = value(state.rows[b]);
        if (x === y) return a - b;
        if (x === null || x === undefined || x === "") return 1;
        if (y === null || y === undefined || y === "") return -1;
        if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
        return String(x).localeCompare(String(y), meta.locale) * dir;
      });
    }
    draw();
  }
  function turn(step) {
    var last = Math.max(0, Math.ceil(state.shown.length / PAGE) - 1);
    state.page = Math.min(last, Math.max(0, state.page + step));
    draw();
  }
  function draw() {
    var body = document.querySelector("#kol-table tbody");
    var rows = document.createDocumentFragment();
    var first = state.page * PAGE;
    var page = state.shown.slice(first, first + PAGE);
    page.forEach(function (at) {
      var r = state.rows[at];
      var tr = el("tr");
      tr.dataset.at = at;
      tr.tabIndex = 0;
      if (at === state.open) tr.className = "on";
      shown.forEach(function (c) {
        var text = c[2] ? c[2](r) : c[1](r);
        var cls = c[3] === "verdict" ? "v v-" + r[cols.verdict] : c[3];
        if (c[3] === "num" && typeof text === "number") text = num(text);
        tr.appendChild(el("td", text, cls));
      });
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    var n = state.shown.length;
    document.getElementById("count").textContent = n
      ? fill(W.showing, {first: num(first + 1), last: num(first + page.length), n: num(n)})
      : W.none_shown;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = first + PAGE >= n;
  }

  function pairs(dl, items) {
    items.forEach(function (item) {
      if (item[1] === "" || item[1] === null || item[1] === undefined) return;
      dl.appendChild(el("dt", item[0]));
      dl.appendChild(el("dd", item[1]));
    });
  }
  function list(parent, title, text) {
    if (!text) return;
    parent.appendChild(el("h3", title));
    var ul = el("ul");
    text.split(meta.join).forEach(function (line) { ul.appendChild(el("li", line)); });
    parent.appendChild(ul);
  }
  function grid(headers, rows) {
    var table = el("table");
    var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", h)); });
    table.appendChild(el("thead")).appendChild(tr);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c) { row.appendChild(el("td", c[0], c[1] || "")); });
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }
  function openDetail(at) {
    var r = state.rows[at];
    state.open = at;
    var box = document.getElementById("detail");
    box.replaceChildren();
    var head = el("h3", W.detail + ": " + r[cols.id]);
    box.appendChild(head);
    var close = el("button", W.close);
    close.addEventListener("click", function () {
      state.open = null;
      box.hidden = true;
      draw();
    });
    box.appendChild(close);
    var dl = el("dl");
    var facts = meta.kept.map(function (k) { return [k, r[cols["kept:" + k]]]; });
    facts.push(
      [W.col_row, num(r[cols.row])],
      [W.col_verdict, word("verdict", r[cols.verdict])],
      [W.col_tier, word("tier", r[cols.tier])],
      [W.col_score, num(r[cols.score])]
    );
    if (meta.values) {
      facts.push([W.col_followers, num(r[cols.followers])],
        [W.col_total_likes, num(r[cols.total_likes])]);
    }
    facts.push(
      [W.col_quote, r[cols.gifting] ? W.gifting : num(r[cols.quote])],
      [W.col_band, band(r)],
      [W.col_position, position(r)],
      [W.col_cpe, num(r[cols.cpe])]
    );
    pairs(dl, facts);
    box.appendChild(dl);
    list(box, W.col_reasons, r[cols.reasons]);
    list(box, W.col_to_pass, r[cols.to_pass]);
    list(box, W.data_errors, r[cols.errors]);
    var parts = el("div", null, "cols");
    var found = el("div");
    found.appendChild(el("h3", W.findings));
    var outcomes = r[cols.outcomes];
    var names = {p: "pass", f: "fail", n: "not_applicable"};
    found.appendChild(grid([W.rule, W.stage, W.severity, W.outcome, W.description],
      meta.rules.map(function (rule, i) {
        var o = names[outcomes.charAt(i)] || "";
        return [[rule.id], [word("stage", rule.stage)], [word("severity", rule.severity)],
          [word("outcome", o), o === "fail" ? "v v-reject" : o === "pass" ? "v-accept" : ""],
          [rule.description]];
      })));
    parts.appendChild(found);
    var metrics = el("div");
    metrics.appendChild(el("h3", W.metrics));
    var values = r[cols.metrics] || [];
    if (meta.metrics.length) {
      metrics.appendChild(grid([W.metric, W.value], meta.metrics.map(function (m, i) {
        var v = values[i];
        return [[m], [v === null || v === undefined ? "–" : sig.format(v), "num"]];
      })));
    } else {
      metrics.appendChild(el("p", W.no_metrics, "note"));
    }
    parts.appendChild(metrics);
    box.appendChild(parts);
    box.hidden = false;
    draw();
    box.scrollIntoView({block: "nearest"});
  }

  function unpack(text) {
    var bin = atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  setUp();
  if (typeof DecompressionStream === "undefined") {
    document.getElementById("count").textContent = W.no_unpack;
    root.dataset.table = "unsupported";
    return;
  }
  unpack(document.getElementById("kol-rows").textContent.trim()).then(function (rows) {
    state.rows = rows;
    filter();
    root.dataset.table = "ready";
  }).catch(function (error) {
    document.getElementById("count").textContent = String(error);
    root.dataset.table = "failed";
    throw error;
  });
})();
"""
