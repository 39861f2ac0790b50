"""Celery wiring: the app-bound Celery instance, named queues, and enqueue-after-commit."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask
from kombu import Queue

log = logging.getLogger(__name__)

# Workers consume these in this order (queue_order_strategy=priority): urgent cases first.
URGENT, INTAKE, SEND, CAMPAIGNS = "urgent", "intake", "send", "campaigns"
QUEUE_ORDER = (URGENT, INTAKE, SEND, CAMPAIGNS)


def celery_config(app: Flask) -> dict[str, Any]:
    """Celery settings derived from the app config."""
    return {
        "broker_url": app.config["REDIS_URL"],
        "task_ignore_result": True,
        # Tasks are idempotent, so redeliver on worker loss rather than lose a case.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": INTAKE,
        "task_queues": [Queue(name) for name in QUEUE_ORDER],
        "task_routes": {
            "hotline.routing.*": {"queue": INTAKE},
            "notifications.send.*": {"queue": SEND},
            "notifications.campaigns.*": {"queue": CAMPAIGNS},
            "hotline.sweeper.*": {"queue": INTAKE},
        },
        "broker_transport_options": {
            "queue_order_strategy": "priority",
            # Long waits live in the database + sweeper, so an hour is ample.
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


def enqueue(task: Task, *args: Any, queue: str | None = None, countdown: float | None = None,
            ) -> bool:
    """Publish a task without retrying; return False (and log) if the broker is unreachable.

    Callers have already committed the work to the database, so a lost publish is picked up
    by the sweeper; the webhook must answer the worker even when Redis is down.
    """
    try:
        task.apply_async(args=args, queue=queue, countdown=countdown, retry=False)
    except Exception as exc:  # kombu raises several unrelated types for a dead broker
        log.warning("could not enqueue %s%r: %s (the sweeper will retry)", task.name, args, exc)
        return False
    return True
