"""Celery entry point: `celery -A worker worker` builds the app and uses its Celery instance.

A worker or beat refuses to start without the settings every host must share: alone it would
start its own Redis (and take shared work nobody else sees) or an empty SQLite file (and fail
every task). HOTLINE_SINGLE_MACHINE=1 says this is one machine on purpose: the embedded Redis
and the SQLite file in the instance folder are then used. `hotline demo` needs neither: it
passes its worker the URLs it started. What each process needs is decided in one place,
hotline.infra.config (missing_settings); here only when: once Celery says worker or beat.
"""

import logging
import sys
from collections.abc import Mapping
from typing import Any

from celery.signals import beat_init, celeryd_init

from devtools.embedded_redis import ensure_embedded_redis
from hotline import create_app
from hotline.infra.config import (
    BEAT,
    CELERY,
    SINGLE_MACHINE,
    WORKER,
    StartupRefused,
    check_startup,
    read_settings,
)
from hotline.infra.config import missing_settings as settings_missing

log = logging.getLogger("worker")
__all__ = ["SINGLE_MACHINE", "celery", "flask_app", "missing_settings"]

# Named flask_app, not app: Celery's -A lookup tries the attribute `app` before `celery`.
# Importing builds the app without checks (`celery -A worker inspect ...`, tests import it):
# a worker or beat is checked when it starts.
flask_app = create_app(role=CELERY)
celery = flask_app.extensions["celery"]


def missing_settings(config: Mapping[str, Any], environ: Mapping[str, str]) -> list[str]:
    """What a worker or beat on one of several hosts lacks, one sentence each (empty: none):
    the shared URLs as the environment gives them, the rest as configured."""
    settings = {**config, "DATABASE_URL": environ.get("DATABASE_URL"),
                "REDIS_URL": environ.get("REDIS_URL")}
    return settings_missing(settings, WORKER, environ)


def refuse_or_prepare(role: str) -> None:
    """Stop a worker or beat missing a shared setting, with what to set; else start the
    embedded Redis when this is one machine on purpose."""
    try:
        check_startup(read_settings(), role)
    except StartupRefused as refused:
        print(refused, file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    if flask_app.config["HOTLINE_PROVIDER"] == "twilio" and not flask_app.config.get(
            "PUBLIC_URL"):
        log.warning("PUBLIC_URL is not set: texts are sent without a status-callback URL, so "
                    "their delivery is never reported (they stay 'accepted').")
    ensure_embedded_redis(flask_app.config)


@celeryd_init.connect
def _worker_starting(**_: object) -> None:
    refuse_or_prepare(WORKER)


@beat_init.connect
def _beat_starting(**_: object) -> None:
    refuse_or_prepare(BEAT)
