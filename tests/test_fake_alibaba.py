"""FakeAlibaba driven through Alibaba's own dysmsapi SDK, as the hotline's provider drives it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from alibabacloud_dysmsapi20170525 import models as sms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.utils import Utils
from click.testing import CliRunner

from devtools.fake_alibaba import FakeAlibaba
from devtools.fake_alibaba.rules import beijing_now
from hotline.cli.main import main as hotline_cli
from tests.alibaba_support import alibaba_client, fake_alibaba

__all__ = ["fake_alibaba"]  # the shared fixture, used by name

CASE_NOTICE = "您的案件${case}已受理，工作人员会尽快联系您。"
OFFER = "有新的求助案件${case}（${problem}），请回复Y ${case}接受。"
WORKER = "+8613800138000"
SECRET_PATH = "/alibaba/s3cret"
REPORT_KEYS = {"phone_number", "send_time", "report_time", "success", "err_code", "err_msg",
               "sms_size", "biz_id", "out_id"}


class Receiver:
    """The hotline's side of Alibaba's HTTP batch push: records every JSON array posted."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[tuple[int, str]] = []  # answered in turn, then the success answer
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.received.append({"path": self.path, "body": json.loads(raw),
                                           "type": self.headers["Content-Type"]})
                    status, body = (outer.answers.pop(0) if outer.answers
                                    else (200, '{"code": 0, "msg": "接收成功"}'))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{SECRET_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.stop()


@pytest.fixture
def client(fake_alibaba: FakeAlibaba) -> Client:
    fake_alibaba.register_template("SMS_100", CASE_NOTICE)
    fake_alibaba.register_template("SMS_200", OFFER)
    return alibaba_client(fake_alibaba)


def send(client: Client, phones: str = WORKER, template: str = "SMS_100",
         params: Any = None, sign: str = "工友热线", **extra: Any) -> Any:
    """SendSms through the SDK; returns the response body."""
    param = json.dumps({"case": "1024"} if params is None else params, ensure_ascii=False)
    return client.send_sms(sms.SendSmsRequest(phone_numbers=phones, sign_name=sign,
                                              template_code=template, template_param=param,
                                              **extra)).body


def today() -> str:
    return beijing_now().strftime("%Y%m%d")


def query(client: Client, phone: str = WORKER, **extra: Any) -> Any:
    args = {"send_date": today(), "page_size": 10, "current_page": 1, **extra}
    return client.query_send_details(sms.QuerySendDetailsRequest(phone_number=phone,
                                                                 **args)).body


# --- sending -------------------------------------------------------------------------------
def test_send_sms_to_several_numbers_shares_one_biz_id(fake_alibaba: FakeAlibaba,
                                                       client: Client) -> None:
    body = send(client, "+8613800138000,008613900000001,13700000002", out_id="msg-7",
                sms_up_extend_code="1024")
    assert (body.code, body.message) == ("OK", "OK")
    assert body.biz_id.endswith("^0") and body.request_id
    assert [m["phone"] for m in fake_alibaba.sent] == ["13800138000", "13900000001",
                                                       "13700000002"]
    (first,) = fake_alibaba.sent_to("+8613800138000")
    assert first == {**first, "sign_name": "工友热线", "template_code": "SMS_100",
                     "params": {"case": "1024"}, "biz_id": body.biz_id, "out_id": "msg-7",
                     "extend_code": "1024", "sms_size": 1,
                     "text": "【工友热线】您的案件1024已受理，工作人员会尽快联系您。"}
    assert {m["biz_id"] for m in fake_alibaba.sent} == {body.biz_id}


def test_send_batch_sms_gives_each_number_its_signature_and_parameters(
        fake_alibaba: FakeAlibaba, client: Client) -> None:
    fake_alibaba.register_signature("深圳工友中心")
    body = client.send_batch_sms(sms.SendBatchSmsRequest(
        phone_number_json=json.dumps(["13800138000", "+8613900000001"]),
        sign_name_json=json.dumps(["工友热线", "深圳工友中心"], ensure_ascii=False),
        template_code="SMS_200",
        template_param_json=json.dumps([{"case": "1024", "problem": "拖欠工资"},
                                        {"case": "1025", "problem": "工伤"}],
                                       ensure_ascii=False),
        sms_up_extend_code_json=json.dumps(["11", "12"]))).body
    assert body.code == "OK"
    texts = [(m["phone"], m["text"], m["extend_code"]) for m in fake_alibaba.sent]
    assert texts == [
        ("13800138000", "【工友热线】有新的求助案件1024（拖欠工资），请回复Y 1024接受。", "11"),
        ("13900000001", "【深圳工友中心】有新的求助案件1025（工伤），请回复Y 1025接受。", "12")]


def test_long_text_counts_parts_as_alibaba_bills_them(fake_alibaba: FakeAlibaba) -> None:
    fake_alibaba.register_template("SMS_LONG", "通知：" + "请带好身份证和工资条到劳动监察大队。" * 4
                                   + "案件${case}")
    body = send(alibaba_client(fake_alibaba), template="SMS_LONG")
    assert body.code == "OK"
    (msg,) = fake_alibaba.sent
    assert len(msg["text"]) > 70 and msg["sms_size"] == 2


def test_one_thousand_numbers_pass_and_one_more_is_refused(fake_alibaba: FakeAlibaba,
                                                            client: Client) -> None:
    numbers = [f"1390000{i:04d}" for i in range(1001)]
    refused = send(client, ",".join(numbers))
    assert refused.code == "isv.MOBILE_COUNT_OVER_LIMIT" and fake_alibaba.sent == []
    assert send(client, ",".join(numbers[:1000])).code == "OK"
    assert len(fake_alibaba.sent) == 1000


def test_batch_of_more_than_one_hundred_is_refused(fake_alibaba: FakeAlibaba,
                                                   client: Client) -> None:
    phones = [f"1390000{i:04d}" for i in range(101)]
    body = client.send_batch_sms(sms.SendBatchSmsRequest(
        phone_number_json=json.dumps(phones), sign_name_json=json.dumps(["工友热线"] * 101,
                                                                        ensure_ascii=False),
        template_code="SMS_100", template_param_json=json.dumps([{"case": "1"}] * 101))).body
    assert body.code == "isv.MOBILE_COUNT_OVER_LIMIT" and fake_alibaba.sent == []


# --- refusals the SMS service answers with HTTP 200 and a Code ------------------------------
@pytest.mark.parametrize(("phones", "template", "params", "sign", "code"), [
    (WORKER, "SMS_999", {"case": "1024"}, "工友热线", "isv.SMS_TEMPLATE_ILLEGAL"),
    (WORKER, "SMS_100", {"case": "1024"}, "阿里云", "isv.SMS_SIGNATURE_ILLEGAL"),
    (WORKER, "SMS_200", {"case": "1024"}, "工友热线", "isv.TEMPLATE_MISSING_PARAMETERS"),
    (WORKER, "SMS_100", {"case": ""}, "工友热线", "isv.TEMPLATE_MISSING_PARAMETERS"),
    ("1380013800", "SMS_100", {"case": "1024"}, "工友热线", "isv.MOBILE_NUMBER_ILLEGAL"),
    ("+12125550100", "SMS_100", {"case": "1024"}, "工友热线", "isv.MOBILE_NUMBER_ILLEGAL"),
    (f"{WORKER},12345", "SMS_100", {"case": "1024"}, "工友热线", "isv.MOBILE_NUMBER_ILLEGAL"),
    (WORKER, "SMS_100", {"case": "案" * 36}, "工友热线", "isv.PARAM_LENGTH_LIMIT"),
    (WORKER, "SMS_100", {"case": 1024}, "工友热线", "isv.INVALID_JSON_PARAM"),
    (WORKER, "SMS_100", {"case": "见 https://x.cn/a"}, "工友热线", "isv.PARAM_NOT_SUPPORT_URL"),
])
def test_invalid_sends_are_refused_with_alibabas_code(
        fake_alibaba: FakeAlibaba, client: Client, phones: str, template: str, params: Any,
        sign: str, code: str) -> None:
    body = send(client, phones, template, params, sign)
    assert body.code == code and body.message and body.biz_id is None
    assert fake_alibaba.sent == []
    assert fake_alibaba.requests[-1]["status"] == 200


def test_a_parameter_of_exactly_the_limit_is_accepted(fake_alibaba: FakeAlibaba,
                                                      client: Client) -> None:
    assert send(client, params={"case": "案" * 35}).code == "OK"


def test_template_param_that_is_not_json_is_refused(client: Client) -> None:
    body = client.send_sms(sms.SendSmsRequest(phone_numbers=WORKER, sign_name="工友热线",
                                              template_code="SMS_100",
                                              template_param="{case: 1024")).body
    assert body.code == "isv.INVALID_JSON_PARAM"


def test_missing_required_parameter_is_a_gateway_error(client: Client) -> None:
    with pytest.raises(ClientException) as err:
        client.send_sms(sms.SendSmsRequest(phone_numbers=WORKER, template_code="SMS_100"))
    assert (err.value.code, err.value.status_code) == ("MissingSignName", 400)


# --- errors on demand -----------------------------------------------------------------------
@pytest.mark.parametrize("code", ["isv.BUSINESS_LIMIT_CONTROL", "isp.RAM_PERMISSION_DENY",
                                  "isv.OUT_OF_SERVICE", "isp.SYSTEM_ERROR",
                                  "isv.DAY_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"])
def test_service_codes_on_demand_answer_200_with_the_code(fake_alibaba: FakeAlibaba,
                                                          client: Client, code: str) -> None:
    fake_alibaba.fail_next(code)
    assert send(client).code == code
    assert fake_alibaba.sent == []
    assert send(client).code == "OK"  # only the next one


@pytest.mark.parametrize(("code", "status", "exc"), [
    ("Throttling.User", 400, ClientException),
    ("Throttling.Api", 400, ClientException),
    ("Forbidden.RAM", 403, ClientException),
    ("InternalError", 500, ServerException),
    ("ServiceUnavailable", 503, ServerException),
])
def test_gateway_codes_on_demand_raise_in_the_sdk(fake_alibaba: FakeAlibaba, client: Client,
                                                  code: str, status: int,
                                                  exc: type[Exception]) -> None:
    fake_alibaba.fail_next(code, times=2)
    for _ in range(2):
        with pytest.raises(exc) as err:
            send(client)
        assert (err.value.code, err.value.status_code) == (code, status)  # type: ignore[attr-defined]
    assert fake_alibaba.sent == [] and send(client).code == "OK"


def test_fail_next_for_one_action_leaves_the_others_alone(fake_alibaba: FakeAlibaba,
                                                          client: Client) -> None:
    fake_alibaba.fail_next("isv.BUSINESS_LIMIT_CONTROL", action="SendBatchSms")
    assert send(client).code == "OK"
    assert query(client).code == "OK"
    body = client.send_batch_sms(sms.SendBatchSmsRequest(
        phone_number_json='["13800138000"]', sign_name_json='["工友热线"]',
        template_code="SMS_100", template_param_json='[{"case": "1"}]')).body
    assert body.code == "isv.BUSINESS_LIMIT_CONTROL"


def test_frequency_limits_per_number_signature_and_template(fake_alibaba: FakeAlibaba,
                                                            client: Client) -> None:
    for _ in range(3):  # no limit unless a test sets one
        assert send(client).code == "OK"
    fake_alibaba.reset()
    fake_alibaba.set_frequency_limits(per_minute=1, per_day=2)
    assert send(client).code == "OK"
    refused = send(client)
    assert (refused.code, refused.message) == ("isv.BUSINESS_LIMIT_CONTROL",
                                               "触发分钟级流控Permits:1")
    assert send(client, "13900000001").code == "OK"  # another number
    assert send(client, template="SMS_200", params={"case": "1", "problem": "工伤"}).code == "OK"
    fake_alibaba.set_frequency_limits(per_day=1)
    day = send(client)
    assert (day.code, day.message) == ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:1")
    assert len(fake_alibaba.sent_to(WORKER)) == 2


# --- signatures -----------------------------------------------------------------------------
def signed_request(fake: FakeAlibaba, query: dict[str, str], secret: str | None = None,
                   key_id: str | None = None, nonce: str = "n-1",
                   when: datetime | None = None) -> tuple[str, dict[str, str]]:
    """A SendSms request signed by the SDK's own ACS3 signer; returns (url, headers)."""
    when = when or datetime.now(UTC)
    headers = {"host": fake.endpoint, "x-acs-version": "2017-05-25", "x-acs-action": "SendSms",
               "x-acs-date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "x-acs-signature-nonce": nonce, "accept": "application/json",
               "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
    req = SimpleNamespace(pathname="/", method="POST", query=query, headers=headers)
    headers["Authorization"] = Utils.get_authorization(
        req, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"],
        key_id or fake.access_key_id, secret or fake.access_key_secret)
    return fake.base_url + "/", headers


def sms_query() -> dict[str, str]:
    return {"PhoneNumbers": "13800138000", "SignName": "工友热线", "TemplateCode": "SMS_100",
            "TemplateParam": '{"case":"1024"}'}


def test_raw_request_signed_with_the_secret_is_accepted_once(fake_alibaba: FakeAlibaba,
                                                             client: Client) -> None:
    url, headers = signed_request(fake_alibaba, sms_query())
    ok = requests.post(url, params=sms_query(), headers=headers, timeout=5)
    assert ok.status_code == 200 and ok.json()["Code"] == "OK"
    replay = requests.post(url, params=sms_query(), headers=headers, timeout=5)
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")
    assert len(fake_alibaba.sent) == 1


@pytest.mark.parametrize(("change", "status", "code"), [
    ("wrong secret", 400, "SignatureDoesNotMatch"),
    ("changed after signing", 400, "SignatureDoesNotMatch"),
    ("unknown key", 404, "InvalidAccessKeyId.NotFound"),
    ("no authorization", 400, "IncompleteSignature"),
    ("nonce not signed", 400, "IncompleteSignature"),
    ("old date", 400, "InvalidTimeStamp.Expired"),
])
def test_bad_signatures_are_refused_and_nothing_is_sent(
        fake_alibaba: FakeAlibaba, client: Client, change: str, status: int, code: str) -> None:
    params = sms_query()
    old = datetime.now(UTC) - timedelta(minutes=20)
    url, headers = signed_request(fake_alibaba, params,
                                  secret="not-the-secret" if change == "wrong secret" else None,
                                  key_id="LTAIsomeoneelse" if change == "unknown key" else None,
                                  when=old if change == "old date" else None)
    if change == "changed after signing":
        params["PhoneNumbers"] = "13900000009"
    elif change == "no authorization":
        del headers["Authorization"]
    elif change == "nonce not signed":
        headers["Authorization"] = headers["Authorization"].replace(
            ";x-acs-signature-nonce", "")
    resp = requests.post(url, params=params, headers=headers, timeout=5)
    body = resp.json()
    assert (resp.status_code, body["Code"]) == (status, code)
    assert body["RequestId"] and body["HostId"] == "dysmsapi.aliyuncs.com" and body["Message"]
    assert fake_alibaba.sent == []


def test_sdk_with_the_wrong_secret_gets_signature_does_not_match(fake_alibaba: FakeAlibaba,
                                                                 client: Client) -> None:
    with pytest.raises(ClientException) as err:
        send(alibaba_client(fake_alibaba, access_key_secret="not-the-secret"))
    assert (err.value.code, err.value.status_code) == ("SignatureDoesNotMatch", 400)
    assert fake_alibaba.sent == []


def test_rpc_signature_version_one_is_checked_too(fake_alibaba: FakeAlibaba,
                                                  client: Client) -> None:
    rpc = alibaba_client(fake_alibaba, signature_algorithm="v2")
    assert send(rpc, params={"case": "1024 ~*'"}).code == "OK"
    with pytest.raises(ClientException) as err:
        send(alibaba_client(fake_alibaba, access_key_secret="x", signature_algorithm="v2"))
    assert err.value.code == "SignatureDoesNotMatch"
    assert len(fake_alibaba.sent) == 1


# --- delivery: QuerySendDetails and SmsReport pushes --------------------------------------------
def test_query_send_details_waiting_before_the_carrier_reports(fake_alibaba: FakeAlibaba,
                                                                client: Client) -> None:
    fake_alibaba.report_delay = 60
    send(client, out_id="msg-1")
    (waiting,) = query(client).sms_send_detail_dtos.sms_send_detail_dto
    assert (waiting.send_status, waiting.err_code, waiting.receive_date) == (1, "", "")
    assert fake_alibaba.sent[0]["status"] == "waiting"


def test_query_send_details_reports_each_message_as_documented(fake_alibaba: FakeAlibaba,
                                                               client: Client) -> None:
    fake_alibaba.undeliverable(WORKER, "MK:0001")
    first = send(client, out_id="a")
    second = send(client, template="SMS_200", params={"case": "7", "problem": "工伤"},
                  out_id="b")
    send(client, "13900000001", out_id="c")
    assert fake_alibaba.wait_for_pushes()
    body = query(client)
    assert (body.code, body.total_count) == ("OK", "2")
    dtos = body.sms_send_detail_dtos.sms_send_detail_dto
    assert [(d.phone_num, d.send_status, d.err_code, d.template_code, d.out_id) for d in dtos] \
        == [("13800138000", 2, "MK:0001", "SMS_100", "a"),
            ("13800138000", 2, "MK:0001", "SMS_200", "b")]
    assert dtos[0].content == "【工友热线】您的案件1024已受理，工作人员会尽快联系您。"
    assert dtos[0].send_date[:10] == beijing_now().strftime("%Y-%m-%d") and dtos[0].receive_date
    by_biz = query(client, biz_id=second.biz_id).sms_send_detail_dtos.sms_send_detail_dto
    assert [d.out_id for d in by_biz] == ["b"] and first.biz_id != second.biz_id
    (other,) = query(client, "13900000001").sms_send_detail_dtos.sms_send_detail_dto
    assert (other.send_status, other.err_code) == (3, "DELIVERED")
    yesterday = (beijing_now() - timedelta(days=1)).strftime("%Y%m%d")
    assert query(client, send_date=yesterday).total_count == "0"


def test_query_send_details_pages(fake_alibaba: FakeAlibaba, client: Client) -> None:
    for n in range(3):
        send(client, out_id=str(n))
    pages = [query(client, page_size=2, current_page=p) for p in (1, 2, 3)]
    assert [p.total_count for p in pages] == ["3", "3", "3"]
    assert [[d.out_id for d in p.sms_send_detail_dtos.sms_send_detail_dto] for p in pages] \
        == [["0", "1"], ["2"], []]
    assert query(client, page_size=51).code == "isv.INVALID_PARAMETERS"
    assert query(client, send_date="2026-12-01").code == "isv.INVALID_PARAMETERS"


def test_delivery_reports_are_pushed_in_alibabas_batch_format(
        fake_alibaba: FakeAlibaba, client: Client, receiver: Receiver) -> None:
    fake_alibaba.push_url = receiver.url
    fake_alibaba.undeliverable("13900000001", "MK:0001")
    body = send(client, "13800138000,13900000001", out_id="msg-9")
    assert fake_alibaba.wait_for_pushes()
    (push,) = receiver.received  # one request carries both reports
    assert push["path"] == SECRET_PATH + "/report"
    assert push["type"].startswith("application/json")
    delivered, failed = push["body"]
    assert set(delivered) == REPORT_KEYS == set(failed)
    assert delivered | {"send_time": "", "report_time": ""} == {
        "phone_number": "13800138000", "send_time": "", "report_time": "", "success": True,
        "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
        "biz_id": body.biz_id, "out_id": "msg-9"}
    assert (failed["phone_number"], failed["success"], failed["err_code"]) == (
        "13900000001", False, "MK:0001")
    assert datetime.strptime(delivered["report_time"], "%Y-%m-%d %H:%M:%S")
    assert [p["ok"] for p in fake_alibaba.pushes] == [True]


@pytest.mark.parametrize("refusal", [(500, "error"), (503, '{"code": 0}'), (200, "not json"),
                                     (200, '{"code": "0"}'), (200, '{"msg": "接收成功"}'),
                                     (200, "[0]")])
def test_a_refused_push_is_retried_until_it_is_accepted(
        fake_alibaba: FakeAlibaba, client: Client, receiver: Receiver,
        refusal: tuple[int, str]) -> None:
    fake_alibaba.push_url = receiver.url
    receiver.answers = [refusal, refusal]
    send(client)
    assert fake_alibaba.wait_for_pushes()
    assert [(p["attempt"], p["ok"]) for p in fake_alibaba.pushes] == [(0, False), (1, False),
                                                                      (2, True)]
    bodies = [r["body"] for r in receiver.received]
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]


def test_a_numeric_code_on_200_counts_as_received_whatever_the_number(
        fake_alibaba: FakeAlibaba, client: Client, receiver: Receiver) -> None:
    # Alibaba checks only that `code` is a number, so {"code": 1} is not a refusal.
    fake_alibaba.push_url = receiver.url
    receiver.answers = [(200, '{"code": 1, "msg": "失败"}')]
    send(client)
    assert fake_alibaba.wait_for_pushes()
    assert [p["ok"] for p in fake_alibaba.pushes] == [True] and len(receiver.received) == 1


def test_pushes_give_up_after_three_retries(fake_alibaba: FakeAlibaba, client: Client,
                                            receiver: Receiver) -> None:
    fake_alibaba.push_url = receiver.url
    receiver.answers = [(503, "busy")] * 10
    send(client)
    assert fake_alibaba.wait_for_pushes()
    assert len(fake_alibaba.pushes) == 4 and not any(p["ok"] for p in fake_alibaba.pushes)
    assert len(receiver.received) == 4


def test_an_unreachable_push_url_is_retried_and_recorded(fake_alibaba: FakeAlibaba,
                                                         client: Client) -> None:
    fake_alibaba.push_url = "http://127.0.0.1:9/alibaba/s3cret"  # nothing listens there
    send(client)
    assert fake_alibaba.wait_for_pushes()
    pushes = fake_alibaba.pushes
    assert len(pushes) == 4 and all(p["error"] and p["status_code"] is None for p in pushes)
    assert pushes[0]["url"] == "http://127.0.0.1:9/alibaba/s3cret/report"


# --- replies (SmsUp) --------------------------------------------------------------------------
def test_worker_reply_is_pushed_as_sms_up(fake_alibaba: FakeAlibaba, client: Client,
                                          receiver: Receiver) -> None:
    send(client, sms_up_extend_code="1024")
    assert fake_alibaba.wait_for_pushes()
    fake_alibaba.push_url = receiver.url
    item = fake_alibaba.reply(WORKER, "好的，谢谢")
    second = fake_alibaba.reply("13900000001", "退订", dest_code="", sequence_id=42)
    assert fake_alibaba.wait_for_pushes()
    assert [r["path"] for r in receiver.received] == [SECRET_PATH + "/up"]
    pushed = receiver.received[0]["body"]
    assert pushed == [item, second]
    assert item | {"send_time": ""} == {
        "phone_number": "13800138000", "send_time": "", "content": "好的，谢谢",
        "sign_name": "工友热线", "dest_code": "1024", "sequence_id": item["sequence_id"]}
    assert isinstance(item["sequence_id"], int) and second["sequence_id"] == 42
    assert second["dest_code"] == ""


# --- set-up, reset and the shell --------------------------------------------------------------
@pytest.mark.parametrize(("text", "kind", "signature"), [
    ("优惠活动${name}", "promotional", "工友热线"),  # promotional without the opt-out words
    ("案件${case}已受理，拒收请回复R", "notification", "工友热线"),  # opt-out in a notification
    ("【工友热线】案件${case}已受理", "notification", "工友热线"),  # brackets belong to the sign
    ("${case}${status}", "notification", "工友热线"),  # only variables
    ("案件${case}已受理", "notification", "工"),  # signature too short
    ("案件${case}已受理", "legal", "工友热线"),  # no such kind
])
def test_templates_alibaba_would_not_approve_are_refused(fake_alibaba: FakeAlibaba, text: str,
                                                         kind: str, signature: str) -> None:
    with pytest.raises(ValueError):
        fake_alibaba.register_template("SMS_X", text, kind, signature)


def test_promotional_template_with_opt_out_is_sent(fake_alibaba: FakeAlibaba) -> None:
    fake_alibaba.register_template("SMS_P", "工友讲座${date}举行，欢迎参加。拒收请回复R",
                                   "promotional")
    assert send(alibaba_client(fake_alibaba), template="SMS_P", params={"date": "周六"}).code \
        == "OK"
    assert fake_alibaba.sent[0]["text"] == "【工友热线】工友讲座周六举行，欢迎参加。拒收请回复R"


def test_reset_forgets_sends_but_keeps_templates(fake_alibaba: FakeAlibaba,
                                                 client: Client) -> None:
    send(client)
    fake_alibaba.fail_next("isv.OUT_OF_SERVICE")
    fake_alibaba.reset()
    assert fake_alibaba.sent == [] and fake_alibaba.requests == []
    assert send(client).code == "OK"


def test_control_routes_for_a_fake_run_from_the_shell(fake_alibaba: FakeAlibaba,
                                                      client: Client) -> None:
    base = fake_alibaba.base_url + "/_fake"
    assert requests.post(f"{base}/template", timeout=5, json={
        "code": "SMS_300", "text": "案件${case}有新消息，请致电热线。"}).json() == {"ok": True}
    requests.post(f"{base}/fail_next", json={"code": "Throttling.User"}, timeout=5)
    with pytest.raises(ClientException):
        send(client, template="SMS_300")
    assert send(client, template="SMS_300").code == "OK"
    sent = requests.get(f"{base}/sent", timeout=5).json()
    assert [m["text"] for m in sent] == ["【工友热线】案件1024有新消息，请致电热线。"]
    assert requests.post(f"{base}/nothing", json={}, timeout=5).status_code == 404


def test_cli_has_the_fake_alibaba_command() -> None:
    result = CliRunner().invoke(hotline_cli, ["fake-alibaba", "--help"])
    assert result.exit_code == 0
    assert "--push-url" in result.output and "8766" in result.output
