"""Twilio's callback authentication: X-Twilio-Signature on every Twilio webhook, correctly
behind a proxy. A view wrapped in `require_twilio_signature` answers 403 to an unsigned or
forged request before it can write anything."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator, get_signature_algorithm

from hotline.infra.config import DEMO_AUTH_TOKEN, is_loopback_host

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_URL + path + raw query when set, else this request's own."""
    # request.url is decoded by Werkzeug 3; Twilio signs the URL exactly as it called it.
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~%")
    query = request.query_string.decode("latin-1")
    public = current_app.config.get("PUBLIC_URL")
    base = public.rstrip("/") if public else f"{request.scheme}://{request.host}"
    if public and request.script_root and base.endswith(request.script_root):
        base = base[: -len(request.script_root)]
    return base + path + (f"?{query}" if query else "")


def is_valid_twilio_request() -> bool:
    """True when the request carries a valid signature for the configured auth token."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token:  # no Twilio account (a domestic provider only): nothing is Twilio's
        return False
    if token == DEMO_AUTH_TOKEN and not current_app.config.get("TESTING") and not \
            is_loopback_host(request.remote_addr or ""):
        # The public demo token signs only the demo's own loopback traffic.
        log.error("webhook from %s refused: TWILIO_AUTH_TOKEN is the public demo token",
                  request.remote_addr)
        return False
    validator = RequestValidator(token)
    algorithm = get_signature_algorithm(
        request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""))
    if any(not isinstance(name, str) for name in request.form):
        return False  # a nameless multipart field (key None) would crash the validator
    return bool(validator.validate(signed_url(), request.form, signature, algorithm))


def require_twilio_signature(view: F) -> F:
    """Reject unsigned or forged webhooks with 403 before the view can write anything."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_valid_twilio_request():
            log.warning("rejected unsigned/forged webhook %s from %s", request.path,
                        request.remote_addr)
            abort(Response("invalid Twilio signature", status=403, mimetype="text/plain"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
