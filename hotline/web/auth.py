"""Log in and out; sessions the server can revoke; login throttling in the database.

Throttling counts failed tries in `login_attempts` three ways: per account+address (the owner's
typos), per account from anywhere (a guesser rotating addresses) and per address across
accounts (password spraying: a few guesses at many accounts).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from werkzeug.security import generate_password_hash

from hotline.infra.clock import database_now, db_now
from hotline.infra.db import get_db
from hotline.web.i18n import gettext as _
from models import LoginAttempt, User

bp = Blueprint("auth", __name__)

# Failures inside the window that lock further tries: per account+address, and per account
# from anywhere (slows a guesser who rotates addresses without locking the owner out at once).
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_IP = 5
MAX_FAILURES_PER_ACCOUNT = 20
# Any accounts from one address: above what one office behind a shared NAT mistypes.
MAX_FAILURES_PER_ADDRESS = 30
LOGIN_AT = "login_at"  # session key: when this login began (SESSION_MAX_HOURS)


@cache
def dummy_user() -> User:
    """Checked when the username is unknown, so both cases take the same time (no user probing)."""
    return User(username="-", password_hash=generate_password_hash("not-a-real-password"))


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the active user named by 'id:version', if that session is still
    valid (version current: not logged out or re-passworded since; not older than the cap)."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    with get_db().begin() as db:
        if session_expired(db_now(db)):
            return None
        user = db.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user


def session_expired(now: datetime) -> bool:
    """True when this login began more than SESSION_MAX_HOURS before `now` (the database's
    time: the web host that logged in and the one answering may disagree about the time),
    or never said when."""
    began = session.get(LOGIN_AT)
    max_hours = float(current_app.config.get("SESSION_MAX_HOURS", 12))
    return not isinstance(began, (int, float)) or now.timestamp() - began > max_hours * 3600


def client_ip() -> str:
    """The caller's address (ProxyFix, when configured, has already put the real one here)."""
    return (request.remote_addr or "unknown")[:64]


def recent_failures(session: DbSession, username: str | None, ip: str | None) -> int:
    """Failed tries since the window opened, for `username` and/or from `ip`.

    Only the account+address counter restarts after a success, and only after a success of
    that account from that address (the owner got it right after a typo): a login elsewhere,
    or a guesser's own account, must not wipe the count of failures somewhere else.
    """
    since = db_now(session) - THROTTLE_WINDOW  # attempts are stamped by the database
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.success.is_(False), LoginAttempt.at > since)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    if username is not None and ip is not None:
        last_ok = select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip,
            LoginAttempt.success.is_(True))
        query = query.where(LoginAttempt.at > func.coalesce(last_ok.scalar_subquery(), since))
    return session.scalar(query) or 0


def is_throttled(session: DbSession, username: str, ip: str) -> bool:
    """True when this account from this address, this account overall, or this address
    over all accounts has failed too often lately."""
    return (recent_failures(session, username, ip) >= MAX_FAILURES_PER_IP
            or recent_failures(session, username, None) >= MAX_FAILURES_PER_ACCOUNT
            or recent_failures(session, None, ip) >= MAX_FAILURES_PER_ADDRESS)


def authenticate(username: str, password: str, ip: str) -> tuple[User | None, int]:
    """Check a login and record the attempt; return the user (or None) and an HTTP status."""
    with get_db().begin() as session:
        if is_throttled(session, username, ip):
            return None, 429
        user = session.scalar(select(User).where(User.username == username))
        ok = (user or dummy_user()).check_password(password) if password else False
        ok = ok and user is not None and user.active
        session.add(LoginAttempt(username=username[:80], ip=ip, success=ok))
        if not ok or user is None:
            return None, 401
        user.last_login_at = db_now(session)
        return user, 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; on success, go where the user was heading (same site only)."""
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        flash(_("Enter your username and password."), "error")
        return render_template("login.html", username=username), 400
    user, status = authenticate(username, password, client_ip())
    if user is None:
        flash(_("Too many failed attempts. Wait 15 minutes and try again.") if status == 429
              else _("Wrong username or password."), "error")
        return render_template("login.html", username=username), status
    start_session(user)
    current_app.logger.info("login %s (%s)", user.username, user.role)
    return redirect(safe_next(request.args.get("next")) or url_for("home"))


def start_session(user: User) -> None:
    """A fresh session for `user`: nothing of the anonymous one is kept (no fixation), it
    expires when idle (PERMANENT_SESSION_LIFETIME) and at SESSION_MAX_HOURS."""
    session.clear()
    login_user(user)
    session.permanent = True
    # The database's time, as load_user compares it: another web host may answer next.
    session[LOGIN_AT] = database_now().timestamp()


def safe_next(target: str | None) -> str | None:
    """Only follow a path on this site after login, never another site (open redirect).

    Browsers strip tabs and newlines and read a backslash as a slash, so "/\t/evil.example"
    would become "//evil.example": refuse any control or space character, any backslash, a
    second leading slash and any scheme or host, both as given and once more percent-decoded.
    """
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
            return None
        if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


@bp.post("/logout")
def logout() -> Any:
    """End the session (a POST with CSRF token, so a link elsewhere cannot log you out).

    The account's session version is bumped, so a copy of this cookie (or of any other
    session of the account) is refused from now on; other devices must log in again."""
    if current_user.is_authenticated:
        with get_db().begin() as db:
            user = db.get(User, current_user.id, with_for_update=True)
            if user is not None:
                user.revoke_sessions()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
