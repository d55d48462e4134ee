"""Print the survival rate per module from ``mutmut results --all true`` (read on stdin).

Used by ``make mutation``; the goal (issue 20) is at most 10 % surviving mutants per module, each survivor
killed by a test or listed as equivalent in docs/mutation.md (by its mutmut name, in backticks).

Survival is counted over the mutants that were checked: ``survived`` plus ``no tests`` (a mutant no
selected test reaches is not caught either) over all checked ones; timeouts count as caught, as mutmut
counts them. A module with unchecked mutants is marked ``partial``; one with none checked, ``not run``.

``--save PATH`` merges with the summary already at PATH: a module with no local results (its work directory
is missing or nothing in it was checked: another session, or another machine, ran it) keeps its row and its
survivors from there, labelled with the date they were measured, and its survivors are checked against
docs/mutation.md again. Every row says when it was measured.
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
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$")
MEASURED = re.compile(r"measured (\d{4}-\d{2}-\d{2})")
SURVIVOR = re.compile(r"^  ([\w.]+__mutmut_\d+): (\w[\w ]*)$")


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


def report(
    counts: dict[str, Counter], unexplained: list[str], dates: dict[str, str] | None = None, kept=()
) -> tuple[list[str], float]:
    """The per-module table (lines) and the worst survival rate measured; ``dates`` labels each row with
    when it was measured, ``kept`` names the rows taken from an earlier summary."""
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
        if dates and module in dates:
            kept_text = ", kept: no local results" if module in kept else ""
            rate_text += f"  (measured {dates[module]}{kept_text})"
        cells = (total, c["killed"], c["timeout"], survived, c["listed"], unchecked)
        lines.append(f"{module:22}" + "".join(f"{v:>10}" for v in cells) + f"  {rate_text}")
    lines.append(f"goal: <= 10% survivors per module; worst measured {worst:.1f}%")
    if unexplained:
        lines.append(f"{len(unexplained)} survivors neither killed nor listed in docs/mutation.md:")
        lines.extend(f"  {name}" for name in unexplained)
    return lines, worst


def previous(text: str) -> dict[str, tuple[Counter, list[str], str]]:
    """From a saved summary: per module, its status counts, its survivor lines and when it was measured."""
    found: dict[str, tuple[Counter, list[str], str]] = {}
    lines = text.splitlines()
    header = MEASURED.search(lines[0]) if lines else None
    when = header.group(1) if header else "an earlier run"
    survivor_lines = [m for m in map(SURVIVOR.match, lines) if m]
    for line in lines:
        row = ROW.match(line)
        if not row or row.group(1) not in MODULES:
            continue
        module = row.group(1)
        _total, killed, timeout, survived, _listed, unchecked = (int(row.group(i)) for i in range(2, 8))
        if row.group(8).startswith("not run"):
            continue  # nothing measured to keep
        date = MEASURED.search(row.group(8))
        counts = Counter({"killed": killed, "timeout": timeout, "not checked": unchecked})
        names = [f"{m.group(1)}: {m.group(2)}" for m in survivor_lines if module_of(m.group(1)) == module]
        for m in survivor_lines:
            if module_of(m.group(1)) == module:
                counts[m.group(2)] += 1
        counts["survived"] += survived - len(names)  # survivors the summary counted but did not name
        found[module] = (+counts, names, date.group(1) if date else when)
    return found


def survivors(lines) -> list[str]:
    """Every mutant of the results that was not caught (survived or no tests), as ``name: status``."""
    found = []
    for line in lines:
        match = LINE.match(line)
        if match and match.group(2).strip() in NOT_CAUGHT:
            found.append(f"{NAME.match(line).group(1)}: {match.group(2).strip()}")
    return found


def summary(lines: list[str], when: str, earlier: str | None = None) -> str:
    """The text ``--save`` writes: the table and every survivor by name, so the figures outlive the
    git-ignored ``mutants/`` work directories (a fresh machine has none). ``earlier`` is the summary saved
    before: modules without local results keep their row and survivors from it, with its date."""
    listed = listed_equivalent()
    counts, unexplained = tally(lines, listed)
    named = survivors(lines)
    dates = dict.fromkeys(counts, when)
    kept: set[str] = set()
    for module, (old, names, date) in previous(earlier or "").items():
        c = counts.get(module)
        if c is not None and sum(v for k, v in c.items() if k not in ("listed", "not checked")) > 0:
            continue  # measured here: the local results win
        counts[module], dates[module] = old, date
        kept.add(module)
        named = [s for s in named if module_of(s.partition(":")[0]) != module] + names
        for name in (s.partition(":")[0] for s in names):
            if name in listed:
                old["listed"] += 1
            else:
                unexplained.append(name)
    table, _ = report(counts, unexplained, dates, kept)
    out = [f"# make mutation, results measured {when} (mutmut 3.8.1; docs/mutation.md)", ""]
    out += table
    out += ["", "Survivors (each listed as equivalent in docs/mutation.md unless named above):"]
    out += [f"  {s}" for s in named]
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

        target = Path(argv[1])
        earlier = target.read_text(encoding="utf-8") if target.exists() else None
        target.write_text(summary(lines, date.today().isoformat(), earlier), encoding="utf-8")
        print(f"summary written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
