"""Accounts on the web (admins only): create logins, reset passwords, disable and enable.

The same rules as `hotline users ...`: usernames unique, volunteer logins linked to exactly
one volunteer, passwords of MIN_PASSWORD_LENGTH characters; a new password or a disabled
account ends every session of that account at once (its session version is bumped).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.i18n import gettext as _
from models import AuditAction, Organisation, Role, User, Volunteer
from models.user import MIN_PASSWORD_LENGTH, WeakPassword

bp = Blueprint("users_admin", __name__, url_prefix="/staff/users")
bp.before_request(guard(Role.ADMIN))


def unlinked_volunteers(session: Session, keep: int | None = None) -> list[Volunteer]:
    """Volunteers without a login yet (and `keep`, the one already linked), by name."""
    linked = select(User.volunteer_id).where(User.volunteer_id.is_not(None),
                                             User.volunteer_id != (keep or 0))
    return list(session.scalars(select(Volunteer).where(Volunteer.id.not_in(linked))
                                .order_by(Volunteer.name)))


def render_list(session: Session, values: dict[str, Any], errors: dict[str, str],
                status: int = 200) -> Any:
    """Every account and the form to create one."""
    users = session.scalars(select(User).order_by(User.active.desc(), User.role,
                                                  User.username)).all()
    orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("staff/users.html", users=users, organisations=orgs,
                           org_names={o.id: o.name for o in orgs},
                           volunteers=unlinked_volunteers(session), roles=list(Role),
                           values=values, errors=errors, min_length=MIN_PASSWORD_LENGTH), status


@bp.get("/")
def users() -> Any:
    """The accounts, newest active first, with the create form."""
    with get_db().begin() as session:
        return render_list(session, {"role": "staff"}, {})


def checked_password(errors: dict[str, str]) -> str:
    """The new password of the form if both copies agree and it is long enough."""
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        errors["password"] = _("The two passwords differ.")
    elif len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password must have at least %(n)s characters.",
                               n=MIN_PASSWORD_LENGTH)
    return password


def chosen_organisation(session: Session, errors: dict[str, str]) -> int | None:
    """The organisation picked on the form (blank: none)."""
    raw = request.form.get("organisation_id", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or session.get(Organisation, int(raw)) is None:
        errors["organisation_id"] = _("Choose an organisation from the list.")
        return None
    return int(raw)


def chosen_volunteer(session: Session, role: Role | None, errors: dict[str, str],
                     keep: int | None = None) -> int | None:
    """The volunteer a volunteer login acts for: required for volunteers, only for them."""
    raw = request.form.get("volunteer_id", "").strip()
    if role != Role.VOLUNTEER:
        if raw:
            errors["volunteer_id"] = _("Only a volunteer login is linked to a volunteer.")
        return None
    free = {v.id for v in unlinked_volunteers(session, keep)}
    if not raw.isdigit() or int(raw) not in free:
        errors["volunteer_id"] = _("Choose the volunteer this login acts for (one login "
                                   "per volunteer).")
        return None
    return int(raw)


@bp.post("/")
def create() -> Any:
    """Create an account; every problem is shown next to its field, nothing half-made."""
    admin = signed_in_user()
    errors: dict[str, str] = {}
    username = request.form.get("username", "").strip()
    with get_db().begin() as session:
        if not username or len(username) > 80 or any(ch.isspace() for ch in username):
            errors["username"] = _("A username has 1 to 80 characters and no spaces.")
        elif session.scalar(select(User.id).where(User.username == username)) is not None:
            errors["username"] = _("This username is taken.")
        try:
            role: Role | None = Role(request.form.get("role", ""))
        except ValueError:
            role = None
            errors["role"] = _("Choose a role.")
        org_id = chosen_organisation(session, errors)
        volunteer_id = chosen_volunteer(session, role, errors)
        password = checked_password(errors)
        if errors or role is None:
            values = {k: v for k, v in request.form.items() if "password" not in k}
            return render_list(session, values, errors, 400)
        user = User(username=username, role=role, organisation_id=org_id,
                    volunteer_id=volunteer_id,
                    display_name=request.form.get("display_name", "").strip()[:100] or None)
        user.set_password(password)
        session.add(user)
        session.flush()
        audit(session, admin, AuditAction.MANAGE_USER,
              detail=f"created {role} account {username}")
    flash(_("Account %(name)s created.", name=username), "info")
    return redirect(url_for("users_admin.users"), code=303)


def account_or_404(session: Session, user_id: int) -> User:
    """The account, locked for the change."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        abort(404)
    return user


def render_edit(session: Session, user: User, errors: dict[str, str], status: int = 200) -> Any:
    """One account: name, organisation, volunteer, new password, disable/enable."""
    orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("staff/user_edit.html", account=user, organisations=orgs,
                           volunteers=unlinked_volunteers(session, user.volunteer_id),
                           errors=errors, min_length=MIN_PASSWORD_LENGTH,
                           is_me=user.id == signed_in_user().id), status


@bp.get("/<int:user_id>")
def edit(user_id: int) -> Any:
    """The account's page."""
    with get_db().begin() as session:
        return render_edit(session, account_or_404(session, user_id), {})


@bp.post("/<int:user_id>")
def save(user_id: int) -> Any:
    """Change the shown name, the organisation and (volunteer logins) the volunteer."""
    admin = signed_in_user()
    errors: dict[str, str] = {}
    with get_db().begin() as session:
        user = account_or_404(session, user_id)
        org_id = chosen_organisation(session, errors)
        volunteer_id = chosen_volunteer(session, user.role, errors, keep=user.volunteer_id)
        if errors:
            return render_edit(session, user, errors, 400)
        user.display_name = request.form.get("display_name", "").strip()[:100] or None
        user.organisation_id, user.volunteer_id = org_id, volunteer_id
        audit(session, admin, AuditAction.MANAGE_USER, detail=f"changed account {user.username}")
        name = user.username
    flash(_("Account %(name)s saved.", name=name), "info")
    return redirect(url_for("users_admin.edit", user_id=user_id), code=303)


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int) -> Any:
    """Give the account a new password: every session of it ends at once."""
    admin = signed_in_user()
    errors: dict[str, str] = {}
    with get_db().begin() as session:
        user = account_or_404(session, user_id)
        password = checked_password(errors)
        if not errors:
            try:
                user.set_password(password)  # bumps session_version
            except WeakPassword:  # pragma: no cover - checked_password checked the length
                errors["password"] = _("The password must have at least %(n)s characters.",
                                       n=MIN_PASSWORD_LENGTH)
        if errors:
            return render_edit(session, user, errors, 400)
        audit(session, admin, AuditAction.MANAGE_USER,
              detail=f"new password for {user.username}")
        name = user.username
    flash(_("New password set for %(name)s; every session of it has ended.", name=name), "info")
    return redirect(url_for("users_admin.edit", user_id=user_id), code=303)


@bp.post("/<int:user_id>/active")
def set_active(user_id: int) -> Any:
    """Disable an account (its sessions end, no more logins) or enable it again."""
    admin = signed_in_user()
    active = request.form.get("active") == "1"
    with get_db().begin() as session:
        user = account_or_404(session, user_id)
        if user.id == admin.id and not active:
            return render_edit(session, user, {"active": _("You cannot disable your own "
                                                           "account.")}, 400)
        user.active = active
        if not active:
            user.revoke_sessions()
        audit(session, admin, AuditAction.MANAGE_USER,
              detail=f"{'enabled' if active else 'disabled'} account {user.username}")
        name = user.username
    flash(_("%(name)s can log in again.", name=name) if active
          else _("%(name)s is disabled: every session has ended.", name=name), "info")
    return redirect(url_for("users_admin.edit", user_id=user_id), code=303)
