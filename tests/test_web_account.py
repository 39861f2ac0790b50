"""My account: a staff member sets their own phone, on-duty flag and password from the web."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import User
from tests.conftest import WEB_PASSWORD, WebWorld, csrf_from, web_login
from tests.test_web_forms import logged_in

NEW_PASSWORD = "a much better passphrase"


def account(username: str) -> User:
    """Re-read an account."""
    with get_db().begin() as session:
        return session.scalars(select(User).where(User.username == username)).one()


def test_account_page_is_linked_for_staff_and_admins_only(app: Flask, web_world: WebWorld
                                                          ) -> None:
    for username in ("staff_a", "admin"):
        client, _ = logged_in(app, username)
        assert 'href="/account/"' in client.get("/staff/").get_data(as_text=True)
        page = client.get("/account/?lang=zh").get_data(as_text=True)
        assert "我的账号" in page and "修改密码" in page
    volunteer, token = logged_in(app, "vol_a")
    # Volunteers change their own password there too, but have no duty form (their duty is
    # ON/OFF by SMS and the inbox).
    assert 'href="/account/"' in volunteer.get("/inbox/").get_data(as_text=True)
    own = volunteer.get("/account/?lang=zh").get_data(as_text=True)
    assert "修改密码" in own and 'name="on_duty"' not in own
    assert volunteer.post("/account/duty", data={"csrf_token": token, "phone": "13800138000",
                                                 "on_duty": "1"}).status_code == 403
    assert app.test_client().get("/account/").status_code == 302  # anonymous: to the login


def test_staff_sets_phone_and_goes_on_and_off_duty(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    resp = client.post("/account/duty", data={"csrf_token": token, "phone": "138 0013 8000",
                                              "on_duty": "1"})
    assert resp.status_code == 303
    user = account("staff_a")
    assert (user.phone, user.on_duty) == ("+8613800138000", True)  # normalised to E.164
    assert "+8613800138000" in client.get("/account/").get_data(as_text=True)
    # Unchecked box: off duty, the phone is kept.
    assert client.post("/account/duty", data={"csrf_token": token, "phone": "+8613800138000"}
                       ).status_code == 303
    user = account("staff_a")
    assert (user.phone, user.on_duty) == ("+8613800138000", False)
    assert (account("staff_b").phone, account("staff_b").on_duty) == (None, False)


def test_a_bad_phone_is_refused_with_a_clear_error(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    for lang, words in (("en", "not a possible phone number"), ("zh", "不是有效的手机号")):
        resp = client.post(f"/account/duty?lang={lang}",
                           data={"csrf_token": token, "phone": "123", "on_duty": "1"})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and words in page and 'value="123"' in page
    # On duty without any phone: nobody could be texted, so it is refused too.
    resp = client.post("/account/duty?lang=en", data={"csrf_token": token, "phone": "",
                                                      "on_duty": "1"})
    assert resp.status_code == 400 and "Give your mobile number" in resp.get_data(as_text=True)
    user = account("staff_a")
    assert (user.phone, user.on_duty) == (None, False)


def test_password_change_needs_the_current_password_and_a_strong_one(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    version = account("staff_a").session_version
    for form, words in [
        ({"current_password": "wrong password!", "new_password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD}, "current password is wrong"),
        ({"current_password": WEB_PASSWORD, "new_password": "short",
          "confirm_password": "short"}, "at least 10 characters"),
        ({"current_password": WEB_PASSWORD, "new_password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD + "x"}, "passwords differ"),
    ]:
        resp = client.post("/account/password?lang=en", data={"csrf_token": token, **form})
        assert resp.status_code == 400 and words in resp.get_data(as_text=True), words
    user = account("staff_a")
    assert user.check_password(WEB_PASSWORD) and user.session_version == version


def test_password_change_ends_other_sessions_and_keeps_this_one(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    other, _ = logged_in(app, "staff_a")  # the same person on their phone
    copy = app.test_client()  # a copy of this browser's cookie, taken before the change
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    version = account("staff_a").session_version
    resp = client.post("/account/password", data={
        "csrf_token": token, "current_password": WEB_PASSWORD,
        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert resp.status_code == 303
    user = account("staff_a")
    assert user.check_password(NEW_PASSWORD) and user.session_version > version
    assert client.get("/staff/").status_code == 200  # this browser goes on
    assert other.get("/staff/").status_code == 302  # the other session is dead
    assert copy.get("/staff/").status_code == 302  # and so is the old cookie
    # Old password refused, new one works.
    assert web_login(app.test_client(), "staff_a").status_code == 401
    assert web_login(app.test_client(), "staff_a", NEW_PASSWORD).status_code == 302
    # The continuing session still posts forms (its CSRF token was renewed with it).
    token = csrf_from(client.get("/account/").get_data(as_text=True))
    assert client.post("/account/duty", data={"csrf_token": token, "phone": "13800138000"}
                       ).status_code == 303
