"""Accounts on the web: admins create logins, reset passwords, disable and enable them; every
user, volunteers included, changes their own password. Audited; nobody else may do it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import AuditLog, Role, User, Volunteer
from tests.conftest import WEB_PASSWORD, WebWorld, web_login
from tests.test_web_case_edit import visible_text
from tests.test_web_forms import logged_in

NEW_PASSWORD = "长城 long walk 2024"


def account(username: str) -> User | None:
    """Re-read an account by username."""
    with get_db().begin() as session:
        return session.scalar(select(User).where(User.username == username))


def user_id(username: str) -> int:
    """The id of an existing account."""
    found = account(username)
    assert found is not None
    return found.id


def audit_details() -> list[str]:
    """What the audit log says about account changes, oldest first."""
    with get_db().begin() as session:
        return [e.detail or "" for e in session.scalars(
            select(AuditLog).where(AuditLog.action == "manage_user").order_by(AuditLog.id))]


@pytest.fixture
def free_volunteer(web_world: WebWorld) -> int:
    """A volunteer of office A who has no login yet."""
    with get_db().begin() as session:
        volunteer = Volunteer(name="赵志愿", phone="+8613900000009", languages=["zh"],
                              organisation_id=web_world.org_a)
        session.add(volunteer)
        session.flush()
        return volunteer.id


def create(client: Any, token: str, lang: str = "en", **fields: Any) -> Any:
    """POST the new-account form."""
    form = {"csrf_token": token, "username": "li4", "role": "staff", "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD, **{k: str(v) for k, v in fields.items()}}
    return client.post(f"/staff/users/?lang={lang}", data=form)


def test_admin_creates_staff_and_volunteer_logins(app: Flask, web_world: WebWorld,
                                                  free_volunteer: int) -> None:
    admin, token = logged_in(app, "admin")
    page = admin.get("/staff/users/?lang=zh").get_data(as_text=True)
    assert "新建账号" in page and "赵志愿" in page and "+86 139****0009" in page
    assert "李律师" not in page.split("新建账号")[1]  # already has a login: not offered
    words = set(re.findall(r"[A-Za-z]{3,}", visible_text(page))) - {
        "admin", "staff", "vol", "English"}
    assert not words, words
    resp = create(admin, token, username="li4", display_name="李四",
                  organisation_id=web_world.org_a)
    assert resp.status_code == 303
    made = account("li4")
    assert made is not None and (made.role, made.organisation_id, made.display_name) == \
        (Role.STAFF, web_world.org_a, "李四")
    assert web_login(app.test_client(), "li4", NEW_PASSWORD).status_code == 302
    resp = create(admin, token, username="zhao", role="volunteer",
                  organisation_id=web_world.org_a, volunteer_id=free_volunteer)
    assert resp.status_code == 303
    volunteer_login = account("zhao")
    assert volunteer_login is not None and volunteer_login.volunteer_id == free_volunteer
    client = app.test_client()
    assert web_login(client, "zhao", NEW_PASSWORD).status_code == 302
    assert client.get("/inbox/").status_code == 200
    assert audit_details() == ["created staff account li4", "created volunteer account zhao"]
    log = admin.get("/staff/audit?lang=zh").get_data(as_text=True)
    assert "账号变更" in log and "manage_user" not in log


BAD_ACCOUNTS = [
    ({"username": ""}, "1 to 80 characters", "用户名须为1到80个字符"),
    ({"username": "has space"}, "no spaces", "不能有空格"),
    ({"username": "x" * 81}, "1 to 80 characters", "用户名须为1到80个字符"),
    ({"username": "staff_a"}, "username is taken", "该用户名已被使用"),
    ({"role": "root"}, "Choose a role", "请选择角色"),
    ({"password": "short", "confirm_password": "short"}, "at least 10 characters",
     "至少需要10个字符"),
    ({"confirm_password": "something else entirely"}, "passwords differ", "两次输入的密码不一致"),
    ({"organisation_id": "999"}, "organisation from the list", "请从列表中选择机构"),
    ({"organisation_id": "一"}, "organisation from the list", "请从列表中选择机构"),
    ({"role": "volunteer"}, "Choose the volunteer", "请选择该账号对应的志愿者"),
    ({"role": "staff", "volunteer_id": "{free}"}, "Only a volunteer login",
     "只有志愿者账号才对应志愿者"),
    ({"role": "volunteer", "volunteer_id": "{taken}"}, "one login per volunteer",
     "每位志愿者只能有一个账号"),
]


@pytest.mark.parametrize(("fields", "english", "chinese"), BAD_ACCOUNTS)
def test_a_bad_account_is_refused_with_the_reason(app: Flask, web_world: WebWorld,
                                                  free_volunteer: int, fields: dict[str, str],
                                                  english: str, chinese: str) -> None:
    admin, token = logged_in(app, "admin")
    fields = {k: v.format(free=free_volunteer, taken=web_world.vol_a)
              for k, v in fields.items()}
    before = len(audit_details())
    for lang, words in (("en", english), ("zh", chinese)):
        resp = create(admin, token, lang=lang, **fields)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and words in page, page[-2000:]
        assert NEW_PASSWORD not in page  # a typed password is never sent back
    with get_db().begin() as session:
        assert session.scalars(select(User.username).order_by(User.username)).all() == \
            ["admin", "staff_a", "staff_b", "vol_a", "vol_b"]
    assert len(audit_details()) == before


def test_reset_password_ends_every_session_of_the_account(app: Flask,
                                                          web_world: WebWorld) -> None:
    staff, _ = logged_in(app, "staff_a")
    assert staff.get("/staff/").status_code == 200
    admin, token = logged_in(app, "admin")
    target = user_id("staff_a")
    resp = admin.post(f"/staff/users/{target}/password", data={
        "csrf_token": token, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert resp.status_code == 303
    assert staff.get("/staff/").status_code == 302  # the old session is dead
    assert web_login(app.test_client(), "staff_a").status_code == 401
    assert web_login(app.test_client(), "staff_a", NEW_PASSWORD).status_code == 302
    weak = admin.post(f"/staff/users/{target}/password?lang=zh", data={
        "csrf_token": token, "password": "123", "confirm_password": "123"})
    assert weak.status_code == 400 and "密码至少需要10个字符" in weak.get_data(as_text=True)
    assert audit_details() == ["new password for staff_a"]


def test_disable_and_enable(app: Flask, web_world: WebWorld) -> None:
    volunteer, _ = logged_in(app, "vol_a")
    admin, token = logged_in(app, "admin")
    target = user_id("vol_a")
    assert admin.post(f"/staff/users/{target}/active",
                      data={"csrf_token": token, "active": "0"}).status_code == 303
    assert volunteer.get("/inbox/").status_code == 302
    assert web_login(app.test_client(), "vol_a").status_code == 401
    page = admin.get("/staff/users/?lang=zh").get_data(as_text=True)
    assert "已停用" in page
    assert admin.post(f"/staff/users/{target}/active",
                      data={"csrf_token": token, "active": "1"}).status_code == 303
    assert web_login(app.test_client(), "vol_a").status_code == 302
    me = user_id("admin")
    refused = admin.post(f"/staff/users/{me}/active?lang=en",
                         data={"csrf_token": token, "active": "0"})
    assert refused.status_code == 400 and "cannot disable your own" in \
        refused.get_data(as_text=True)
    found = account("admin")
    assert found is not None and found.active
    assert audit_details() == ["disabled account vol_a", "enabled account vol_a"]


def test_admin_moves_an_account_to_another_office(app: Flask, web_world: WebWorld) -> None:
    admin, token = logged_in(app, "admin")
    target = user_id("staff_a")
    assert admin.post(f"/staff/users/{target}", data={
        "csrf_token": token, "display_name": "张三", "organisation_id": str(web_world.org_b)}
    ).status_code == 303
    moved = account("staff_a")
    assert moved is not None and (moved.display_name, moved.organisation_id) == \
        ("张三", web_world.org_b)


def test_only_admins_manage_accounts(app: Flask, web_world: WebWorld) -> None:
    target = user_id("staff_b")
    for username in ("staff_a", "vol_a"):
        client, token = logged_in(app, username)
        assert client.get("/staff/users/").status_code == 403
        assert create(client, token, username="sneaky").status_code == 403
        for path, form in ((f"/staff/users/{target}/password",
                            {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}),
                           (f"/staff/users/{target}/active", {"active": "0"}),
                           (f"/staff/users/{target}", {"organisation_id": ""})):
            assert client.post(path, data={"csrf_token": token, **form}).status_code == 403
        assert 'href="/staff/users/"' not in client.get("/", follow_redirects=True).get_data(
            as_text=True)
    admin, _ = logged_in(app, "admin")
    assert admin.post(f"/staff/users/{target}/active", data={"active": "0"}).status_code == 400
    assert admin.get("/staff/users/999999").status_code == 404
    found = account("staff_b")
    assert account("sneaky") is None and found is not None and found.active
    assert found.check_password(WEB_PASSWORD)


def test_a_volunteer_changes_their_own_password(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "vol_a")
    phone, _ = logged_in(app, "vol_a")
    page = client.get("/account/?lang=zh").get_data(as_text=True)
    assert "修改密码" in page and "在岗" not in page
    assert client.post("/account/duty", data={"csrf_token": token, "phone": "13800138000",
                                              "on_duty": "1"}).status_code == 403
    wrong = client.post("/account/password?lang=zh", data={
        "csrf_token": token, "current_password": "not my password",
        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    short = client.post("/account/password?lang=zh", data={
        "csrf_token": token, "current_password": WEB_PASSWORD,
        "new_password": "短密码", "confirm_password": "短密码"})
    assert short.status_code == 400 and "至少" in short.get_data(as_text=True)
    assert client.post("/account/password", data={
        "csrf_token": token, "current_password": WEB_PASSWORD,
        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code == 303
    assert client.get("/inbox/").status_code == 200  # this browser goes on
    assert phone.get("/inbox/").status_code == 302  # the other session ended
    assert web_login(app.test_client(), "vol_a", NEW_PASSWORD).status_code == 302
    with get_db().begin() as session:
        assert session.scalars(select(AuditLog.action)).all() == ["change_password"]
