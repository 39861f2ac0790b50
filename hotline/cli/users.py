"""`hotline users ...`: create web accounts (the first admin, staff, volunteer logins)."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.cli.app import make_app
from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, normalize_phone
from models import Organisation, Role, User, Volunteer
from models.user import WeakPassword


@click.group("users")
def users() -> None:
    """Manage web accounts."""


@users.command("create")
@click.option("--username", required=True, help="Login name (unique).")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters (prompted when omitted).")
@click.option("--name", "display_name", default=None, help="Name shown in the console.")
@click.option("--organisation", default=None, help="Organisation name (staff see its cases).")
@click.option("--volunteer-phone", default=None,
              help="For --role volunteer: the volunteer this login acts for.")
def create(username: str, role: str, password: str, display_name: str | None,
           organisation: str | None, volunteer_phone: str | None) -> None:
    """Create a web account with a scrypt-hashed password."""
    username = username.strip()
    if not username or len(username) > 80:
        raise click.BadParameter("1 to 80 characters", param_hint="--username")
    if (role == Role.VOLUNTEER) != bool(volunteer_phone):
        raise click.UsageError("--volunteer-phone is required for volunteers, and only for them")
    app = make_app()
    with app.app_context():
        try:
            with get_db().begin() as session:
                user = User(username=username, role=Role(role), display_name=display_name)
                user.set_password(password)
                user.organisation_id = find_organisation(session, organisation)
                user.volunteer_id = find_volunteer(session, volunteer_phone)
                session.add(user)
        except WeakPassword as exc:
            raise click.BadParameter(str(exc), param_hint="--password") from exc
        except IntegrityError as exc:
            raise click.ClickException(
                f"username {username!r} or that volunteer already has an account") from exc
    click.echo(f"created {role} {username}")


@users.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters (prompted when omitted).")
def password(username: str, password: str) -> None:
    """Set a new password; every session of the account ends (copied cookies too)."""
    change_account(username, lambda user: user.set_password(password))
    click.echo(f"new password for {username}; its sessions have ended")


@users.command("sign-out")
@click.argument("username")
@click.option("--disable", is_flag=True, help="Also refuse further logins.")
def sign_out(username: str, disable: bool) -> None:
    """End every session of an account now (a lost phone, a shared computer)."""

    def revoke(user: User) -> None:
        user.revoke_sessions()
        user.active = user.active and not disable

    change_account(username, revoke)
    click.echo(f"{username}: every session ended" + ("; account disabled" if disable else ""))


def change_account(username: str, change: Callable[[User], None]) -> None:
    """Apply `change` to the account in one transaction; a clear error when it is unknown."""
    app = make_app()
    with app.app_context():
        try:
            with get_db().begin() as session:
                user = session.scalar(select(User).where(User.username == username)
                                      .with_for_update())
                if user is None:
                    raise click.ClickException(f"no user {username!r}")
                change(user)
        except WeakPassword as exc:
            raise click.BadParameter(str(exc), param_hint="--password") from exc


def find_organisation(session: Session, name: str | None) -> int | None:
    """The id of the organisation called `name` (None for none); error if unknown."""
    if not name:
        return None
    org_id = session.scalar(select(Organisation.id).where(
        Organisation.name == name))
    if org_id is None:
        raise click.BadParameter(f"no organisation named {name!r}", param_hint="--organisation")
    return int(org_id)


def find_volunteer(session: Session, phone: str | None) -> int | None:
    """The id of the volunteer with this phone (any format); error if unknown."""
    if not phone:
        return None

    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--volunteer-phone") from exc
    vid = session.scalar(select(Volunteer.id).where(
        Volunteer.phone == e164))
    if vid is None:
        raise click.BadParameter(f"no volunteer with phone {e164}",
                                 param_hint="--volunteer-phone")
    return int(vid)


@users.command("duty")
@click.argument("username")
@click.option("--phone", default=None, help="The staff member's mobile (texted on escalations).")
@click.option("--on/--off", "on_duty", default=None, help="Go on or off duty.")
def duty(username: str, phone: str | None, on_duty: bool | None) -> None:
    """Set a staff account's phone and on-duty flag: on-duty staff with a phone are texted
    when a case of their organisation escalates (routing)."""
    try:
        e164 = normalize_phone(phone) if phone else None
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc
    app = make_app()
    with app.app_context(), get_db().begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        user.phone = e164 or user.phone
        user.on_duty = user.on_duty if on_duty is None else on_duty
        state = f"{username}: {'on' if user.on_duty else 'off'} duty, phone {user.phone or '-'}"
    click.echo(state)
