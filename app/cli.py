"""Registers every feature's ``flask`` command group on the app."""

from __future__ import annotations

from flask import Flask

COMMANDS = (
    "app.auth.cli:users_cli",
    "app.tasks.cli:jobs_cli",
    "app.demo.cli:demo_cli",
    "app.surveys.cli:surveys_cli",
    "app.analysis.cli:topics_cli",
)


def register(app: Flask) -> None:
    """Add each command group listed in COMMANDS."""
    for spec in COMMANDS:
        module_name, attr = spec.split(":")
        module = __import__(module_name, fromlist=[attr])
        app.cli.add_command(getattr(module, attr))
