"""403 and 404 are pages of the console, in the user's language; Twilio's paths stay plain."""

from __future__ import annotations

from flask import Flask

from tests.conftest import WebWorld
from tests.test_web_forms import logged_in


def test_404_page_in_chinese_and_english(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "vol_a")
    zh = client.get("/inbox/cases/999999?lang=zh")
    assert zh.status_code == 404
    assert "此页面不存在，或不在您的权限内。" in zh.get_data(as_text=True)
    en = client.get("/no/such/page?lang=en")
    assert en.status_code == 404
    assert "This page does not exist, or it is not yours to see." in en.get_data(as_text=True)


def test_twilio_paths_keep_the_plain_404(app: Flask) -> None:
    resp = app.test_client().get("/twilio/nothing-here")
    assert resp.status_code == 404
    assert "此页面" not in resp.get_data(as_text=True)
    assert "<section" not in resp.get_data(as_text=True)
