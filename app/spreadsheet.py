"""The one CSV-injection guard of every export (accounts, contacts, responses) and its inverse for imports.

A cell a spreadsheet would run as a formula or a DDE command gets an apostrophe in front (OWASP CSV
injection): the ASCII starters, their full-width forms (Excel and LibreOffice fold ``＝`` to ``=``), the pipe
of DDE payloads, and leading control whitespace.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "|", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff5c")


def neutralise(value: object) -> object:
    """Prefix text cells a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo the apostrophe our export puts before formula-like cells, so a round trip is lossless."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value
