"""The mutation score of the last ``mutmut run`` (``tox -e mutation``), and every survivor.

Run from the checkout after ``mutmut run``: it asks mutmut for its counts
(``mutmut export-cicd-stats``) and its list of surviving mutants (``mutmut results``),
prints the score against the 90 % target, and writes both to
``benchmarks/out/mutation.json``. The score counts only killed mutants as detected: a
mutant that times out (mutmut stops a run that exceeds its CPU limit, which is also what a
surviving mutant with slow covering tests does) and one that no test reaches ("no tests")
count against it.

    python benchmarks/mutation_score.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TARGET = 0.90
OUT = Path(__file__).resolve().parent / "out" / "mutation.json"


def main() -> int:
    subprocess.run(["mutmut", "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    results = subprocess.run(
        ["mutmut", "results"], check=True, capture_output=True, text=True
    ).stdout
    survivors = [line.split(":")[0].strip() for line in results.splitlines() if "survived" in line]
    detected = stats["killed"]
    counted = detected + stats["timeout"] + stats["survived"] + stats["no_tests"]
    counted += stats["suspicious"] + stats["segfault"]
    score = detected / counted if counted else 0.0
    print(
        f"mutants: {stats['total']} (skipped {stats['skipped']}); killed {stats['killed']}, "
        f"timed out {stats['timeout']}, survived {stats['survived']}, "
        f"no tests {stats['no_tests']}, suspicious {stats['suspicious']}"
    )
    verdict = "met" if score >= TARGET else "not met yet"
    print(f"mutation score {score:.1%} (target {TARGET:.0%}: {verdict})")
    caught = (detected + stats["timeout"]) / counted if counted else 0.0
    print(
        f"  (killed or timed out: {caught:.1%}; docs/mutation.md lists why each survivor survives)"
    )
    for name in survivors:
        print(f"  survived: {name}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {**stats, "score": score, "killed_or_timeout": caught, "survivors": survivors},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
