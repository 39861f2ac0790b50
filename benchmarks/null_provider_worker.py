"""Celery entry point for benchmarks: the real app and tasks, with a zero-latency provider.

`celery -A benchmarks.null_provider_worker worker` measures our pipeline up to the provider
boundary, not the network. Importing this module builds an app: import NullProvider from
benchmarks.null_provider instead.
"""

from __future__ import annotations

from benchmarks.null_provider import NullProvider
from hotline import create_app

flask_app = create_app(role="celery")  # a Celery process, not the WSGI app (hotline.infra.config)
flask_app.extensions["provider"] = NullProvider()
celery = flask_app.extensions["celery"]
