"""The hotline web app: one factory, nothing wired at import time."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from hotline.infra import log_privacy
from hotline.infra.config import check_startup, default_instance_path, load_config, read_settings
from hotline.infra.db import get_db, init_db
from hotline.infra.queues import celery_init_app
from hotline.translations import N_, translate

MAX_WEBHOOK_BYTES = 1024 * 1024  # Twilio's largest webhooks are a few KB
# Ids and case numbers are 32-bit INTEGER columns: a larger number in a URL names nothing.
INT4_MAX = 2**31 - 1
ERROR_PAGES = {  # message ids of the catalogues (hotline/translations)
    400: N_("This request is not valid. Go back and try again."),
    405: N_("This page does not accept that kind of request."),
    500: N_("Something went wrong on our side. Try again in a moment."),
}


class DatabaseInt(IntegerConverter):
    """Werkzeug's int converter capped at the database's INTEGER: a bigger number is a 404
    page, never an overflow inside the database driver (a 500)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, INT4_MAX if max is None else max, signed)


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None,
               *, role: str | None = None) -> Flask:
    """Build the Flask app, its database, its Celery instance and its routes.

    Built from the environment alone (no `test_config`: gunicorn 'hotline:create_app()', the
    CLI, worker.py), it first refuses, with StartupRefused naming every missing setting, to
    start without what a process of its role must share with every other host (`role`, else
    what the entry point said: hotline.infra.config.set_role; the WSGI app by default)."""
    if test_config is None:
        check_startup(read_settings(), role)
    app = Flask(__name__, instance_path=instance_path or default_instance_path(),
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, test_config))
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    configure_logging()
    # twilio's client logs every request's headers at INFO; keep logs about our work.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    log_privacy.install()  # no worker's number or words in any log line
    init_db(app)
    celery_init_app(app)
    # Before any route is added: every <int:...> in a URL stops at what the database holds.
    app.url_map.converters["int"] = DatabaseInt
    register_routes(app)
    register_error_pages(app)
    return app


class UTCFormatter(logging.Formatter):
    """Log times in UTC with their offset (2026-12-03T14:49:17.123+00:00): lines from hosts
    in different time zones, or with TZ unset, line up and say what they mean."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """The record's time in ISO 8601, UTC, to the millisecond."""
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure_logging() -> None:
    """The root logger's format, once per process (a no-op when something set it up)."""
    handler = logging.StreamHandler()
    handler.setFormatter(UTCFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def register_routes(app: Flask) -> None:
    """Blueprints and the health check; importing them also registers their Celery tasks."""
    # Imported here, not at the top: every `import hotline.<module>` runs this package first,
    # and the endpoints pull in the whole domain, which must not load for a CLI command or a
    # worker that never serves HTTP.
    from hotline import bridge, privacy, sweeper  # noqa: F401
    from hotline.web import register_web
    from hotline.webhooks import alibaba, twilio_sms, twilio_voice
    from notifications import send  # noqa: F401
    from notifications.campaigns import control, tasks, webhooks  # noqa: F401

    twilio_sms.register(app)  # POST /twilio/sms, /twilio/status
    twilio_voice.register(app)  # the phone menu: /twilio/voice/...
    bridge.register(app)  # volunteer <-> worker call bridge: /twilio/bridge/...
    webhooks.register(app)  # POST /twilio/status/campaign?r=<recipient>
    alibaba.register(app)  # POST /alibaba/<secret>/report and /up (Alibaba pushes)
    register_web(app)  # staff console, volunteer inbox, login: /login, /staff, /inbox

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the app is up and can reach its database."""
        with get_db().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok")


def refuse_nul_bytes() -> None:
    """A NUL in a query string or form is nothing a person typed (and PostgreSQL refuses it in
    text): answer 400 before any view runs. Twilio's webhooks clean their own fields."""
    if request.path.startswith("/twilio/"):
        return
    fields = [*request.args.items(multi=True)]
    if request.method not in ("GET", "HEAD") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        fields += request.form.items(multi=True)
    if any("\x00" in key or "\x00" in value for key, value in fields):
        abort(400)


def error_page(error: HTTPException | Exception) -> Any:
    """400, 405 and 500 as a page of the console in the user's language, saying nothing of
    what failed (the log has that); Twilio's paths keep the plain answer."""
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if request.path.startswith("/twilio/"):
        return error if isinstance(error, HTTPException) else ("", 500)
    try:
        # Here, not at the top: hotline.web is the console, which a worker or a CLI command
        # (each importing this package first) never loads.
        from hotline.web.i18n import gettext

        message = gettext(ERROR_PAGES[code])
        return render_template("error.html", code=code, message=message), code
    except Exception:  # the page itself failed (database down): plain text, still no details
        return Response(translate("zh", ERROR_PAGES[code]), status=code, mimetype="text/plain")


def register_error_pages(app: Flask) -> None:
    """NUL bytes refused; 400, 405 and 500 answered with a page, never a traceback."""
    app.before_request(refuse_nul_bytes)
    for code in ERROR_PAGES:
        app.register_error_handler(code, error_page)
