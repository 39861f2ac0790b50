"""Celery entry point: `celery -A worker worker` builds the app and uses its Celery instance.

A worker or beat refuses to start without the settings every host must share: alone it would
start its own Redis (and take shared work nobody else sees) or an empty SQLite file (and fail
every task). HOTLINE_SINGLE_MACHINE=1 says this is one machine on purpose: the embedded Redis
and the SQLite file in the instance folder are then used. `hotline demo` needs neither: it
passes its worker the URLs it started.
"""

import logging
import os
import sys
from typing import Any

from celery.signals import beat_init, celeryd_init

from hotline import create_app
from hotline.config import is_loopback_url
from hotline.embedded_redis import ensure_embedded_redis

log = logging.getLogger("worker")
SINGLE_MACHINE = "HOTLINE_SINGLE_MACHINE"

# Named flask_app, not app: Celery's -A lookup tries the attribute `app` before `celery`.
flask_app = create_app()
celery = flask_app.extensions["celery"]


def is_single_machine() -> bool:
    """True when the operator said this worker runs on one machine with embedded parts."""
    return os.environ.get(SINGLE_MACHINE, "").strip().lower() in ("1", "true", "yes", "on")


def missing_settings(config: dict[str, Any], environ: dict[str, str]) -> list[str]:
    """What a worker or beat on one of several hosts lacks, one sentence each (empty: none)."""
    if is_single_machine():
        return []
    missing = []
    if not environ.get("DATABASE_URL"):
        missing.append("DATABASE_URL is not set: every host must use the one shared "
                       "PostgreSQL (e.g. postgresql://hotline@db-host/hotline); without it "
                       "this process would create an empty SQLite file of its own.")
    if not environ.get("REDIS_URL"):
        missing.append("REDIS_URL is not set: every host must use the one shared Redis "
                       "(e.g. redis://redis-host:6379/0); without it this process would start "
                       "a Redis of its own that no other host sees.")
    if needs_public_url(config):
        missing.append("PUBLIC_URL is not set to this hotline's public address (e.g. "
                       "https://hotline.example.org): Twilio would get no status-callback "
                       "URL, and every text would stay 'accepted' instead of delivered.")
    return missing


def needs_public_url(config: dict[str, Any]) -> bool:
    """Real Twilio without a public PUBLIC_URL: its delivery reports could never arrive."""
    real_twilio = config.get("HOTLINE_PROVIDER") == "twilio" and not is_loopback_url(
        config.get("TWILIO_API_URL"))
    public = config.get("PUBLIC_URL")
    return real_twilio and (not public or is_loopback_url(public))


def refuse_or_prepare(role: str) -> None:
    """Stop a worker or beat missing a shared setting, with what to set; else start the
    embedded Redis when this is one machine on purpose."""
    problems = missing_settings(flask_app.config, dict(os.environ))
    if problems:
        print(f"celery {role} refuses to start:\n" + "\n".join(f"  - {p}" for p in problems)
              + f"\nSet them as on every other host. For a trial on one machine, run "
              f"`hotline demo`, or set {SINGLE_MACHINE}=1 to use the embedded Redis and the "
              "SQLite file in the instance folder.", file=sys.stderr, flush=True)
        raise SystemExit(2)
    if flask_app.config["HOTLINE_PROVIDER"] == "twilio" and not flask_app.config.get(
            "PUBLIC_URL"):
        log.warning("PUBLIC_URL is not set: texts are sent without a status-callback URL, so "
                    "their delivery is never reported (they stay 'accepted').")
    ensure_embedded_redis(flask_app.config)


@celeryd_init.connect
def _worker_starting(**_: object) -> None:
    refuse_or_prepare("worker")


@beat_init.connect
def _beat_starting(**_: object) -> None:
    refuse_or_prepare("beat")
