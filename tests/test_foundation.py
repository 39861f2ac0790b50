"""Foundation wiring: configuration, lifecycles, phone numbers, Celery setup, migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from hotline.infra.config import load_config
from hotline.infra.migrate import alembic_config
from hotline.phones import InvalidPhone, mask_phone, normalize_phone
from models import (
    Base,
    Case,
    CaseStatus,
    InvalidTransition,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
)
from tests.conftest import ROOT

PHONES = [
    ("13800138000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000"),
    ("008613800138000", "+8613800138000"),
    ("(138) 0013-8000", "+8613800138000"),
    ("+1 415 555 2671", "+14155552671"),
    ("+852 6123 4567", "+85261234567"),
]


@pytest.mark.parametrize("raw,e164", PHONES)
def test_phone_normalisation(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "   ", "abc", "12", "+86", "1" * 60, "TWILIO"])
def test_bad_phone_numbers_get_a_clear_error(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask_phone_hides_the_middle() -> None:
    assert mask_phone("+8613800138000") == "+86 138****8000"
    assert mask_phone("+14155552671") == "+1 41****2671"


def test_case_lifecycle_allows_only_drawn_transitions() -> None:
    case = Case(status=CaseStatus.NEW, number=1001)
    for step in (CaseStatus.OFFERED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS,
                 CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.status, old = step, case.status
        assert step in __import__("models").case.CASE_TRANSITIONS[old]
    closed = Case(status=CaseStatus.CLOSED, number=1002)
    with pytest.raises(InvalidTransition):
        closed.move_to(CaseStatus.NEW)
    new = Case(status=CaseStatus.NEW, number=1003)
    with pytest.raises(InvalidTransition):
        new.move_to(CaseStatus.RESOLVED)


def test_message_status_only_moves_forward() -> None:
    msg = Message(status=MessageStatus.QUEUED)
    assert msg.advance(MessageStatus.SENDING)
    assert msg.advance(MessageStatus.DELIVERED)
    assert not msg.advance(MessageStatus.SENT)
    assert not msg.advance(MessageStatus.FAILED)  # terminal states do not flip
    assert msg.status == MessageStatus.DELIVERED
    with pytest.raises(ValueError):
        msg.requeue()


def test_offer_answers_once() -> None:
    offer = Offer(status=OfferStatus.PENDING)
    offer.answer(OfferStatus.ACCEPTED)
    with pytest.raises(ValueError):
        offer.answer(OfferStatus.DECLINED)


def test_config_comes_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://h:6379/1")
    monkeypatch.setenv("STAFF_NUMBERS", "+8613700000000, +8613700000001")
    monkeypatch.setenv("OFFER_TIMEOUT_MINUTES", "5")
    cfg = load_config(str(tmp_path))
    assert cfg["DATABASE_URL"] == "postgresql://u@h/db"
    assert cfg["REDIS_URL"] == "redis://h:6379/1"
    assert cfg["STAFF_NUMBERS"] == ["+8613700000000", "+8613700000001"]
    assert cfg["OFFER_TIMEOUT_MINUTES"] == 5


def test_config_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("DATABASE_URL", "REDIS_URL", "HOTLINE_PROVIDER", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(str(tmp_path))
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert cfg["REDIS_URL"].startswith("redis+socket://") and cfg["REDIS_EMBEDDED"]
    assert cfg["HOTLINE_PROVIDER"] == "console"


def test_config_refuses_real_twilio_without_a_token(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("TWILIO_API_URL", raising=False)
    monkeypatch.setenv("HOTLINE_PROVIDER", "twilio")
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        load_config(str(tmp_path))
    monkeypatch.setenv("HOTLINE_PROVIDER", "carrier-pigeon")
    with pytest.raises(ValueError, match="HOTLINE_PROVIDER"):
        load_config(str(tmp_path))


def test_only_one_module_imports_twilio_rest() -> None:
    hits = [p.relative_to(ROOT).as_posix() for d in ("hotline", "notifications", "models",
                                                     "ivr_flows")
            for p in (ROOT / d).rglob("*.py") if "twilio.rest" in p.read_text()]
    assert hits == ["notifications/providers/twilio/client.py"]


def test_worker_module_exposes_the_app_bound_celery(tmp_path: Path) -> None:
    """`celery -A worker` must find a Celery app with the named queues, urgent first."""
    code = ("import worker; c = worker.celery; "
            "print([q.name for q in c.conf.task_queues]); "
            "print(c.conf.broker_transport_options['queue_order_strategy']); "
            "print(sorted(t for t in c.tasks if not t.startswith('celery.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={"HOTLINE_INSTANCE": str(tmp_path),
                                                     "PATH": "/usr/bin:/bin"}).stdout
    queues, strategy, tasks = out.strip().splitlines()
    assert queues.startswith("['urgent', 'intake', 'send', 'campaigns'")
    assert strategy == "priority"
    for task in ("hotline.routing.route_case", "notifications.send.send_message",
                 "hotline.sweeper.sweep"):
        assert task in tasks


@pytest.mark.parametrize("which", ["sqlite", "postgresql"])
def test_migrations_match_the_models(which: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url" if which == "postgresql" else "sqlite_url")
    command.check(alembic_config(url))  # raises if models and migrations differ
    tables = set(inspect(create_engine(url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
