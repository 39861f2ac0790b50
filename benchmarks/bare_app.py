"""The baseline: a bare Flask app answering the same paths with constant responses."""

from __future__ import annotations

from flask import Flask, Response, request
from twilio.twiml.messaging_response import MessagingResponse


def create_bare_app() -> Flask:
    """Constant TwiML for /twilio/sms and 204 for /twilio/status after parsing the form, as
    the issue that set the goals defines the baseline: no signature, no database."""
    app = Flask("bare")
    reply = MessagingResponse()
    reply.message("工友热线：我们已收到您的短信。")
    twiml = str(reply)

    @app.post("/twilio/sms")
    def sms() -> Response:
        if not request.form.get("MessageSid"):
            return Response("MessageSid missing", status=400)
        return Response(twiml, mimetype="text/xml")

    @app.post("/twilio/status")
    def status() -> Response:
        if not request.form.get("MessageSid"):
            return Response("MessageSid missing", status=400)
        return Response("", status=204)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", mimetype="text/plain")

    return app
