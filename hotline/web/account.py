"""My account: everyone's own password; staff also their phone and on-duty flag."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, normalize_phone
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.auth import start_session
from hotline.web.i18n import gettext as _
from models import AuditAction, Role, User
from models.user import MIN_PASSWORD_LENGTH, WeakPassword

bp = Blueprint("account", __name__, url_prefix="/account")
bp.before_request(guard(Role.ADMIN, Role.STAFF, Role.VOLUNTEER))


def render_account(user: User, status: int = 200, phone: str | None = None) -> Any:
    """The account page, the phone field keeping what was typed after an error."""
    return render_template("account.html", user=user, min_length=MIN_PASSWORD_LENGTH,
                           phone=user.phone or "" if phone is None else phone), status


@bp.get("/")
def show() -> Any:
    """The form: the password change, and for staff the phone and on-duty flag."""
    return render_account(signed_in_user())


@bp.post("/duty")
def duty() -> Any:
    """Save the phone (E.164) and the on-duty flag: on-duty staff with a phone are texted
    when a case of their organisation escalates (as `hotline users duty` and ON/OFF do)."""
    user = signed_in_user()
    if not user.is_staff:  # volunteers go on and off duty by SMS (ON/OFF) or in their inbox
        abort(403)
    raw = request.form.get("phone", "").strip()
    on = request.form.get("on_duty") == "1"
    try:
        phone = normalize_phone(raw) if raw else None
    except InvalidPhone as exc:
        flash(_("Not saved: %(reason)s", reason=str(exc)), "error")
        return render_account(user, 400, phone=raw[:40])
    if on and phone is None:
        flash(_("Give your mobile number to go on duty: escalations are texted to it."),
              "error")
        return render_account(user, 400, phone=raw)
    with get_db().begin() as session:
        me = session.get(User, user.id, with_for_update=True)
        if me is None:  # pragma: no cover - the loader just read it
            abort(404)
        me.phone, me.on_duty = phone, on
    flash(_("You are on duty.") if on else _("You are off duty."), "info")
    return redirect(url_for("account.show"), code=303)


@bp.post("/password")
def password() -> Any:
    """Change one's own password: the current one is required; every other session ends
    (the session version is bumped), this one continues under the new version."""
    user = signed_in_user()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    with get_db().begin() as session:
        me = session.get(User, user.id, with_for_update=True)
        if me is None:  # pragma: no cover - the loader just read it
            abort(404)
        error = None
        if not current or not me.check_password(current):
            error = _("Your current password is wrong.")
        elif new != request.form.get("confirm_password", ""):
            error = _("The two new passwords differ.")
        else:
            try:
                me.set_password(new)  # bumps session_version: copies of cookies die
            except WeakPassword:
                error = _("The new password must have at least %(n)s characters.",
                          n=MIN_PASSWORD_LENGTH)
        if error:  # nothing was changed: set_password checks before it writes
            flash(error, "error")
            return render_account(user, 400)
        audit(session, me, AuditAction.CHANGE_PASSWORD, detail="own password changed")
    start_session(me)  # a fresh session under the new version, for this browser only
    flash(_("Password changed. Your other sessions have ended."), "info")
    return redirect(url_for("account.show"), code=303)
