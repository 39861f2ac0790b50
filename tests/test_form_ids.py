"""Ids typed into forms and query strings: one past 64 bits, or a digit that is no ASCII digit
('²'), is refused or finds nothing — never a 500 from the database (hotline.infra.db.row_id)."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from hotline.infra.db import row_id
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in

PAST_64_BITS = "99999999999999999999999"
NOT_IDS = [PAST_64_BITS, "²", "１２", "-1", "1.5", "", " "]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_what_is_no_row_id(raw: str) -> None:
    assert row_id(raw) is None


def test_row_ids() -> None:
    assert (row_id("1"), row_id("007"), row_id("999999999")) == (1, 7, 999999999)
    assert row_id(None) is None


@pytest.mark.parametrize("raw", [PAST_64_BITS, "²"])
def test_forms_refuse_such_ids_cleanly(app: Flask, web_world: WebWorld, raw: str) -> None:
    admin, token = logged_in(app, "admin")
    # A template's review: no such template.
    resp = admin.post("/staff/templates/review",
                      data={"csrf_token": token, "template_id": raw, "action": "approve"})
    assert resp.status_code == 400
    # The office of a contacts import: refused (the same upload for a real office goes in).
    for office, status in ((raw, 400), (str(web_world.org_a), 200)):
        resp = admin.post("/staff/contacts/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "organisation_id": office,
                                "consent_source": "线下活动报名表",
                                "file": (io.BytesIO("手机号\n13800138000\n".encode()),
                                         "c.csv")})
        assert resp.status_code == status, resp.get_data(as_text=True)[-500:]
    # The case list filtered by a volunteer: nothing is filtered, nothing breaks.
    assert admin.get(f"/staff/cases?volunteer={raw}").status_code == 200
