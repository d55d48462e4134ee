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
