"""What the fake carrier servers share: a quiet threaded WSGI server on a loopback port."""

from __future__ import annotations

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """Drops werkzeug's per-request access log: request URLs carry phone numbers, and the fakes
    record their requests themselves."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_app(app: Flask, host: str, port: int) -> tuple[BaseWSGIServer, str]:
    """A threaded server for `app` (not yet serving) and the base URL clients should use."""
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    return server, f"http://{shown}:{server.server_port}"
