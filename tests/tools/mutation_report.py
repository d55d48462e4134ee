"""Print the survival rate per module from ``mutmut results --all true`` (read on stdin).

Used by ``make mutation``; the goal (issue 20) is at most 10 % surviving mutants per module, each survivor
killed by a test or listed as equivalent in docs/mutation.md.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

LINE = re.compile(r"^\s*([\w.]+?)\.(?:x_)?[\w]*__mutmut_\d+:\s*(\w[\w ]*)$")
MODULES = (
    "app.metrics",
    "app.mail.delivery",
    "app.mail.reminders",
    "app.surveys.audience",
    "app.respond.services",
    "app.auth",
    "nlp.sentiment",
)


def module_of(name: str) -> str:
    """The listed module (or package) a mutant belongs to."""
    return next((m for m in MODULES if name == m or name.startswith(m + ".")), name)


def main() -> int:
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in sys.stdin:
        match = LINE.match(line)
        if match:
            counts[module_of(match.group(1))][match.group(2).strip()] += 1
    if not counts:
        print("no mutant results found (run `mutmut run` first)")
        return 1
    worst = 0.0
    print(f"{'module':28} {'mutants':>8} {'killed':>7} {'survived':>9} {'other':>6} {'survival':>9}")
    for module in sorted(counts):
        c = counts[module]
        total = sum(c.values())
        survived = c["survived"]
        killed = c["killed"]
        rate = 100 * survived / total if total else 0.0
        worst = max(worst, rate)
        print(f"{module:28} {total:8} {killed:7} {survived:9} {total - killed - survived:6} {rate:8.1f}%")
    print(f"goal: <= 10% survivors per module; worst {worst:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
