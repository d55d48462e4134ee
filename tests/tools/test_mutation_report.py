"""The per-module mutation report: survival over checked mutants, listed equivalents, unchecked modules."""

from __future__ import annotations

from tests.tools.mutation_report import LISTED, tally

RESULTS = """\
    app.metrics.x_share__mutmut_1: killed
    app.metrics.x_share__mutmut_2: survived
    app.metrics.xǁChangeǁwords__mutmut_3: survived
    app.metrics.x_mean__mutmut_4: timeout
    app.auth.services.x_login__mutmut_1: not checked
    app.auth.routes.x_logout__mutmut_2: no tests
""".splitlines()


def test_tally_counts_per_module_and_names_the_unexplained_survivors():
    listed = set(LISTED.findall("| `app.metrics.xǁChangeǁwords__mutmut_3` | equivalent: ... |"))
    counts, unexplained = tally(RESULTS, listed)
    assert counts["app.metrics"] == {"killed": 1, "survived": 2, "timeout": 1, "listed": 1}
    assert counts["app.auth"] == {"not checked": 1, "no tests": 1}
    assert unexplained == ["app.metrics.x_share__mutmut_2", "app.auth.routes.x_logout__mutmut_2"]


def test_the_saved_summary_keeps_the_table_and_names_every_survivor(tmp_path, monkeypatch):
    from tests.tools import mutation_report

    doc = tmp_path / "mutation.md"
    doc.write_text("| `app.metrics.xǁChangeǁwords__mutmut_3` | equivalent |", encoding="utf-8")
    monkeypatch.setattr(mutation_report, "DOC", doc)
    monkeypatch.setattr(mutation_report.listed_equivalent, "__defaults__", (doc,))
    text = mutation_report.summary(RESULTS, "2026-12-07")
    assert text.startswith("# make mutation, results measured 2026-12-07")
    assert "app.metrics                    4         1         1         2         1         0  50.0%" in text
    assert (
        "app.auth                       2         0         0         1         0         1  100.0% partial"
        in text
    )
    assert "goal: <= 10% survivors per module; worst measured 100.0%" in text
    assert text.endswith(
        "  app.metrics.x_share__mutmut_2: survived\n"
        "  app.metrics.xǁChangeǁwords__mutmut_3: survived\n"
        "  app.auth.routes.x_logout__mutmut_2: no tests\n"
    )


def test_saving_keeps_the_rows_of_modules_not_run_here_with_their_date(tmp_path, monkeypatch):
    """Another session measured nlp.sentiment and app.auth earlier; here only app.metrics and app.auth ran:
    nlp.sentiment's row and survivors are kept with their date (checked against the docs again), app.auth's
    are replaced by the local results."""
    from tests.tools import mutation_report

    doc = tmp_path / "mutation.md"
    doc.write_text("| `nlp.sentiment.x_score__mutmut_2` | equivalent |", encoding="utf-8")
    monkeypatch.setattr(mutation_report.listed_equivalent, "__defaults__", (doc,))
    earlier = mutation_report.summary(
        [
            "    nlp.sentiment.x_score__mutmut_1: survived",
            "    nlp.sentiment.x_score__mutmut_2: survived",
            "    nlp.sentiment.x_score__mutmut_3: killed",
            "    nlp.sentiment.x_score__mutmut_4: timeout",
            "    app.auth.services.x_old__mutmut_1: survived",
        ],
        "2026-12-06",
    )
    assert "50.0%  (measured 2026-12-06)" in earlier
    text = mutation_report.summary(RESULTS, "2026-12-07", earlier)
    assert (
        "nlp.sentiment                  4         1         1         2         1         0  50.0%"
        "  (measured 2026-12-06, kept: no local results)" in text
    )
    assert (
        "app.auth                       2         0         0         1         0         1  100.0% partial"
        "  (measured 2026-12-07)" in text
    )
    assert (
        "app.metrics                    4         1         1         2         0         0  50.0%"
        "  (measured 2026-12-07)" in text
    )
    assert "x_old__mutmut_1" not in text  # app.auth ran here: its earlier survivor is gone
    assert "  nlp.sentiment.x_score__mutmut_1: survived\n" in text
    assert "  nlp.sentiment.x_score__mutmut_2: survived\n" in text
    unexplained = text.split("neither killed nor listed")[1].split("Survivors")[0]
    assert "nlp.sentiment.x_score__mutmut_1" in unexplained and "x_score__mutmut_2" not in unexplained
    # saved again with nothing new for nlp.sentiment, it keeps the same row and date
    again = mutation_report.summary(RESULTS, "2026-12-08", text)
    assert "50.0%  (measured 2026-12-06, kept: no local results)" in again
    assert "  nlp.sentiment.x_score__mutmut_1: survived\n" in again
