"""Hostile staff input gets a 400/404/405 page, never a server error: integers past what the
database holds in any URL with an int converter, NUL bytes in query strings and forms, and
methods a route does not take. Routes are read from the app's URL map, so a new route is
covered without editing this file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.routing import Rule

from tests.conftest import AUTH_TOKEN, PUBLIC_URL, WebWorld
from tests.test_web_forms import logged_in

HUGE = ["99999999999999999999999", "9223372036854775808", "2147483648", "1" + "0" * 40]
ODD_METHODS = ["PROPFIND", "PUT", "DELETE", "PATCH", "MKCOL", "TRACE", "FOO"]
ARGUMENT_VALUES = {"action": "start", "filename": "app.css"}


def rules(app: Flask, *, with_int: bool | None = None) -> list[Rule]:
    """Every rule of the app (optionally: only those with / without an int converter)."""
    found = []
    for rule in app.url_map.iter_rules():
        has_int = any(type(c).__name__ == "IntegerConverter" or "Int" in type(c).__name__
                      for c in rule._converters.values())
        if with_int is None or has_int == with_int:
            found.append(rule)
    return found


def build(rule: Rule, number: str) -> str:
    """The rule's path with `number` for every int argument."""
    path = rule.rule
    for name in rule._converters:
        value = ARGUMENT_VALUES.get(name, number)
        path = path.replace(f"<{converter_text(rule, name)}>", value)
    return path


def converter_text(rule: Rule, name: str) -> str:
    """The '<...>' text of one argument in the rule string."""
    start = rule.rule.index(f":{name}>") if f":{name}>" in rule.rule else rule.rule.index(
        f"<{name}>")
    begin = rule.rule.rindex("<", 0, start + 1)
    return rule.rule[begin + 1:rule.rule.index(">", begin)]


def methods(rule: Rule) -> list[str]:
    """The methods the rule answers, HEAD/OPTIONS aside."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def signed_headers(path: str, form: dict[str, str]) -> dict[str, str]:
    """A Twilio signature for a webhook path (the bad number must pass the signature)."""
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + path, form)}


def send(client: Any, method: str, path: str, token: str) -> Any:
    """One request as the route would get it: forms carry the CSRF token or the signature."""
    if method == "GET":
        return client.get(path)
    form = {"csrf_token": token, "body": "x", "text": "x", "note": "x"}
    if path.startswith("/twilio/"):
        form = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "1" * 32}
        return client.open(path, method=method, data=form, headers=signed_headers(path, form))
    return client.open(path, method=method, data=form)


def test_int_past_the_database_is_404_on_every_int_route(
        app: Flask, web_world: WebWorld) -> None:
    int_rules = rules(app, with_int=True)
    assert len(int_rules) > 20
    bad = []
    for username in ("admin", "staff_a", "vol_a"):
        client, token = logged_in(app, username)
        for rule in int_rules:
            for method in methods(rule):
                for number in HUGE:
                    path = build(rule, number)
                    status = send(client, method, path, token).status_code
                    if status >= 500 or status not in (302, 303, 400, 403, 404, 405):
                        bad.append((username, method, path, status))
    assert not bad, bad


def test_nul_in_query_or_form_is_400(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "admin")
    assert client.get("/staff/cases?q=%00").status_code == 400
    assert client.get("/staff/cases?q=%E5%B7%A5%E8%B5%84").status_code == 200
    bad = []
    queries = ["q=%00", "q=%E5%B7%A5%00", "page=%00", "month=%00", "status=%00",
               "category=%00", "organisation=%00", "lang=%00", "q=abc&page=1%00"]
    for rule in rules(app, with_int=False):
        if rule.rule.startswith(("/twilio/", "/static/")) or "<" in rule.rule:
            continue
        for method in methods(rule):
            for query in queries:
                path = f"{rule.rule}?{query}"
                response = (client.get(path) if method == "GET" else
                            client.open(path, method=method, data={"csrf_token": token}))
                if response.status_code >= 500:
                    bad.append((method, path, response.status_code))
            if method == "POST" and rule.rule != "/login":  # signed in: /login sends home
                response = client.post(rule.rule, data={
                    "csrf_token": token, "q": "\x00", "name": "工\x00", "body": "\x00",
                    "username": "a\x00", "password": "\x00", "text_zh": "\x00"})
                if response.status_code != 400:
                    bad.append(("POST-form", rule.rule, response.status_code))
    assert not bad, bad


def test_odd_methods_are_405_never_500(app: Flask, web_world: WebWorld,
                                       post_signed: Callable[..., Any]) -> None:
    client, token = logged_in(app, "admin")
    bad = []
    for rule in rules(app):
        path = build(rule, str(web_world.assigned_to_a))
        allowed = {m for other in rules(app) if other.rule == rule.rule for m in methods(other)}
        for method in ODD_METHODS + [m for m in ("GET", "POST") if m not in allowed]:
            response = client.open(path, method=method,
                                   data={"csrf_token": token} if method != "GET" else None)
            if response.status_code >= 500 or response.status_code not in (
                    302, 400, 403, 404, 405):
                bad.append((method, path, response.status_code))
    assert not bad, bad
    assert client.open("/staff/", method="PROPFIND").status_code == 405
    assert client.post("/staff/cases", data={"csrf_token": token}).status_code == 405
