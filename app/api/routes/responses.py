"""Responses: list with the explorer's filters (or sync by ``updated_since``), get with the analysis,
create from other channels."""

from __future__ import annotations

from typing import Any

from app.api import answers
from app.api.core import actor_id, blueprint, fail, scoped
from app.api.schemas import ResponseInSchema, ResponseListArgs, ResponsePage, ResponseSchema

bp = blueprint("responses", "Survey responses with their topics, intents and sentiment")


@bp.route("/responses", methods=["GET"])
@scoped("read")
@bp.arguments(ResponseListArgs, location="query")
@bp.response(200, ResponsePage)
def list_responses(args: dict[str, Any]):
    """List responses with the feedback explorer's filters; ``updated_since`` lists oldest change first."""
    return answers.page(args)


@bp.route("/responses", methods=["POST"])
@scoped("write")
@bp.arguments(ResponseInSchema)
@bp.response(201, ResponseSchema)
def create_response(data: dict[str, Any]):
    """Record a response gathered elsewhere; sending the same ``external_id`` again updates it."""
    return answers.create(data, actor_id())


@bp.route("/responses/<int:response_id>", methods=["GET"])
@scoped("read")
@bp.response(200, ResponseSchema)
def get_response(response_id: int):
    """One response with its topics, intents and sentiment."""
    found = answers.one(response_id)
    if found is None:
        fail(404, f"No response with id {response_id}.")
    return found
