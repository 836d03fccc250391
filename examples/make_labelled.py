"""Write examples/labelled.csv: 2,000 synthetic RED profiles with an ``outcome`` column, for
the worked example of docs/measure.md (``kolrules measure``).

    python examples/make_labelled.py [examples/labelled.csv]

Deterministic: Python's own ``random.Random(SEED)`` (the same bytes on every Python >= 3.11),
no other package. The profiles are made, not observed; what they are made as:

- 20 % fake accounts (``outcome = fake``), the others ``genuine``;
- total likes and collects per follower log-normal around 3.5 for genuine accounts and
  1.1 for fake ones, so the two overlap between about 1 and 3 (where red-default puts its
  two likes-per-follower rules: 1x rejects, 3x warns);
- engagement per post and comments per like lower for fake accounts, fewer notes too;
- views for 40 % of the rows (likes 1-3 % of views when genuine, lower when fake), a quote
  for 80 %, a few cross-platform accounts;
- label noise: 3 % of the outcomes are the wrong one (an agency's labels are not perfect),
  and 5 % are empty (outcome not known yet: left out of the measures);
- 3 rows whose follower count cannot be read (row errors: left out too).
"""

from __future__ import annotations

import csv
import math
import random
import sys
from pathlib import Path

SEED = 2024
ROWS = 2_000
FAKE_SHARE = 0.20
WRONG_LABEL_SHARE = 0.03
NO_LABEL_SHARE = 0.05
COLUMNS = (
    "id",
    "followers",
    "posts",
    "total_likes",
    "avg_likes",
    "avg_collects",
    "avg_comments",
    "avg_views",
    "price",
    "origin",
    "account_age_days",
    "outcome",
)


def _log_normal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def profile(rng: random.Random, n: int) -> dict[str, object]:
    fake = rng.random() < FAKE_SHARE
    followers = int(min(max(_log_normal(rng, 20_000, 1.0), 1_000), 2_000_000))
    per_follower = _log_normal(rng, 1.1, 0.45) if fake else _log_normal(rng, 3.5, 0.5)
    rate = _log_normal(rng, 0.012, 0.6) if fake else _log_normal(rng, 0.03, 0.5)
    avg_likes = followers * rate
    comments = _log_normal(rng, 0.015, 0.6) if fake else _log_normal(rng, 0.05, 0.5)
    views = None
    if rng.random() < 0.4:
        share = _log_normal(rng, 0.004, 0.5) if fake else rng.uniform(0.01, 0.03)
        views = round(avg_likes / share)
    price = None
    if rng.random() < 0.8:
        price = int(round(followers * rng.uniform(0.1, 0.4), -2)) or 100
    outcome = "fake" if fake else "genuine"
    if rng.random() < WRONG_LABEL_SHARE:
        outcome = "genuine" if fake else "fake"
    if rng.random() < NO_LABEL_SHARE:
        outcome = ""
    return {
        "id": f"red-{n:05d}",
        "followers": followers,
        "posts": max(1, round(_log_normal(rng, 40 if fake else 80, 0.8))),
        "total_likes": round(followers * per_follower),
        "avg_likes": round(avg_likes),
        "avg_collects": round(avg_likes * rng.uniform(0.3, 0.6)),
        "avg_comments": round(avg_likes * comments),
        "avg_views": views,
        "price": price,
        "origin": "cross_platform" if rng.random() < 0.12 else "homegrown",
        "account_age_days": rng.randint(30, 2_000),
        "outcome": outcome,
    }


def main(target: Path) -> None:
    rng = random.Random(SEED)
    rows = [profile(rng, n) for n in range(1, ROWS + 1)]
    for at in (500, 1_000, 1_500):  # follower counts that cannot be read: row errors
        rows[at]["followers"] = "lots"
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("labelled.csv"))
