"""HTTP controls for a FakeAlibaba run from the shell (`hotline fake-alibaba`): /_fake/...

Tests call the Python methods directly; a demo in another process uses these routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from devtools.fake_alibaba.rules import national

if TYPE_CHECKING:
    from devtools.fake_alibaba.server import FakeAlibaba


def answered_port(fake: FakeAlibaba, phone: str, biz_id: str) -> str:
    """The extend code of the text (BizId) a worker answers: a handset replies to the port a
    text came from, so a worker holding texts from two offices answers one of them. ValueError
    when no text with that BizId went to `phone`."""
    number = national(phone) or phone
    sent = [m for m in fake.sent if m["biz_id"] == biz_id and m["phone"] == number]
    if not sent:
        raise ValueError("no text with that BizId went to this number")
    return str(sent[-1]["extend_code"])


def add_control_routes(app: Flask, fake: FakeAlibaba) -> None:
    """GET /_fake/{sent,requests,pushes,replies}; POST /_fake/<action> with a JSON body.

    POST /_fake/reply {"phone", "content"} is a worker replying: by default to the last text
    they got (its extend code is the SmsUp dest_code), {"in_reply_to": BizId} to that text,
    or {"dest_code": ...} as given."""

    @app.get("/_fake/<what>")
    def dump(what: str) -> ResponseReturnValue:
        data: dict[str, Any] = {"sent": fake.sent, "requests": fake.requests,
                                "pushes": fake.pushes, "replies": fake.replies}
        return jsonify(data[what]) if what in data else ({"error": "unknown"}, 404)

    @app.post("/_fake/<action>")
    def control(action: str) -> ResponseReturnValue:
        body = request.get_json(force=True, silent=True) or {}
        try:
            if action == "reset":
                fake.reset()
            elif action == "signature":
                fake.register_signature(body["name"])
            elif action == "template":
                fake.register_template(body["code"], body["text"],
                                       body.get("kind", "notification"),
                                       body.get("signature", "工友热线"))
            elif action == "fail_next":
                fake.fail_next(body["code"], int(body.get("times", 1)), body.get("message"),
                               body.get("status"), body.get("action"))
            elif action == "undeliverable":
                fake.undeliverable(body["phone"], body.get("err_code", "MK:0001"))
            elif action == "limits":
                fake.set_frequency_limits(body.get("per_minute"), body.get("per_hour"),
                                          body.get("per_day"))
            elif action == "push_url":
                fake.push_url = body.get("url") or None
            elif action == "reply":
                dest_code = body.get("dest_code")
                if dest_code is None and body.get("in_reply_to"):
                    dest_code = answered_port(fake, body["phone"], str(body["in_reply_to"]))
                return fake.reply(body["phone"], body["content"],
                                  body.get("sign_name", "工友热线"), dest_code)
            else:
                return {"error": f"unknown action {action}"}, 404
        except (KeyError, TypeError, ValueError) as exc:
            return {"error": f"bad request: {exc!r}"}, 400
        return {"ok": True}
