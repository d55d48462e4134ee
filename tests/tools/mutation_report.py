"""Print the survival rate per module from ``mutmut results --all true`` (read on stdin).

Used by ``make mutation``; the goal (issue 20) is at most 10 % surviving mutants per module, each survivor
killed by a test or listed as equivalent in docs/mutation.md (by its mutmut name, in backticks).

Survival is counted over the mutants that were checked: ``survived`` plus ``no tests`` (a mutant no
selected test reaches is not caught either) over all checked ones; timeouts count as caught, as mutmut
counts them. A module with unchecked mutants is marked ``partial``; one with none checked, ``not run``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*([\w.]+?)\.(?:x_)?[\w]*__mutmut_\d+:\s*(\w[\w ]*)$")
NAME = re.compile(r"^\s*([\w.]+__mutmut_\d+):")
LISTED = re.compile(r"`([\w.]+__mutmut_\d+)`")
MODULES = (
    "app.metrics",
    "app.mail.delivery",
    "app.mail.reminders",
    "app.surveys.audience",
    "app.respond.services",
    "app.auth",
    "nlp.sentiment",
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "mutation.md"
NOT_CAUGHT = ("survived", "no tests")


def module_of(name: str) -> str:
    """The listed module (or package) a mutant belongs to."""
    return next((m for m in MODULES if name == m or name.startswith(m + ".")), name)


def listed_equivalent(doc: Path = DOC) -> set[str]:
    """Mutant names docs/mutation.md lists as equivalent (or otherwise explained)."""
    return set(LISTED.findall(doc.read_text(encoding="utf-8"))) if doc.exists() else set()


def tally(lines, listed: set[str]) -> tuple[dict[str, Counter], list[str]]:
    """Status counts per module, and the survivors not listed in docs/mutation.md."""
    counts: dict[str, Counter] = defaultdict(Counter)
    unexplained: list[str] = []
    for line in lines:
        match = LINE.match(line)
        if not match:
            continue
        status = match.group(2).strip()
        module = module_of(match.group(1))
        counts[module][status] += 1
        if status in NOT_CAUGHT:
            name = NAME.match(line).group(1)
            if name in listed:
                counts[module]["listed"] += 1
            else:
                unexplained.append(name)
    return counts, unexplained


def report(counts: dict[str, Counter], unexplained: list[str]) -> tuple[list[str], float]:
    """The per-module table (lines) and the worst survival rate measured."""
    worst = 0.0
    header = ("module", "mutants", "killed", "timeout", "survived", "listed", "unchecked", "survival")
    lines = [f"{header[0]:22}" + "".join(f"{h:>10}" for h in header[1:])]
    for module in sorted(counts):
        c = counts[module]
        total = sum(v for k, v in c.items() if k != "listed")
        unchecked = c["not checked"]
        checked = total - unchecked
        survived = sum(c[s] for s in NOT_CAUGHT)
        if checked == 0:
            rate_text = "not run"
        else:
            rate = 100 * survived / checked
            worst = max(worst, rate)
            rate_text = f"{rate:.1f}%" + (" partial" if unchecked else "")
        cells = (total, c["killed"], c["timeout"], survived, c["listed"], unchecked)
        lines.append(f"{module:22}" + "".join(f"{v:>10}" for v in cells) + f"  {rate_text}")
    lines.append(f"goal: <= 10% survivors per module; worst measured {worst:.1f}%")
    if unexplained:
        lines.append(f"{len(unexplained)} survivors neither killed nor listed in docs/mutation.md:")
        lines.extend(f"  {name}" for name in unexplained)
    return lines, worst


def survivors(lines) -> list[str]:
    """Every mutant of the results that was not caught (survived or no tests), as ``name: status``."""
    found = []
    for line in lines:
        match = LINE.match(line)
        if match and match.group(2).strip() in NOT_CAUGHT:
            found.append(f"{NAME.match(line).group(1)}: {match.group(2).strip()}")
    return found


def summary(lines: list[str], when: str) -> str:
    """The text ``--save`` writes: the table and every survivor by name, so the figures outlive the
    git-ignored ``mutants/`` work directories (a fresh machine has none)."""
    counts, unexplained = tally(lines, listed_equivalent())
    table, _ = report(counts, unexplained)
    out = [f"# make mutation, results measured {when} (mutmut 3.8.1; docs/mutation.md)", ""]
    out += table
    out += ["", "Survivors (each listed as equivalent in docs/mutation.md unless named above):"]
    out += [f"  {s}" for s in survivors(lines)]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    """Print the report; ``--save PATH`` also writes the summary there (e.g. docs/mutation-results.txt)."""
    lines = sys.stdin.read().splitlines()
    counts, unexplained = tally(lines, listed_equivalent())
    if not counts:
        print("no mutant results found (run `mutmut run` first)")
        return 1
    table, _ = report(counts, unexplained)
    print("\n".join(table))
    if argv[:1] == ["--save"] and len(argv) == 2:
        from datetime import date

        Path(argv[1]).write_text(summary(lines, date.today().isoformat()), encoding="utf-8")
        print(f"summary written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
