"""The web UI: staff console and volunteer inbox, server-rendered with Jinja (and a little htmx)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import HTTPException

from hotline.phones import mask_phone
from hotline.web import charts
from hotline.web.case_summary import money_words
from hotline.web.english_texts import register_filters
from hotline.web.event_text import event_text
from hotline.web.i18n import event_name, gettext, init_i18n, nl2br
from hotline.web.stats import local_zone

csrf = CSRFProtect()
login_manager = LoginManager()
# Templates and static files (CSS, vendored htmx) of the web UI; no CDN is ever used.
WEB_BLUEPRINTS = frozenset({"auth", "staff", "office", "volunteer", "campaigns_web",
                            "staff_volunteers", "staff_flows", "account", "case_edit", "triage",
                            "users_admin", "contacts_import", "privacy_admin",
                            "templates_admin", "consent_export"})
assets = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/web")


def register_web(app: Flask) -> None:
    """Attach login, CSRF, i18n and the auth/staff/volunteer blueprints to the app."""
    # The app factory's endpoints, imported when the app is built: a module that needs one
    # helper of this package (i18n, stats) runs this file first and must not load every view.
    from hotline.web import (
        account,
        auth,
        campaigns,
        case_edit,
        consent_export,
        contacts_import,
        privacy_admin,
        staff,
        staff_admin,
        staff_flows,
        staff_volunteers,
        templates_admin,
        triage,
        users_admin,
        volunteer,
    )

    # Twilio's webhooks cannot carry a CSRF token: only the web blueprints check it
    # (each calls csrf.protect() before its views; see `protect_forms`).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(auth.load_user)
    init_i18n(app)
    register_filters(app)
    init_templates(app)
    for bp in (auth.bp, staff.bp, staff_admin.bp, volunteer.bp, campaigns.bp,
               staff_volunteers.bp, staff_flows.bp, account.bp, case_edit.bp, triage.bp,
               users_admin.bp, contacts_import.bp, privacy_admin.bp, templates_admin.bp,
               consent_export.bp):
        app.register_blueprint(bp)
    app.before_request(forget_previous_request)
    app.before_request(protect_forms)
    app.after_request(security_headers)
    app.register_blueprint(assets)
    app.register_error_handler(CSRFError, csrf_failed)
    for code in (403, 404):
        app.register_error_handler(code, page_refused)
    app.add_url_rule("/", "home", home)


def is_web_request() -> bool:
    """True for the UI's own pages (not Twilio's webhooks, which are signed instead)."""
    return request.blueprint in WEB_BLUEPRINTS or request.endpoint == "home"


def forget_previous_request() -> None:
    """Drop per-request state cached on `g`: an app context pushed around many requests
    (tests, scripts) shares one `g`, and a user or language must never leak between them."""
    g.pop("_login_user", None)
    g.pop("lang", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def protect_forms() -> None:
    """Reject a state-changing UI request without a valid CSRF token (400)."""
    if is_web_request() and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def csrf_failed(error: CSRFError) -> tuple[str, int]:
    """A plain 400 page that says why the form was refused."""
    return gettext("The form expired or was not sent from this site. Go back and try again.") + \
        f" ({error.description})", 400


def page_refused(error: HTTPException) -> Any:
    """403/404 as a page of the console in the user's language (Twilio's paths: as they are).

    The 404 text is the same for a page that does not exist and a case that is not yours,
    so it says nothing about which it was."""
    if request.path.startswith("/twilio/"):
        return error
    message = (gettext("You may not open this page.") if error.code == 403 else
               gettext("This page does not exist, or it is not yours to see."))
    return render_template("error.html", code=error.code, message=message), error.code


def home() -> Any:
    """Send each role to its start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("staff.dashboard"))
    return redirect(url_for("volunteer.inbox"))


def init_templates(app: Flask) -> None:
    """Filters and helpers the templates use."""
    app.jinja_env.filters.update(nl2br=nl2br, localtime=localtime, event_text=event_text)
    app.jinja_env.globals.update(
        csrf_token=generate_csrf, charts=charts, mask=mask_phone, money=money,
        event_name=event_name, url_with=url_with,
        has_endpoint=lambda name: name in app.view_functions)


def security_headers(response: Response) -> Response:
    """Pages with workers' data stay out of caches and frames, and run only our own scripts."""
    if not is_web_request():
        return response
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # htmx sets inline styles for its indicators; scripts come only from /static.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; media-src 'self' https:; frame-ancestors 'none'; "
        "form-action 'self'")
    return response


def localtime(value: datetime | str | None) -> str:
    """A timestamp (or its ISO text, as progress reports carry it) in the office's time zone,
    to the minute."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M") if value else "—"


def money(value: Decimal | None) -> str:
    """Yuan with thousands separators, or a dash when unknown."""
    return "—" if value is None else money_words(value)


def url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (pagination keeps the filters)."""
    args: dict[str, Any] = {**request.args.to_dict(), **(request.view_args or {}),
                            **{k: str(v) for k, v in changes.items()}}
    return url_for(request.endpoint or "home", **args)
