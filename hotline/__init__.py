"""The hotline web app: one factory, nothing wired at import time."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from hotline import log_privacy
from hotline.config import load_config
from hotline.db import init_db
from hotline.queues import celery_init_app

MAX_WEBHOOK_BYTES = 1024 * 1024  # Twilio's largest webhooks are a few KB
# Ids and case numbers are 32-bit INTEGER columns: a larger number in a URL names nothing.
INT4_MAX = 2**31 - 1
ERROR_PAGES = {
    400: {"zh": "请求无效，请返回重试。",
          "en": "This request is not valid. Go back and try again."},
    405: {"zh": "此页面不接受这种操作。", "en": "This page does not accept that kind of request."},
    500: {"zh": "出错了，我们已记录。请稍后再试。",
          "en": "Something went wrong on our side. Try again in a moment."},
}


class DatabaseInt(IntegerConverter):
    """Werkzeug's int converter capped at the database's INTEGER: a bigger number is a 404
    page, never an overflow inside the database driver (a 500)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, INT4_MAX if max is None else max, signed)


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None
               ) -> Flask:
    """Build the Flask app, its database, its Celery instance and its routes."""
    app = Flask(__name__, instance_path=instance_path or os.environ.get("HOTLINE_INSTANCE"),
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
    from hotline import (  # noqa: F401
        alibaba_webhooks,
        bridge,
        campaign_webhooks,
        privacy,
        sweeper,
        voice,
        webhooks,
    )
    from hotline.web import register_web
    from notifications import campaign_control, campaign_tasks, send  # noqa: F401

    webhooks.register(app)  # POST /twilio/sms, /twilio/status
    voice.register(app)  # the phone menu: /twilio/voice/...
    bridge.register(app)  # volunteer <-> worker call bridge: /twilio/bridge/...
    campaign_webhooks.register(app)  # POST /twilio/status/campaign?r=<recipient>
    alibaba_webhooks.register(app)  # POST /alibaba/<secret>/report and /up (Alibaba pushes)
    register_web(app)  # staff console, volunteer inbox, login: /login, /staff, /inbox

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the app is up and can reach its database."""
        from sqlalchemy import text

        from hotline.db import get_db

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
        from hotline.web.i18n import current_language

        message = ERROR_PAGES[code][current_language()]
        return render_template("error.html", code=code, message=message), code
    except Exception:  # the page itself failed (database down): plain text, still no details
        return Response(ERROR_PAGES[code]["zh"], status=code, mimetype="text/plain")


def register_error_pages(app: Flask) -> None:
    """NUL bytes refused; 400, 405 and 500 answered with a page, never a traceback."""
    app.before_request(refuse_nul_bytes)
    for code in ERROR_PAGES:
        app.register_error_handler(code, error_page)
