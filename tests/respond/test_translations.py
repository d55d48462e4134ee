"""Every respondent-facing string is translated into German, French and Spanish, with the same
placeholders, and the catalogs on disk match what the code and templates ask for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
METHODS = [
    ("app/surveys/texts.py", "python"),
    ("app/mail/message.py", "python"),
    ("app/respond/**.py", "python"),
    ("app/templates/respond/**.html", "jinja2"),
    ("app/templates/email/**.html", "jinja2"),
    ("app/templates/email/**.txt", "jinja2"),
]


def _wanted() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, keywords={"_": None, "gettext": None})
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_every_string_is_translated_with_the_same_placeholders(lang):
    with open(ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(_wanted() - set(translated))
    assert not missing, f"add these to app/translations/*/messages.po: {missing}"
    for msgid, msgstr in translated.items():
        assert msgstr, f"{lang}: no translation for {msgid!r}"
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), (lang, msgid)
