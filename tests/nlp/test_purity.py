"""nlp/ is a pure library: importing it must not pull in the web app's stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_nlp_does_not_import_flask_sqlalchemy_or_app():
    code = (
        "import sys, nlp, nlp.train, nlp.evaluate, nlp.topic_model, nlp.polarity; "
        "bad = [m for m in sys.modules "
        "if m.split('.')[0] in ('flask', 'sqlalchemy', 'app', 'flask_sqlalchemy')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_source_file_mentions_the_app():
    for f in (ROOT / "nlp").rglob("*.py"):
        text = f.read_text()
        assert "import flask" not in text.lower() and "from app" not in text and "import app" not in text, f
