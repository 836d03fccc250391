"""A :class:`~kolrules.planner.CampaignPlan` shown: a table (rich), JSON and CSV.

- ``json``: ``{"budget", "spent", "objective", "value", "optimal", "gap", "selected":
  [{"id", "tier", "pay", "quote", "offer", "expected_engagement", "followers"}],
  "seeding": [{"id", "tier", "products", "expected_engagement", "followers"}],
  "excluded": [{"id", "why"}], "by_tier": {tier: {"kols", "spent", "share", "target",
  "expected_engagement", "followers", "cpe"}}}``;
- ``csv``: one row per candidate, in input order: :data:`CSV_COLUMNS`; ``status`` is
  ``booked``, ``seeding`` or ``excluded``. Text a spreadsheet would run as a formula is
  written after a ``'`` (:mod:`kolrules.formats.formulas`);
- ``table``: the totals, the KOLs booked with why and the reason of each offer, the
  totals by tier, the seeding list, and the first candidates left out with why.
"""

from __future__ import annotations

import csv
from typing import IO, Any

from kolrules.formats.formulas import safe_cell
from kolrules.formats.json_text import dumps
from kolrules.planner.result import CampaignPlan
from kolrules.planner.screen import value_words
from kolrules.report import table_console

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "headline",
    "plan_dict",
    "render_csv",
    "render_json",
    "render_table",
]

#: The formats ``kolrules plan`` writes.
FORMATS = ("table", "json", "csv")

CSV_COLUMNS = (
    "row",
    "id",
    "status",
    "tier",
    "pay",
    "quote",
    "offer",
    "walk_away",
    "expected_engagement",
    "followers",
    "products",
    "why",
)

#: How many candidates left out the table lists.
TABLE_LEFT = 50
TABLE_WIDTH = 100


def plan_dict(plan: CampaignPlan) -> dict[str, Any]:
    """The plan in the JSON shape of the module's docstring."""
    return {
        "budget": plan.budget,
        "spent": plan.spent,
        "objective": plan.objective,
        "value": plan.value,
        "optimal": plan.optimal,
        "gap": plan.gap,
        "selected": [
            {
                "id": b.id,
                "tier": b.tier,
                "pay": b.pay,
                "quote": b.quote,
                "offer": b.offer,
                "expected_engagement": b.expected_engagement,
                "followers": b.followers,
            }
            for b in plan.selected
        ],
        "seeding": [
            {
                "id": s.id,
                "tier": s.tier,
                "products": s.products,
                "expected_engagement": s.expected_engagement,
                "followers": s.followers,
            }
            for s in plan.seeding
        ],
        "excluded": [{"id": e.id, "why": e.why} for e in plan.excluded],
        "by_tier": {
            name: {
                "kols": t.kols,
                "spent": t.spent,
                "share": t.share,
                "target": t.target,
                "expected_engagement": t.expected_engagement,
                "followers": t.followers,
                "cpe": t.cpe,
            }
            for name, t in plan.by_tier.items()
        },
    }


def render_json(plan: CampaignPlan, stream: IO[str]) -> None:
    stream.write(dumps(plan_dict(plan), indent=2))
    stream.write("\n")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def render_csv(plan: CampaignPlan, stream: IO[str]) -> None:
    rows: list[tuple[int, list[Any]]] = []
    for b in plan.selected:
        rows.append(
            (
                b.row,
                [
                    b.id,
                    "booked",
                    b.tier,
                    b.pay,
                    b.quote,
                    b.offer,
                    b.walk_away,
                    b.expected_engagement,
                    b.followers,
                    None,
                    f"{b.why}; {b.offer_reason}" if b.offer_reason else b.why,
                ],
            )
        )
    for s in plan.seeding:
        rows.append(
            (
                s.row,
                [
                    s.id,
                    "seeding",
                    s.tier,
                    None,
                    None,
                    None,
                    None,
                    s.expected_engagement,
                    s.followers,
                    s.products,
                    s.why,
                ],
            )
        )
    for e in plan.excluded:
        rows.append(
            (e.row, [e.id, "excluded", e.tier, None, None, None, None, None, None, None, e.why])
        )
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row, cells in sorted(rows, key=lambda r: r[0]):
        writer.writerow([row, *(_cell(c) for c in cells)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    return _number(value)


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _whole(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def headline(plan: CampaignPlan) -> str:
    """One line: what the plan books, spends and gets, and how sure it is."""
    cpe = "" if plan.cpe is None else f", {plan.cpe:,.2f} RMB per engagement"
    proof = "optimal" if plan.optimal else "not proven optimal"
    return (
        f"{len(plan.selected)} KOLs for {plan.spent:,.0f} of {plan.budget:,.0f} RMB "
        f"({plan.left:,.0f} left): {plan.value:,.0f} {value_words(plan.objective)}{cpe}; "
        f"{proof} (gap {plan.gap:.4%}); seeding {len(plan.seeding)} "
        f"({plan.products} products)"
    )


def render_table(plan: CampaignPlan, stream: IO[str], *, width: int | None = None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console, done = table_console(stream, width)
    title = "Plan" + (f" · {plan.ruleset}" if plan.ruleset else "")
    if plan.source:
        title += f" · {plan.source}"
    console.print(Text(title, style="bold"))
    console.print(headline(plan))

    def table(*columns: str, right: tuple[str, ...] = ()) -> Table:
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        for name in columns:
            if name in right:
                t.add_column(name, justify="right", no_wrap=True)
            else:
                t.add_column(name, overflow="fold")
        return t

    money = ("pay", "quote", "offer", "walk away", "engagement", "followers", "KOLs", "spent")
    if plan.selected:
        booked = table(
            "id", "tier", "pay", "quote", "offer", "walk away", "engagement", "why", right=money
        )
        for b in plan.selected:
            why = b.why + (f"\n{b.offer_reason}" if b.offer_reason else "")
            booked.add_row(
                b.id,
                b.tier or "-",
                _money(b.pay),
                _money(b.quote),
                _money(b.offer),
                _money(b.walk_away),
                _whole(b.expected_engagement),
                why,
            )
        console.print()
        console.print(Text("Booked", style="bold"))
        console.print(booked)
    if plan.by_tier:
        tiers = table(
            "tier",
            "KOLs",
            "spent",
            "share",
            "engagement",
            "followers",
            "RMB/engagement",
            right=(*money, "share", "RMB/engagement"),
        )
        for name, t in plan.by_tier.items():
            share = f"{t.share:.1%}" + ("" if t.target is None else f" (mix {t.target:.0%})")
            cpe = "-" if t.cpe is None else f"{t.cpe:,.2f}"
            tiers.add_row(
                name,
                str(t.kols),
                _money(t.spent),
                share,
                _whole(t.expected_engagement),
                _whole(t.followers),
                cpe,
            )
        console.print()
        console.print(Text("By tier", style="bold"))
        console.print(tiers)
    if plan.seeding:
        seeds = table(
            "id", "tier", "products", "engagement", "followers", right=(*money, "products")
        )
        for s in plan.seeding:
            seeds.add_row(
                s.id,
                s.tier or "-",
                str(s.products),
                _whole(s.expected_engagement),
                _whole(s.followers),
            )
        console.print()
        console.print(Text("Seeding list (gifting: no fee, product sent)", style="bold"))
        console.print(seeds)
    if plan.excluded:
        out = table("id", "why not")
        for e in plan.excluded[:TABLE_LEFT]:
            out.add_row(e.id or f"(row {e.row})", e.why)
        console.print()
        console.print(Text("Not booked", style="bold"))
        console.print(out)
        more = len(plan.excluded) - TABLE_LEFT
        if more > 0:
            console.print(f"... and {more:,} more: -f json or -f csv lists them all")
    done()
