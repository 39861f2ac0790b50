"""Celery entry point: `celery -A worker worker` builds the app and uses its Celery instance."""

from hotline import create_app

# Named flask_app, not app: Celery's -A lookup tries the attribute `app` before `celery`.
flask_app = create_app()
celery = flask_app.extensions["celery"]
