"""Volunteer CSV import (per-row errors, dry run) and the volunteer profile form."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import Volunteer
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in

CSV = ("name,phone,languages,skills,capacity,shifts,on_duty\n"
       "陈律师,13900000011,zh;en,欠薪,4,mon-fri 09:00-18:00,yes\n"
       "坏行,12345,klingon,wages,99,someday,maybe\n")


def upload(client: object, token: str, text: str, **extra: str) -> object:
    """POST the CSV text as a file upload."""
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), "v.csv"), **extra}
    return client.post("/staff/volunteers/import?lang=en", data=data,  # type: ignore[attr-defined]
                       content_type="multipart/form-data")


def volunteer_by_phone(phone: str) -> Volunteer | None:
    """Re-read a volunteer."""
    with get_db().begin() as session:
        return session.scalar(select(Volunteer).where(Volunteer.phone == phone))


def test_import_reports_rows_and_dry_run_saves_nothing(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    page = upload(client, token, CSV, dry_run="1").get_data(as_text=True)  # type: ignore
    assert 'id="imported-count">1<' in page and "nothing was saved" in page
    assert "klingon" in page and "capacity must be" in page
    assert volunteer_by_phone("+8613900000011") is None
    page = upload(client, token, CSV).get_data(as_text=True)  # type: ignore
    assert 'id="imported-count">1<' in page
    saved = volunteer_by_phone("+8613900000011")
    assert saved is not None and saved.skills == ["wages"] and saved.capacity == 4
    assert saved.organisation_id == web_world.org_a  # blank organisation → the staff's own


def test_staff_cannot_import_into_another_organisation(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_b")
    text = "name,phone\n李律师,13900000001\n"  # volunteer A belongs to organisation A
    resp = upload(client, token, text)
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "another organisation" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert volunteer_by_phone("+8613900000001").organisation_id == web_world.org_a  # type: ignore
    resp = upload(client, token, "name,phone,organisation\n新人,13900000077,别的机构\n")
    assert "must be blank or" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert volunteer_by_phone("+8613900000077") is None


def test_import_without_file_or_token(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.post("/staff/volunteers/import", data={"csrf_token": token}).status_code == 400
    resp = client.post("/staff/volunteers/import",
                       data={"file": (io.BytesIO(CSV.encode()), "v.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and volunteer_by_phone("+8613900000011") is None


def test_edit_profile_and_errors(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    url = f"/staff/volunteers/{web_world.vol_b}/edit?lang=en"
    assert "王社工" in client.get(url).get_data(as_text=True)
    form = {"csrf_token": token, "skills": ["wages", "injury"], "languages": "zh; en",
            "dialects": "河南话", "regions": "广东省; 深圳市", "home_province": "河南省",
            "capacity": "5", "shifts": "mon-fri 09:00-18:00; sat 10:00-14:00",
            "timezone": "Asia/Shanghai", "on_duty": "1"}
    bad = client.post(url, data={**form, "capacity": "0", "shifts": "whenever",
                                 "timezone": "Mars/Base"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "capacity must be" in text and "whenever" in text and "Mars/Base" in text
    assert client.post(url, data=form).status_code == 303
    with get_db().begin() as session:
        vol = session.get(Volunteer, web_world.vol_b)
        assert vol is not None
        assert vol.skills == ["wages", "injury"] and vol.dialects == ["henan"]
        assert vol.capacity == 5 and vol.on_duty and vol.languages == ["zh", "en"]
        assert vol.shifts[1] == {"days": [5], "start": "10:00", "end": "14:00"}
    assert "Mon-Fri 09:00-18:00; Sat 10:00-14:00" in client.get(url).get_data(as_text=True)


def test_volunteer_pages_are_staff_only(app: Flask, web_world: WebWorld) -> None:
    vol, token = logged_in(app, "vol_a")
    assert vol.get("/staff/volunteers/import").status_code == 404
    assert vol.get(f"/staff/volunteers/{web_world.vol_a}/edit").status_code == 404
    assert vol.post(f"/staff/volunteers/{web_world.vol_a}/edit",
                    data={"csrf_token": token, "capacity": "9"}).status_code == 404
    other, _ = logged_in(app, "staff_b")
    assert other.get(f"/staff/volunteers/{web_world.vol_a}/edit").status_code == 404
    assert app.test_client().get("/staff/volunteers/import").status_code == 302


def test_staff_import_cannot_take_over_a_volunteer_of_no_organisation(
        app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        session.add(Volunteer(name="自由志愿者", phone="+8613900000055", capacity=2))
    client, token = logged_in(app, "staff_a")
    for text in ("name,phone,capacity\n自由志愿者,13900000055,5\n",
                 "name,phone,organisation\n自由志愿者,13900000055,固始县服务站\n"):
        resp = upload(client, token, text)
        assert resp.status_code == 400  # type: ignore[attr-defined]
        assert "another organisation" in resp.get_data(as_text=True)  # type: ignore
        loose = volunteer_by_phone("+8613900000055")
        assert loose is not None and loose.organisation_id is None and loose.capacity == 2
    # An admin may place them.
    admin, admin_token = logged_in(app, "admin")
    resp = upload(admin, admin_token,
                  "name,phone,organisation\n自由志愿者,13900000055,固始县服务站\n")
    assert resp.status_code == 200  # type: ignore[attr-defined]
    assert volunteer_by_phone("+8613900000055").organisation_id == web_world.org_a  # type: ignore
