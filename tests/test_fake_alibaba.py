"""FakeAlibaba driven through Alibaba's own dysmsapi SDK, as the hotline's provider drives it."""

from __future__ import annotations

import json

from alibabacloud_dysmsapi20170525 import models as sms

from notifications.fakes import FakeAlibaba
from tests.alibaba_support import alibaba_client, fake_alibaba  # noqa: F401

CASE_NOTICE = "您的案件${case}已受理，工作人员会尽快联系您。"


def test_send_sms_round_trip(fake_alibaba: FakeAlibaba) -> None:
    fake_alibaba.register_template("SMS_100", CASE_NOTICE)
    client = alibaba_client(fake_alibaba)
    resp = client.send_sms(sms.SendSmsRequest(
        phone_numbers="+8613800138000", sign_name="工友热线", template_code="SMS_100",
        template_param=json.dumps({"case": "1024"}), out_id="msg-7"))
    assert resp.status_code == 200
    assert resp.body.code == "OK" and resp.body.message == "OK"
    (sent,) = fake_alibaba.sent_to("+8613800138000")
    assert sent["text"] == "【工友热线】您的案件1024已受理，工作人员会尽快联系您。"
    assert sent["biz_id"] == resp.body.biz_id and sent["out_id"] == "msg-7"
