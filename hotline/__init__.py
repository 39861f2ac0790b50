"""The hotline web app: one factory, nothing wired at import time."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, Response, jsonify

from hotline.config import load_config
from hotline.db import init_db
from hotline.queues import celery_init_app

MAX_WEBHOOK_BYTES = 1024 * 1024  # Twilio's largest webhooks are a few KB


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None
               ) -> Flask:
    """Build the Flask app, its database, its Celery instance and its routes."""
    app = Flask(__name__, instance_path=instance_path or os.environ.get("HOTLINE_INSTANCE"),
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, test_config))
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # twilio's client logs every request's headers at INFO; keep logs about our work.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    init_db(app)
    celery_init_app(app)
    register_routes(app)
    return app


def register_routes(app: Flask) -> None:
    """Blueprints and the health check; importing them also registers their Celery tasks."""
    from hotline import bridge, campaign_webhooks, sweeper, voice, webhooks  # noqa: F401
    from hotline.web import register_web
    from notifications import campaign_control, campaign_tasks, send  # noqa: F401

    webhooks.register(app)  # POST /twilio/sms, /twilio/status
    voice.register(app)  # the phone menu: /twilio/voice/...
    bridge.register(app)  # volunteer <-> worker call bridge: /twilio/bridge/...
    campaign_webhooks.register(app)  # POST /twilio/status/campaign?r=<recipient>
    register_web(app)  # staff console, volunteer inbox, login: /login, /staff, /inbox

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the app is up and can reach its database."""
        from sqlalchemy import text

        from hotline.db import get_db

        with get_db().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok")
