"""TwiML responses, and the URLs of this app that it hands Twilio (in TwiML and API calls).

Behind a reverse proxy the app may live under a path prefix (PUBLIC_URL=https://host/hotline):
every URL Twilio is given keeps that prefix, or the call would leave the app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, has_request_context, request
from sqlalchemy.orm import Session
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse

from hotline.webhooks.receipts import idempotency_token, seen_before


def public_url(path: str) -> str:
    """The absolute URL Twilio must request for `path` (from the app's root, '/twilio/...'):
    PUBLIC_URL and its path prefix, else the URL this request came in on."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        if not has_request_context():
            raise RuntimeError("PUBLIC_URL is needed to hand Twilio a URL outside a request")
        base = request.url_root  # scheme, host and the prefix the app is mounted under
    return base.rstrip("/") + path


def public_path(path: str) -> str:
    """`path` as a root-relative URL for TwiML, under PUBLIC_URL's path prefix (else the prefix
    this request came in under): Twilio resolves it against the URL it just requested."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        prefix = urlsplit(base).path.rstrip("/")
    else:
        prefix = request.script_root if has_request_context() else ""
    return prefix + path


def first_delivery(session: Session, kind: str) -> bool:
    """False when Twilio delivered this webhook before (its I-Twilio-Idempotency-Token, the
    same on every retry, is recorded in the caller's transaction): a retry, or a captured
    request re-cut so that its signature still verifies, must then write nothing."""
    return not seen_before(session, idempotency_token(), kind)


def twiml_response(twiml: TwiML, status: int = 200) -> Response:
    """Serialise TwiML built with the twilio library as an XML response."""
    return Response(str(twiml), status=status, mimetype="text/xml")


def sms_reply(*bodies: str) -> Response:
    """A MessagingResponse with zero or more reply messages."""
    resp = MessagingResponse()
    for body in bodies:
        resp.message(body)
    return twiml_response(resp)
