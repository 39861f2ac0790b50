"""Campaign fan-out through each real provider client to its fake server: Twilio beside Alibaba.

The zero-latency fan-out (campaign_fanout) measures the pipeline up to the provider boundary;
this measures it through the provider clients the workers really use: Twilio's REST client to
the fake Twilio, and Alibaba's own dysmsapi SDK (request signing, the template lookup that
turns each text into TemplateCode + TemplateParam) to the fake Alibaba. Both runs are the same
campaign (one zh notification text, a template the fake Alibaba and the registry approved),
the same audience, the same worker command and settings, no throttle. Each fake server runs
as threads of this driver process, one at a time, doing only what a carrier's API does at send
time: the fake Twilio posts no status callbacks and the fake Alibaba pushes no reports until
the run is over, so neither load generator takes the measured cores for more than answering.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from devtools.fake_alibaba.server import DEFAULT_SIGNATURE, FakeAlibaba
from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Recipient, SmsTemplate, TemplateApproval, TemplateKind
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, create_campaign
from notifications.campaigns.control import request_start

TAG = "providers"
TEMPLATE_CODE = "SMS_BENCH1"
TEMPLATE = "${name}您好，工友热线提醒：您登记的工资清欠事项有新进展，请留意短信。"
PUSH_SECRET = "bench-push-secret-0123456789abcdef"
# Reachable by nobody: sends carry a status callback URL (and Alibaba an OutId) as in
# production, but no callback or report comes back during the run.
NO_CALLBACKS = "http://127.0.0.1:9"
# Identical for both runs: the production defaults for HTTP providers, no throttle.
SETTINGS = {"CAMPAIGN_CHUNK_SIZE": "200", "CAMPAIGN_PARALLELISM": "2",
            "CAMPAIGN_SEND_THREADS": "4", "PUBLIC_URL": NO_CALLBACKS,
            "ALIBABA_PUSH_SECRET": PUSH_SECRET}


def tag_audience(n: int) -> int:
    """Tag the first `n` Chinese-speaking contacts for these runs; how many were tagged."""
    with get_db().begin() as session:
        session.execute(text(
            "INSERT INTO contact_tags (contact_id, tag) SELECT id, :tag FROM contacts "
            "WHERE language = 'zh' ORDER BY id LIMIT :n"), {"n": n, "tag": TAG})
        return int(session.scalar(text(
            "SELECT count(*) FROM contact_tags WHERE tag = :tag"), {"tag": TAG}) or 0)


def approve_template() -> None:
    """The campaign's template in the registry, approved (the Alibaba run needs it)."""
    with get_db().begin() as session:
        if session.scalar(select(SmsTemplate.id).where(SmsTemplate.code == TEMPLATE_CODE)):
            return
        session.add(SmsTemplate(provider="alibaba", code=TEMPLATE_CODE, purpose="campaign",
                                kind=TemplateKind.NOTIFICATION, text=TEMPLATE,
                                signature=DEFAULT_SIGNATURE,
                                approval=TemplateApproval.APPROVED))


def new_campaign(sender: str) -> int:
    """The campaign both runs send: the template's text, no footer, no quiet hours."""
    spec = CampaignSpec(name=f"bench providers {time.time():.0f}",
                        variants={"zh": TEMPLATE.replace("${name}", "{name|工友}")},
                        audience=Audience(tags=[TAG]), sender=sender,
                        signature=DEFAULT_SIGNATURE, footer=False, quiet_hours="00:00-00:00",
                        rate_per_second=1_000_000.0)
    with get_db().begin() as session:
        return create_campaign(session, spec).id


def worker_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a worker's pool processes so far (/proc, Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for child in children:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def run_one(provider: str, sender: str, db_url: str,
            env_for: Callable[..., dict[str, str]], start_workers: Callable[..., Any],
            wait_done: Callable[[int, float], float]) -> dict[str, Any]:
    """One campaign through `provider`'s client to its fake server: msg/s and what arrived."""
    if provider == "twilio":
        twilio = FakeTwilio(account_sid="AC" + "1" * 32, auth_token="bench-token",
                            callbacks_enabled=False)
        base = twilio.start()
        env = env_for(db_url, base, **SETTINGS)
        received: Callable[[], int] = lambda: len(twilio.messages)  # noqa: E731
        calls_made: Callable[[], int] = received
        stop: Callable[[], None] = twilio.stop
    else:
        alibaba = FakeAlibaba()
        alibaba.report_delay = 24 * 3600.0  # reports after the run, never during it
        alibaba.start()
        alibaba.register_signature(DEFAULT_SIGNATURE)
        alibaba.register_template(TEMPLATE_CODE, TEMPLATE)
        env = env_for(db_url, None, HOTLINE_PROVIDER="alibaba",
                      ALIBABA_ACCESS_KEY_ID=alibaba.access_key_id,
                      ALIBABA_ACCESS_KEY_SECRET=alibaba.access_key_secret,
                      ALIBABA_SMS_ENDPOINT=alibaba.base_url, **SETTINGS)
        received = lambda: len(alibaba.sent)  # noqa: E731
        calls_made = lambda: len(alibaba.requests)  # noqa: E731
        stop = alibaba.stop
    worker = start_workers("worker", env, 2)
    try:
        time.sleep(3)  # worker boot is not part of the pipeline
        cid = new_campaign(sender)
        cpu_before = worker_cpu_seconds(worker.pid)
        request_start(cid)
        seconds = wait_done(cid, 3600)
        cpu = worker_cpu_seconds(worker.pid) - cpu_before
        arrived = received()
        calls = calls_made()
    finally:
        worker.terminate()
        worker.wait(30)
        stop()
    with get_db().begin() as session:
        sent = int(session.scalar(select(func.count()).where(
            Recipient.campaign_id == cid, Recipient.provider_sid.is_not(None))) or 0)
        failed = int(session.scalar(select(func.count()).where(
            Recipient.campaign_id == cid, Recipient.provider_sid.is_(None))) or 0)
    return {"sent": sent, "not_sent": failed, "at_fake_server": arrived,
            "seconds": round(seconds, 2), "msg_per_s": round(sent / seconds, 1),
            "api_calls": calls, "worker_cpu_ms_per_msg": round(1000 * cpu / max(sent, 1), 2)}


def measure(n: int, sender: str, db_url: str, env_for: Callable[..., dict[str, str]],
            start_workers: Callable[..., Any], wait_done: Callable[[int, float], float]
            ) -> dict[str, Any]:
    """Twilio then Alibaba over the same `n` recipients; Alibaba's rate over Twilio's."""
    audience = tag_audience(n)
    approve_template()
    runs = {name: run_one(name, sender, db_url, env_for, start_workers, wait_done)
            for name in ("twilio", "alibaba")}
    ratio = runs["alibaba"]["msg_per_s"] / runs["twilio"]["msg_per_s"]
    return {"audience": audience, **runs, "alibaba_over_twilio": round(ratio, 2),
            "load_average": round(os.getloadavg()[0], 1),
            "date": datetime.now(UTC).date().isoformat()}


def readme_row(result: dict[str, Any], db: str, command: str) -> str:
    """The README benchmark table's line for this measurement (paste it as printed)."""
    tw, ali = result["twilio"], result["alibaba"]
    measured = (f"Twilio {tw['msg_per_s']:,} msg/s, Alibaba {ali['msg_per_s']:,} msg/s "
                f"({ali['api_calls']:,} Alibaba API calls for {ali['sent']:,} texts)")
    cells = {"SQLite": "not run", "PostgreSQL": "not run"}
    cells["SQLite" if db == "sqlite" else "PostgreSQL"] = measured
    return (f"| campaign fan-out through each real provider client to its fake server, "
            f"{result['audience']:,} recipients each (2 worker processes × 4 send threads, no "
            f"throttle; run "
            f"{result['date']} with `{command}`, load average {result['load_average']} on "
            f"{os.cpu_count()} vCPU) | {cells['SQLite']} | {cells['PostgreSQL']} | Alibaba ÷ "
            f"Twilio ×{result['alibaba_over_twilio']} (worker CPU per message: Twilio "
            f"{tw['worker_cpu_ms_per_msg']} ms, Alibaba {ali['worker_cpu_ms_per_msg']} ms) |")
