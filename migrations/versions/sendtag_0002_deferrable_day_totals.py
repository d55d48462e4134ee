# ruff: noqa: E501  (the frozen SQL text is kept verbatim, one line per statement line)
"""Topic day totals: a bulk writer of analysis states (tagging) may defer the per-row totals trigger

The row-level ``topic_day_totals_apply()`` (topics_0002) subtracted and re-added one counted row of its
(day, survey) cell for every response whose ``analysis_state`` changed: a tagging batch of 256 rewrote the
same cell 512 times in one transaction, about two thirds of the batch's ``UPDATE responses`` on PostgreSQL
(issue 18 §3). With the transaction-local ``clearloop.defer_day_totals`` on, an UPDATE whose only watched
change is ``analysis_state`` leaves the cell alone, and the writer adds the batch's ``analysed`` counts in
one grouped statement (app/insights/days_sql.py ``analysed_delta_statement``; tests/insights compare the
tables with their recomputation after tagging). Any other change, or the setting off, works as before.
SQLite: nothing changes.

The SQL is a frozen copy of app/insights/days_sql.py's ``totals_function()`` at this revision (a test
compares them).

Revision ID: sendtag_0002
Revises: sendtag_0001
Create Date: 2026-12-07 07:50:00

"""

from alembic import op

revision = "sendtag_0002"
down_revision = "sendtag_0001"
branch_labels = None
depends_on = None

TOTALS_FUNCTION = "CREATE OR REPLACE FUNCTION topic_day_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$\nDECLARE old_day date; remaining integer;\nBEGIN\n  IF TG_OP = 'UPDATE' AND NOT (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.survey_id IS DISTINCT FROM NEW.survey_id OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.score IS DISTINCT FROM NEW.score OR OLD.analysis_state IS DISTINCT FROM NEW.analysis_state OR OLD.scanner_suspect IS DISTINCT FROM NEW.scanner_suspect) THEN RETURN NULL; END IF;\n  IF TG_OP = 'UPDATE' AND current_setting('clearloop.defer_day_totals', true) = 'on' AND NOT (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.survey_id IS DISTINCT FROM NEW.survey_id OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.score IS DISTINCT FROM NEW.score OR OLD.scanner_suspect IS DISTINCT FROM NEW.scanner_suspect) THEN\n    RETURN NULL;  -- deferred: the writer adds the analysed counts of the rows it updated\n  END IF;\n  IF TG_OP <> 'INSERT' AND NOT OLD.scanner_suspect THEN\n    old_day := response_local_day(OLD.created_at);\n    UPDATE topic_day_totals SET responses = responses - 1, analysed = analysed - CASE WHEN OLD.analysis_state = 'done' THEN 1 ELSE 0 END, promoters = promoters - CASE WHEN OLD.kind = 'nps' AND OLD.score >= 9 THEN 1 ELSE 0 END, passives = passives - CASE WHEN OLD.kind = 'nps' AND OLD.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END, detractors = detractors - CASE WHEN OLD.kind = 'nps' AND OLD.score <= 6 THEN 1 ELSE 0 END WHERE day = old_day AND survey_id = OLD.survey_id RETURNING responses INTO remaining;\n    IF remaining <= 0 THEN DELETE FROM topic_day_totals WHERE day = old_day AND survey_id = OLD.survey_id; END IF;\n  END IF;\n  IF TG_OP <> 'DELETE' AND NOT NEW.scanner_suspect THEN\n    INSERT INTO topic_day_totals (day, survey_id, responses, analysed, promoters, passives, detractors) SELECT response_local_day(NEW.created_at), NEW.survey_id, 1, CASE WHEN NEW.analysis_state = 'done' THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score >= 9 THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score <= 6 THEN 1 ELSE 0 END ON CONFLICT (day, survey_id) DO UPDATE SET responses = topic_day_totals.responses + excluded.responses, analysed = topic_day_totals.analysed + excluded.analysed, promoters = topic_day_totals.promoters + excluded.promoters, passives = topic_day_totals.passives + excluded.passives, detractors = topic_day_totals.detractors + excluded.detractors;\n  END IF;\n  RETURN NULL;\nEND\n$$"

TOTALS_FUNCTION_BEFORE = "CREATE OR REPLACE FUNCTION topic_day_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$\nDECLARE old_day date; remaining integer;\nBEGIN\n  IF TG_OP = 'UPDATE' AND NOT (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.survey_id IS DISTINCT FROM NEW.survey_id OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.score IS DISTINCT FROM NEW.score OR OLD.analysis_state IS DISTINCT FROM NEW.analysis_state OR OLD.scanner_suspect IS DISTINCT FROM NEW.scanner_suspect) THEN RETURN NULL; END IF;\n  IF TG_OP <> 'INSERT' AND NOT OLD.scanner_suspect THEN\n    old_day := response_local_day(OLD.created_at);\n    UPDATE topic_day_totals SET responses = responses - 1, analysed = analysed - CASE WHEN OLD.analysis_state = 'done' THEN 1 ELSE 0 END, promoters = promoters - CASE WHEN OLD.kind = 'nps' AND OLD.score >= 9 THEN 1 ELSE 0 END, passives = passives - CASE WHEN OLD.kind = 'nps' AND OLD.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END, detractors = detractors - CASE WHEN OLD.kind = 'nps' AND OLD.score <= 6 THEN 1 ELSE 0 END WHERE day = old_day AND survey_id = OLD.survey_id RETURNING responses INTO remaining;\n    IF remaining <= 0 THEN DELETE FROM topic_day_totals WHERE day = old_day AND survey_id = OLD.survey_id; END IF;\n  END IF;\n  IF TG_OP <> 'DELETE' AND NOT NEW.scanner_suspect THEN\n    INSERT INTO topic_day_totals (day, survey_id, responses, analysed, promoters, passives, detractors) SELECT response_local_day(NEW.created_at), NEW.survey_id, 1, CASE WHEN NEW.analysis_state = 'done' THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score >= 9 THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END, CASE WHEN NEW.kind = 'nps' AND NEW.score <= 6 THEN 1 ELSE 0 END ON CONFLICT (day, survey_id) DO UPDATE SET responses = topic_day_totals.responses + excluded.responses, analysed = topic_day_totals.analysed + excluded.analysed, promoters = topic_day_totals.promoters + excluded.promoters, passives = topic_day_totals.passives + excluded.passives, detractors = topic_day_totals.detractors + excluded.detractors;\n  END IF;\n  RETURN NULL;\nEND\n$$"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TOTALS_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TOTALS_FUNCTION_BEFORE)
