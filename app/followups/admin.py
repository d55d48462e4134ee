"""What admins change: the rules (validated; a rule with no condition is refused) and the follow-up settings.
Each change is audited and committed here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.audit import audit
from app.extensions import db
from app.followups.rules import Conditions, RuleError, ensure_default_rules
from app.followups.sla import MAX_DAYS, supported_countries
from app.models import FollowUpRule, Role, User
from app.workspace_settings import set_settings


@dataclass(frozen=True)
class RuleInput:
    """A rule as an admin submitted it."""

    name: str
    enabled: bool
    position: int
    conditions: dict[str, Any]


def rules() -> list[FollowUpRule]:
    """Every rule, in the order they run."""
    ensure_default_rules()
    return list(
        db.session.execute(sa.select(FollowUpRule).order_by(FollowUpRule.position, FollowUpRule.id)).scalars()
    )


def save_rule(rule_id: int | None, data: RuleInput, actor_id: int) -> FollowUpRule:
    """Create or update a rule; RuleError (nothing written) when it is invalid or its name is taken."""
    conditions = Conditions.parse(data.conditions)
    name = data.name.strip()
    if not name:
        raise RuleError("Give the rule a name.")
    clash = db.session.execute(
        sa.select(FollowUpRule.id).where(
            sa.func.lower(FollowUpRule.name) == name.lower(), FollowUpRule.id != (rule_id or 0)
        )
    ).first()
    if clash:
        raise RuleError(f"Another rule is already called “{name}”.")
    rule = db.session.get(FollowUpRule, rule_id) if rule_id else FollowUpRule()
    if rule is None:
        raise RuleError("This rule no longer exists.")
    rule.name, rule.enabled, rule.position = name[:50], data.enabled, data.position
    rule.conditions, rule.updated_by_id = conditions.as_dict(), actor_id
    db.session.add(rule)
    db.session.flush()
    audit(
        actor_id, "followup_rule.save", "followup_rule", rule.id, name=rule.name, conditions=rule.conditions
    )
    db.session.commit()
    return rule


def delete_rule(rule_id: int, actor_id: int) -> str:
    """Delete a rule (its follow-ups stay, with the rule's name as their reason); returns its name."""
    rule = db.session.get(FollowUpRule, rule_id)
    if rule is None:
        raise RuleError("This rule no longer exists.")
    name = rule.name
    db.session.delete(rule)
    audit(actor_id, "followup_rule.delete", "followup_rule", rule_id, name=name)
    db.session.commit()
    return name


def owner_choices() -> list[tuple[int, str]]:
    """Active CS members and admins, who may own follow-ups."""
    users = db.session.execute(
        sa.select(User)
        .where(User.is_active_user.is_(True), User.role.in_((Role.CS, Role.ADMIN)))
        .order_by(User.name, User.email)
    ).scalars()
    return [(u.id, f"{u.name or u.email} ({u.role.value})") for u in users]


def save_settings(values: dict[str, Any], actor_id: int) -> None:
    """Store the follow-up settings (checked again here: a bad value raises RuleError, nothing written)."""
    country = values["holiday_country"] or ""
    if country and country not in supported_countries():
        raise RuleError("Choose a country from the list.")
    owner = values["default_owner"] or None
    if owner is not None and owner not in {uid for uid, _ in owner_choices()}:
        raise RuleError("The default owner must be an active CS member or admin.")
    if not 1 <= values["sla_days"] <= MAX_DAYS or not 0 <= values["admin_days"] <= MAX_DAYS:
        raise RuleError(f"Business days must be between 1 and {MAX_DAYS}.")
    stored = {
        "followup_sla_business_days": values["sla_days"],
        "followup_holiday_country": country,
        "followup_day_start_hour": values["day_start_hour"],
        "followup_default_owner_id": owner,
        "followup_admin_escalation_days": values["admin_days"],
    }
    set_settings(stored)
    audit(actor_id, "followup_settings.save", "settings", "followups", **stored)
    db.session.commit()
