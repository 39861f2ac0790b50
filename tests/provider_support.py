"""The same hotline on each provider, for tests of what does not depend on the carrier.

    from tests.provider_support import on_provider
    __all__ = ["on_provider"]  # keeps ruff from calling the fixture parameters F811

`on_provider` is parametrised over "twilio" and "alibaba" (and, through `db_url`, over SQLite
and PostgreSQL): the app with Twilio and the fake Twilio server, or with Alibaba Cloud SMS and the
fake Alibaba server holding every template `hotline templates draft` wrote, imported back with
`hotline templates import` as the carrier approved them (no template registered by hand; the
drafts whose variable is a volunteer's free words are rejected, as a carrier's reviewer would).
Texts come in through each provider's own front door (a signed Twilio webhook, which stores the
text for a worker to read, or an SmsUp push to /alibaba/<secret>/up), and what the hotline
queues is sent in-process, as its send worker would, through the provider's real client
(Alibaba's own SDK) to the fake server. No Celery worker runs: `text` reads what the Twilio
webhook stored as the intake worker would, and `route` runs the routing task in-process.

What a test does with the `World`: `text(phone, body)` (the texts that phone got back; the same
`key` twice is the carrier delivering one text again), `reply` (those texts as one string, or
None), `got(phone)` (everything a number received, as its handset shows it), `route(case_id)`,
`report(message_id, delivered)` (the carrier's delivery report through its front door) and
`campaign(text)` (a campaign sent at once; on Alibaba through a template the carrier approved).
Tests that call the hotline's own functions directly need nothing more: `on_provider` pushes its
app's context, so what they queue goes out through that provider.
"""

from __future__ import annotations

import csv
import io
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from twilio.request_validator import RequestValidator

from devtools.fake_alibaba.server import FakeAlibaba
from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.arrivals import read_arrived_now
from hotline.cli.main import main
from hotline.infra.db import get_db
from hotline.phones import normalize_phone
from hotline.routing import route_case
from models import (
    Direction,
    Message,
    MessageStatus,
    Purpose,
    SmsTemplate,
    TemplateApproval,
    TemplateKind,
)
from notifications.providers.alibaba.push import to_alibaba
from notifications.send import deliver
from notifications.templates import FREE_TEXT
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_config, sms_form

__all__ = ["World", "fake_alibaba", "on_provider"]
PROVIDERS = ["twilio", "alibaba"]
PUSH_SECRET = "both-providers-push-secret-0123"
_SEQUENCE = itertools.count(700000000)


@dataclass
class World:
    """One app on one provider, and how texts reach it and leave it."""

    provider: str
    app: Flask
    client: FlaskClient
    fake_twilio: FakeTwilio | None = None
    fake_alibaba: FakeAlibaba | None = None
    # Texts each number got, in the order its handset shows them (Twilio: the webhook's TwiML
    # answer, then what the send worker sent through the fake Twilio).
    received: dict[str, list[str]] = field(default_factory=dict)
    seen: int = 0  # fake Twilio messages already in `received`

    def text(self, phone: str, body: str, key: int | None = None) -> list[str]:
        """`phone` texts the hotline through the front door; every text queued is sent (as the
        send worker would); returns the texts `phone` got back, oldest first. The same `key`
        twice is the carrier delivering the same text again (Twilio's MessageSid, Alibaba's
        sequence_id)."""
        before = len(self.got(phone))
        number = next(_SEQUENCE) if key is None else key
        if self.provider == "twilio":
            form = sms_form(phone, body, sid=f"SM{number:032x}")
            response = self._post_twilio("/twilio/sms", form)
            assert response.status_code == 200, response.data
            said = [m.text or "" for m in ET.fromstring(response.data).findall("Message")]
            self._drain()
            self.received.setdefault(phone, []).extend(said)
            self.answer_arrived(phone)
        else:
            item = {"phone_number": to_alibaba(phone), "content": body,
                    "send_time": "2026-12-03 10:15:07", "sign_name": ALIBABA_SIGNATURE,
                    "dest_code": "", "sequence_id": number}
            response = self.client.post(f"/alibaba/{PUSH_SECRET}/up", json=[item])
            assert response.status_code == 200, response.data
            self.answer_arrived(phone)
        self.send_queued()
        return self.got(phone)[before:]

    def reply(self, phone: str, body: str, key: int | None = None) -> str | None:
        """What `phone` got back for one text, its parts joined by " / " (None when the
        hotline said nothing)."""
        got = self.text(phone, body, key)
        return " / ".join(got) if got else None

    def answer_arrived(self, phone: str) -> None:
        """Read every text the webhook stored unread, as the intake worker would, and send
        the answers texted back to `phone` (other queued texts wait for `send_queued`)."""
        with get_db().begin() as s:
            unread = list(s.scalars(select(Message.id).where(
                Message.status == MessageStatus.ARRIVED).order_by(Message.id)))
        for mid in unread:
            read_arrived_now(mid)
        with get_db().begin() as s:
            answers = list(s.scalars(select(Message.id).where(
                Message.direction == Direction.OUTBOUND, Message.purpose == Purpose.REPLY,
                Message.to_number == normalize_phone(phone),
                Message.status == MessageStatus.QUEUED).order_by(Message.id)))
        for mid in answers:
            deliver(mid)
        self._drain(as_given={normalize_phone(phone): phone})

    def send_queued(self) -> list[int]:
        """Send every QUEUED outbound message through the provider; their ids."""
        with get_db().begin() as s:
            ids = list(s.scalars(select(Message.id).where(
                Message.direction == Direction.OUTBOUND,
                Message.status == MessageStatus.QUEUED).order_by(Message.id)))
        for mid in ids:
            deliver(mid)
        self._drain()
        return ids

    def _drain(self, as_given: dict[str, str] | None = None) -> None:
        # `as_given`: a number the test wrote otherwise ("138…") is filed as it wrote it.
        if self.fake_twilio is None:
            return
        messages = self.fake_twilio.messages
        for m in messages[self.seen:]:
            to = (as_given or {}).get(m["to"], m["to"])
            self.received.setdefault(to, []).append(m["body"])
        self.seen = len(messages)

    def got(self, phone: str) -> list[str]:
        """Every text `phone` got from the hotline, as its handset shows it (without the
        【signature】 Alibaba puts in front)."""
        if self.fake_alibaba is not None:
            prefix = f"【{ALIBABA_SIGNATURE}】"
            return [m["text"].removeprefix(prefix) for m in self.fake_alibaba.sent_to(phone)]
        self._drain()
        return list(self.received.get(phone, []))

    def campaign(self, text: str, tag: str = "training", **spec: Any) -> int:
        """A campaign of `text` ("{name}" filled per contact) to every contact tagged `tag`,
        sent at once through the provider (on Alibaba as a template the carrier approved,
        as an office's campaign is); its id."""
        from notifications.campaigns.audience import Audience
        from notifications.campaigns.compose import CampaignSpec, create_campaign
        from tests.test_campaign_send import run

        if self.fake_alibaba is not None:
            template = text.replace("{name}", "${name}")
            code = f"SMS_{next(_SEQUENCE)}"
            self.fake_alibaba.register_template(code, template, "notification",
                                                ALIBABA_SIGNATURE)
            with get_db().begin() as s:
                s.add(SmsTemplate(provider="alibaba", code=code, purpose="campaign",
                                  kind=TemplateKind.NOTIFICATION, text=template,
                                  signature=ALIBABA_SIGNATURE,
                                  approval=TemplateApproval.APPROVED))
        settings: dict[str, Any] = {"signature": ALIBABA_SIGNATURE, "footer": False,
                                    "quiet_hours": "00:00-00:00", "rate_per_second": 1000.0,
                                    **spec}
        with get_db().begin() as s:
            cid = create_campaign(s, CampaignSpec(
                name="培训", variants={"zh": text}, audience=Audience(tags=[tag]),
                **settings)).id
        run(cid)
        return cid

    def route(self, case_id: int) -> None:
        """The routing task, in-process (offers are queued, then sent)."""
        route_case(case_id)
        self.send_queued()

    def report(self, message_id: int, delivered: bool) -> int:
        """The carrier's delivery report for a sent message, through its front door."""
        with get_db().begin() as s:
            msg = s.get(Message, message_id)
            assert msg is not None and msg.provider_sid, "send it first"
            sid, to = msg.provider_sid, msg.to_number
        if self.provider == "twilio":
            form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "1" * 32, "To": to,
                    "MessageStatus": "delivered" if delivered else "undelivered",
                    **({} if delivered else {"ErrorCode": "30003"})}
            return int(self._post_twilio(f"/twilio/status?m={message_id}", form).status_code)
        item = {"phone_number": to_alibaba(to), "send_time": "2026-12-03 10:15:07",
                "report_time": "2026-12-03 10:15:09", "success": delivered,
                "err_code": "DELIVERED" if delivered else "MK:0001",
                "err_msg": "用户接收成功" if delivered else "失败", "sms_size": "1",
                "biz_id": sid, "out_id": f"m{message_id}"}
        return int(self.client.post(f"/alibaba/{PUSH_SECRET}/report", json=[item]).status_code)

    def _post_twilio(self, path: str, form: dict[str, str]) -> Any:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _cli(app: Flask, *args: str) -> Any:
    """`hotline ...` in-process, configured like `app`."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "HOTLINE_NUMBER": app.config["HOTLINE_NUMBER"], "HOTLINE_PROVIDER": "alibaba",
           "ALIBABA_PUSH_SECRET": PUSH_SECRET, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "ALIBABA_SMS_ENDPOINT": app.config["ALIBABA_SMS_ENDPOINT"]}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


# What `hotline templates draft` + `import` made of the drafts, once per run and database
# kind (the rows are the same every time; later tests insert them without the two commands).
_IMPORTED: dict[str, list[dict[str, Any]]] = {}
COLUMNS = ("provider", "code", "purpose", "kind", "text", "signature", "approval")


def approve_drafts(app: Flask, fake: FakeAlibaba, tmp_path: Path) -> int:
    """What an office does: draft every text, submit them, import the codes the carrier gave;
    the carrier approves each draft but those carrying someone's free words. Returns how many
    templates are approved."""
    dialect = get_db().engine.dialect.name
    if dialect not in _IMPORTED:
        _draft_and_import(app, tmp_path)
        with get_db().begin() as s:
            _IMPORTED[dialect] = [{c: getattr(t, c) for c in COLUMNS}
                                  for t in s.scalars(select(SmsTemplate))]
    else:
        with get_db().begin() as s:
            s.execute(insert(SmsTemplate), _IMPORTED[dialect])
    approved = [t for t in _IMPORTED[dialect] if t["approval"] == TemplateApproval.APPROVED]
    for t in approved:
        fake.register_template(t["code"], t["text"], str(t["kind"]), t["signature"])
    return len(approved)


def _draft_and_import(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "drafts.csv"
    _cli(app, "templates", "draft", "--signature", ALIBABA_SIGNATURE, "--out", str(out))
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    filled = []
    for i, row in enumerate(rows):
        purpose = row[0]
        if purpose == "campaign":  # its content is the office's to write
            continue
        filled.append([*row[:9], f"SMS_{800000 + i}",
                       "驳回" if purpose in FREE_TEXT else "审核通过"])
    back = io.StringIO()
    csv.writer(back).writerows([header, *filled])
    path = tmp_path / "approved.csv"
    path.write_text(back.getvalue(), encoding="utf-8-sig")
    _cli(app, "templates", "import", str(path))


@pytest.fixture(params=PROVIDERS)
def on_provider(request: pytest.FixtureRequest, db_url: str, redis_client: redis_lib.Redis,
                tmp_path: Path) -> Iterator[World]:
    """The hotline on Twilio or on Alibaba Cloud SMS (see the module docstring)."""
    redis_client.flushdb()
    if request.param == "twilio":
        fake_twilio = request.getfixturevalue("fake_twilio")
        fake_twilio.callbacks_enabled = False  # PUBLIC_URL is not reachable: report() posts
        # As deployed: each text stored by the webhook, read by the worker `text` stands in
        # for, its answer texted back through the fake Twilio.
        config = app_config(db_url, fake_twilio.base_url, SMS_READ_IN_WEBHOOK="")
    else:
        fake = request.getfixturevalue("fake_alibaba")
        # As deployed: each reply of a push stored, read by the worker `text` stands in for.
        config = app_config(db_url, "http://127.0.0.1:9", HOTLINE_PROVIDER="alibaba",
                            SMS_READ_IN_WEBHOOK="", ALIBABA_ACCESS_KEY_ID=fake.access_key_id,
                            ALIBABA_ACCESS_KEY_SECRET=fake.access_key_secret,
                            ALIBABA_SMS_ENDPOINT=fake.base_url, ALIBABA_PUSH_SECRET=PUSH_SECRET)
    application = create_app(config, instance_path=str(tmp_path / "instance"))
    with application.app_context():
        world = World(request.param, application, application.test_client())
        if request.param == "twilio":
            world.fake_twilio = fake_twilio
        else:
            world.fake_alibaba = fake
            assert approve_drafts(application, fake, tmp_path) > 200
        yield world
    application.extensions["db"].engine.dispose()
