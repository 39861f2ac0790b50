"""The one helper that turns a twilio TwiML object into a Flask response."""

from __future__ import annotations

from flask import Response
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse


def twiml_response(twiml: TwiML, status: int = 200) -> Response:
    """Serialise TwiML built with the twilio library as an XML response."""
    return Response(str(twiml), status=status, mimetype="text/xml")


def sms_reply(*bodies: str) -> Response:
    """A MessagingResponse with zero or more reply messages."""
    resp = MessagingResponse()
    for body in bodies:
        resp.message(body)
    return twiml_response(resp)
