"""Sign-in and user management forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.models import Role

ROLE_LABELS = {Role.ADMIN: "Admin", Role.CS: "CS manager", Role.PM: "Product manager", Role.VIEWER: "Viewer"}


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class UserForm(FlaskForm):
    """An admin creates a staff user."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=1024)])


class RoleForm(FlaskForm):
    """An admin changes a user's role."""

    role = SelectField("Role", choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])


class PasswordForm(FlaskForm):
    """A user changes their own password."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
