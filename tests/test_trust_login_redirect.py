"""After login the app follows `next` only to a path on this site; anything a browser could
read as another host (//, /\\, a tab or newline it strips, a scheme) goes home instead."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

import pytest
from flask import Flask

from hotline.web.auth import safe_next
from tests.conftest import WebWorld, csrf_from

HOSTILE = [
    "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%0D%0A/evil.example",
    "/%20/evil.example", "/%00/evil.example", "/%0b/evil.example", "/%0c/evil.example",
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/%5cevil.example", "/%5C%5Cevil.example", "%2F%2Fevil.example", "/%2F/evil.example",
    "https://evil.example/", "http:evil.example", "javascript:alert(1)", "evil.example",
    "https:/evil.example", "%09//evil.example", " //evil.example", "/\u3000/evil.example",
    "/%E3%80%80/evil.example", "/%C2%A0/evil.example", "data:text/html,hi", "",
    "/staff/%09", "//%09/evil.example", "/%252F/evil.example",
]
SAFE = ["/staff/cases/1001", "/staff/campaigns/?page=2", "/volunteer/", "/staff/cases?q=工资",
        "/staff/cases/1001#notes", "/account"]


def login_to(app: Flask, next_: str, *, raw: bool) -> str:
    """Log staff_a in through /login?next=...; where the app sends them."""
    client = app.test_client()
    query = next_ if raw else quote(next_, safe="/?=")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(f"/login?next={query}", data={
        "username": "staff_a", "password": "correct horse battery", "csrf_token": token})
    if response.status_code == 400:  # a NUL anywhere in the request is refused outright
        return "/"
    assert response.status_code == 302
    return str(response.headers["Location"])


@pytest.mark.parametrize("next_", HOSTILE)
def test_hostile_next_goes_home(app: Flask, web_world: WebWorld, next_: str) -> None:
    location = login_to(app, next_, raw=True)
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert not any(ch in location for ch in "\t\r\n\\ "), location
    assert "evil" not in location, location


@pytest.mark.parametrize("next_", SAFE)
def test_local_next_is_followed(app: Flask, web_world: WebWorld, next_: str) -> None:
    assert unquote(login_to(app, next_, raw=False)).endswith(next_)


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/\x7f/x", "/\u2028/x",
    "//x", "/\\x", "https://x", "x", None, "", "/%09/evil.example", "/%2f%2fevil"])
def test_safe_next_refuses(target: str | None) -> None:
    assert safe_next(target) is None
