"""The app a CLI command runs in: one module every `hotline` subcommand imports, so the
command group (hotline.cli.main, which imports every subcommand) is imported by none of them."""

from __future__ import annotations

from flask import Flask

from devtools.embedded_redis import ensure_embedded_redis
from hotline import create_app


def make_app(*, broker: bool = False) -> Flask:
    """The app as configured by the environment; `broker` also starts the embedded Redis."""
    app = create_app()
    if broker:
        ensure_embedded_redis(app.config)
    return app
