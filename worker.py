"""Celery entry point: `celery -A worker worker` builds the app and uses its Celery instance."""

from hotline import create_app
from hotline.embedded_redis import ensure_embedded_redis

# Named flask_app, not app: Celery's -A lookup tries the attribute `app` before `celery`.
flask_app = create_app()
# REDIS_URL unset: the worker shares (or starts) the embedded Redis beside the SQLite file.
ensure_embedded_redis(flask_app.config)
celery = flask_app.extensions["celery"]
