"""Celery wiring: the app-bound Celery instance, named queues, and enqueue-after-commit."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from celery import current_app as current_celery
from celery.schedules import crontab
from flask import Flask
from kombu import Queue

from hotline.infra.redis_transport import TRANSPORT_ALIAS

log = logging.getLogger(__name__)

URGENT, INTAKE, SEND, CAMPAIGNS = "urgent", "intake", "send", "campaigns"
QUEUE_ORDER = (URGENT, INTAKE, SEND, CAMPAIGNS)
# Urgent work jumps ahead by message priority, not by queue order: the Redis transport pops
# every queue's priority-0 list before any priority-3 one, whatever order it polls the queues
# in (kombu 5.6 polls them in set order, i.e. at random). 0 is the highest on Redis.
QUEUE_PRIORITY = {URGENT: 0, INTAKE: 3, SEND: 3, CAMPAIGNS: 6}
DEFAULT_PRIORITY = 3
PRIORITY_STEPS = (0, 3, 6, 9)  # kombu's Redis default, spelled out for broker_keys()


def broker_keys(queue: str) -> list[str]:
    """The Redis lists holding a queue's waiting messages, one per priority step."""
    return [queue if step == 0 else f"{queue}\x06\x16{step}" for step in PRIORITY_STEPS]


def broker_url(redis_url: str) -> str:
    """The broker URL for Celery: plain and socket Redis URLs go through the project's
    transport (hotline.infra.redis_transport); any other (rediss://, sentinel://) as given."""
    for scheme in ("redis://", "redis+socket://"):
        if redis_url.startswith(scheme):
            return TRANSPORT_ALIAS + redis_url[len("redis"):]
    return redis_url


def celery_config(app: Flask) -> dict[str, Any]:
    """Celery settings derived from the app config."""
    return {
        "broker_url": broker_url(app.config["REDIS_URL"]),
        "task_ignore_result": True,
        # Tasks are idempotent, so redeliver on worker loss rather than lose a case.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": INTAKE,
        "task_default_priority": DEFAULT_PRIORITY,
        "task_queues": [Queue(name) for name in QUEUE_ORDER],
        "task_routes": {
            "hotline.routing.*": {"queue": INTAKE},
            "hotline.arrivals.*": {"queue": INTAKE},
            "notifications.send.*": {"queue": SEND},
            "notifications.campaigns.*": {"queue": CAMPAIGNS},  # priority: on the tasks
            "hotline.sweeper.*": {"queue": INTAKE},
        },
        "broker_transport_options": {
            "queue_order_strategy": "priority",
            # hotline.infra.redis_transport remembers these exchanges' bindings (fixed).
            "static_exchanges": list(QUEUE_ORDER),
            "priority_steps": list(PRIORITY_STEPS),
            # Long waits live in the database + sweeper, so an hour is ample. A killed worker's
            # unacknowledged task comes back only after this, so nothing waits for it: the
            # sweeper re-enqueues from the database, and a campaign's chains are restarted
            # by the watch below within seconds (notifications.campaigns.lease).
            "visibility_timeout": 3600,
            "socket_connect_timeout": 2,
            # Publishing gives up at once when Redis is down (kombu would retry for ~6 s):
            # the webhook must answer fast, and the sweeper re-enqueues from the database.
            # Workers' own consumer connection keeps retrying (broker_connection_retry).
            "max_retries": 1,
            "interval_start": 0,
            "socket_timeout": 10,
        },
        "broker_connection_retry_on_startup": True,
        "beat_schedule": {
            "sweep": {"task": "hotline.sweeper.sweep", "schedule": 15.0},
            "campaign-tick": {"task": "notifications.campaigns.tick", "schedule": 15.0},
            # Restarts a campaign's chain whose worker died: ahead of any queued chunk.
            "campaign-watch": {"task": "notifications.campaigns.watch", "schedule": 2.0,
                               "options": {"priority": 0}},
            # 19:30 UTC is 03:30 in China: the quietest hour for a pass over old cases.
            "privacy-retention": {"task": "hotline.privacy.retention",
                                  "schedule": crontab(minute=30, hour=19)},
        },
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
    }


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery instance whose tasks run inside the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue(task: Task | str, *args: Any, queue: str | None = None,
            countdown: float | None = None) -> bool:
    """Publish a task (or a task by its registered name) without retrying; return False (and
    log) if the broker is unreachable.

    Callers have already committed the work to the database, so a lost publish is picked up
    by the sweeper; the webhook must answer the worker even when Redis is down.
    """
    name = task if isinstance(task, str) else task.name
    try:
        # An explicit priority=None would override task_default_priority and the routes'.
        extra = {"priority": QUEUE_PRIORITY[queue]} if queue in QUEUE_PRIORITY else {}
        if isinstance(task, str):
            current_celery.send_task(task, args=args, queue=queue, countdown=countdown,
                                     retry=False, **extra)
        else:
            task.apply_async(args=args, queue=queue, countdown=countdown, retry=False, **extra)
    except Exception as exc:  # kombu raises several unrelated types for a dead broker
        log.warning("could not enqueue %s%r: %s (the sweeper will retry)", name, args, exc)
        return False
    return True
