"""Log in and out, with login throttling per account and per account+address in the database."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from hotline.db import get_db
from hotline.web.i18n import gettext as _
from models import LoginAttempt, User, utcnow

bp = Blueprint("auth", __name__)

# Failures inside the window that lock further tries: per account+address, and per account
# from anywhere (slows a guesser who rotates addresses without locking the owner out at once).
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_IP = 5
MAX_FAILURES_PER_ACCOUNT = 20


@cache
def dummy_user() -> User:
    """Checked when the username is unknown, so both cases take the same time (no user probing)."""
    return User(username="-", password_hash=generate_password_hash("not-a-real-password"))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user with this id, detached from its session."""
    if not user_id.isdigit():
        return None
    with get_db().begin() as session:
        user = session.get(User, int(user_id))
        return user if user is not None and user.active else None


def client_ip() -> str:
    """The caller's address (ProxyFix, when configured, has already put the real one here)."""
    return (request.remote_addr or "unknown")[:64]


def recent_failures(session: Session, username: str, ip: str | None) -> int:
    """Failed tries for `username` (from `ip`, if given) since the window opened."""
    since = utcnow() - THROTTLE_WINDOW
    last_ok = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True))
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False),
        LoginAttempt.at > since,
        LoginAttempt.at > func.coalesce(last_ok.scalar_subquery(), since))
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return session.scalar(query) or 0


def is_throttled(session: Session, username: str, ip: str) -> bool:
    """True when this account (from this address, or overall) has failed too often lately."""
    return (recent_failures(session, username, ip) >= MAX_FAILURES_PER_IP
            or recent_failures(session, username, None) >= MAX_FAILURES_PER_ACCOUNT)


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
        user.last_login_at = utcnow()
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
    login_user(user)
    current_app.logger.info("login %s (%s)", user.username, user.role)
    return redirect(safe_next(request.args.get("next")) or url_for("home"))


def safe_next(target: str | None) -> str | None:
    """Only follow a local path after login, never another site (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.post("/logout")
def logout() -> Any:
    """Forget the session (a POST with CSRF token, so a link elsewhere cannot log you out)."""
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
