"""Fill a database with a centre's three years at a multiple of the real size, in bulk.

Scale 1.0 is the size of a real centre after three years (its own reports: 8,800 worker
records, 55,450 service contacts, 400,000 service SMS): 408,800
contacts (8,800 workers who called or texted, 400,000 imported for service SMS), 55,000 cases
over 36 months, ~15 timeline events and ~7.5 texts a case, 40 campaigns with 400,000
recipients, 50,000 audit rows. Rows go in through COPY on PostgreSQL and executemany in big
batches on SQLite, never one ORM object at a time, with explicit ids so the
tables can point at each other; the distributions are skewed the way a hotline's are (wages
first, busier recent months, most old cases finished, one office much larger than the rest).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, Connection, Engine, Table, func, select, text
from sqlalchemy import case as sql_case
from sqlalchemy import insert as sa_insert

from models import (
    AuditLog,
    Call,
    Campaign,
    Case,
    CaseEvent,
    CaseOrganisation,
    Contact,
    ContactOrganisation,
    Message,
    Offer,
    Recipient,
    RecipientStatus,
)
from models.campaign import COUNT_SHARDS, CampaignCounts
from models.case import CASE_NUMBER_OFFSET

BATCH = 5_000
MONTHS = 36
FULL = {"workers": 8_800, "imported": 400_000, "cases": 55_000, "campaigns": 40,
        "recipients": 400_000, "audit": 50_000, "long_case_events": 3_000}
SERIAL_TABLES = ("contacts", "cases", "messages", "calls", "case_events", "offers", "campaigns",
                 "campaign_recipients", "audit_log")
TABLES = (*SERIAL_TABLES, "contact_organisations", "case_organisations", "campaign_counts")
CATEGORIES = [("wages", 55), ("injury", 14), ("contract", 12), ("social_insurance", 8),
              ("other_legal", 6), ("collective", 2), ("unknown", 3)]
OPEN = [("new", 4), ("offered", 6), ("escalated", 5), ("assigned", 35), ("in_progress", 50)]
FINISHED = [("resolved", 55), ("referred", 20), ("closed", 25)]
PLACES = [("广东省", "深圳市"), ("广东省", "东莞市"), ("广东省", "广州市"), ("浙江省", "宁波市"),
          ("江苏省", "苏州市"), ("河南省", "郑州市"), ("四川省", "成都市"), ("北京市", "北京市")]
HOMES = ["河南省", "四川省", "湖南省", "安徽省", "贵州省", "江西省", "广西壮族自治区", "湖北省"]
TRADES = ["电子厂", "五金厂", "建筑公司", "制衣厂", "物流公司", "塑胶厂", "家具厂", "餐饮店"]
FIRMS = ["宏达", "鑫源", "华盛", "永兴", "富强", "金辉", "顺发", "立信", "德隆", "恒通", "新世纪"]
SUMMARIES = {"wages": "老板拖欠{n}个月工资", "injury": "车间受伤，老板不给报销医药费",
             "contract": "没签合同就被辞退了", "social_insurance": "公司{n}年没交社保",
             "other_legal": "想咨询一下劳动仲裁怎么申请", "collective": "全厂{n}十人被欠薪",
             "unknown": ""}


@dataclass
class Base:
    """What exists before the bulk data: offices, their volunteers and the logins."""

    organisations: list[int]
    volunteers: dict[int, list[int]]  # organisation id → its volunteers
    admin_user_id: int


@dataclass
class Counts:
    """Rows written per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        """Count n more rows of `table`."""
        self.rows[table] = self.rows.get(table, 0) + n


def sizes(scale: float) -> dict[str, int]:
    """Row targets at `scale` (1.0 = the real three-year centre); at least one of each."""
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["campaigns"] = max(4, min(FULL["campaigns"], round(FULL["campaigns"] * scale ** 0.5)))
    out["long_case_events"] = max(400, out["long_case_events"])  # always past one page
    return out


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    """A value drawn by weight."""
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def month_start(now: datetime, back: int) -> datetime:
    """The first instant (UTC) of the month `back` months before `now`'s."""
    index = now.year * 12 + now.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def case_time(rng: random.Random, now: datetime) -> datetime:
    """A creation time in the last 36 months, recent months busier (the centre grew)."""
    back = rng.choices(range(MONTHS), [1.6 - i / MONTHS for i in range(MONTHS)])[0]
    start, end = month_start(now, back), min(now, month_start(now, back - 1))
    return start + (end - start) * rng.random()


def table_of(model: Any) -> Table:
    """A model's table."""
    return cast(Table, model.__table__)


def next_id(conn: Connection, table: Table) -> int:
    """The first free id of `table` (bulk rows carry explicit ids)."""
    return int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def insert(conn: Connection, table: Table, rows: Iterator[dict[str, Any]],
           counts: Counts) -> None:
    """Insert rows: COPY on PostgreSQL, executemany in batches of BATCH on SQLite."""
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows, counts)
        return
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            counts.add(table.name, len(batch))
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        counts.add(table.name, len(batch))


def copy_rows(conn: Connection, table: Table, rows: Iterator[dict[str, Any]],
              counts: Counts) -> None:
    """COPY ... FROM STDIN in the connection's own transaction (psycopg 3)."""
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    written = 0
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in json_columns
                            else row[c] for c in columns])
            written += 1
    counts.add(table.name, written)


def generate(engine: Engine, base: Base, scale: float, seed: int = 17) -> Counts:
    """Write the three years at `scale` into a migrated database holding `base`."""
    rng, now, n, counts = random.Random(seed), datetime.now(UTC), sizes(scale), Counts()
    orgs = base.organisations
    org_weights = [len(orgs) * 2 - i for i in range(len(orgs))]  # one big office, smaller ones
    with engine.begin() as conn:
        first_contact = next_id(conn, table_of(Contact))
        workers = list(range(first_contact, first_contact + n["workers"]))
        imported = range(workers[-1] + 1, workers[-1] + 1 + n["imported"])
        insert(conn, table_of(Contact), contact_rows(rng, now, workers, imported), counts)
        insert(conn, table_of(ContactOrganisation), (
            {"contact_id": c, "organisation_id": orgs[c % len(orgs)]} for c in imported), counts)
        plan = CasePlan(rng, now, base, workers, n, org_weights, next_id(conn, table_of(Case)))
        insert(conn, table_of(Case), plan.cases(), counts)
        insert(conn, table_of(CaseOrganisation), plan.transfers(), counts)
        timeline = Timeline(rng, plan, next_id(conn, table_of(Message)),
                            next_id(conn, table_of(Call)), next_id(conn, table_of(CaseEvent)))
        insert(conn, table_of(Message), timeline.messages(), counts)
        insert(conn, table_of(Call), timeline.calls(), counts)
        insert(conn, table_of(Offer), plan.offers(), counts)
        insert(conn, table_of(CaseEvent), timeline.events(), counts)
        campaign_rows(conn, rng, now, base, list(imported), n, counts)
        insert(conn, table_of(AuditLog), audit_rows(rng, now, base, plan, n["audit"]), counts)
        if engine.dialect.name == "postgresql":
            for table in SERIAL_TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if engine.dialect.name == "postgresql":
        # The planner's statistics and visibility map, as autovacuum keeps them in production;
        # only this schema's tables (a bare VACUUM would visit every schema of the database).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM ANALYZE {', '.join(TABLES)}"))
    # SQLite is left unanalysed, as the hotline runs it: nothing there runs ANALYZE.
    return counts


def contact_rows(rng: random.Random, now: datetime, workers: list[int],
                 imported: range) -> Iterator[dict[str, Any]]:
    """Workers spread over three years; imports in a few batches; ~3 % opted out."""
    import_days = [now - timedelta(days=d) for d in (1000, 700, 400, 150)]
    for cid in [*workers, *imported]:
        created = case_time(rng, now) if cid <= workers[-1] else rng.choice(import_days)
        province, city = rng.choice(PLACES)
        opted = rng.random() < 0.03
        yield {"id": cid, "phone": f"+86139{cid:08d}", "name": None, "language": "zh",
               "home_province": rng.choice(HOMES), "work_province": province, "work_city": city,
               "created_at": created, "timezone": None, "last_contact_at": None,
               "opted_out_at": created + (now - created) * rng.random() if opted else None,
               "verified_at": None, "stale_at": None}


class CasePlan:
    """The cases, decided once, so messages, events and audit rows can point at them."""

    def __init__(self, rng: random.Random, now: datetime, base: Base, workers: list[int],
                 n: dict[str, int], org_weights: list[int], first_id: int) -> None:
        self.rng, self.now, self.base, self.n = rng, now, base, n
        self.rows: list[dict[str, Any]] = []
        employers = [f"{rng.choice(PLACES)[1][:-1]}{f}{t}" for f in FIRMS for t in TRADES]
        orgs = base.organisations
        for i in range(n["cases"]):
            created = case_time(rng, now)
            age = (now - created).days
            category = pick(rng, CATEGORIES)
            status = pick(rng, OPEN) if rng.random() < max(0.04, 1 - age / 90) \
                else pick(rng, FINISHED)
            org = rng.choices(orgs, org_weights)[0] if rng.random() < 0.97 else None
            held = status not in ("new", "offered", "escalated")
            volunteer = rng.choice(base.volunteers[org]) if held and org in base.volunteers \
                else None
            province, city = rng.choice(PLACES)
            finished = status in ("resolved", "referred", "closed")
            owed = Decimal(rng.randrange(2_000, 60_000)) if category in ("wages", "collective") \
                else None
            self.rows.append({
                "id": first_id + i, "number": first_id + i + CASE_NUMBER_OFFSET,
                "contact_id": rng.choice(workers), "category": category, "status": status,
                "urgency": "urgent" if category in ("injury", "collective") else "normal",
                "channel": "sms" if rng.random() < 0.7 else "voice", "language": "zh",
                "summary": SUMMARIES[category].format(n=rng.randint(2, 9)) or None,
                "employer": rng.choice(employers), "work_province": province,
                "work_city": city, "amount_owed": owed, "months_unpaid": None,
                "people_affected": rng.choice([1, 1, 1, 1, 2, 3, 5]) if category != "collective"
                else rng.randint(10, 80),
                "amount_recovered": (owed * Decimal(rng.choice([0, 0.5, 1]))).quantize(
                    Decimal("0.01")) if owed is not None and finished else None,
                "assigned_volunteer_id": volunteer, "created_at": created,
                "updated_at": created + timedelta(days=min(age, 20)),
                "closed_at": created + timedelta(days=min(age, 30)) if finished else None,
                "organisation_id": org, "origin_organisation_id": org,
                "employer_key": None, "collective_case_id": None,
                "last_activity_at": created + timedelta(days=min(age, rng.randint(0, 25))),
                "worker_contacted_at": created + timedelta(days=min(age, rng.randint(0, 40))),
                "reminded_at": None, "satisfaction": None, "details": {},
                "legal_reminders": {}, "people_approximate": False, "offer_round_base": 0,
                "triage_at": created if category == "unknown" and not finished else None,
                "survey_sent_at": None})
        # The long collective dispute: one case with thousands of timeline events.
        self.long_case = self.rows[-1]
        self.long_case.update(category="collective", status="in_progress", urgency="urgent",
                              people_affected=120, summary="全厂一百多人被欠薪三个月",
                              organisation_id=orgs[0], origin_organisation_id=orgs[0],
                              assigned_volunteer_id=base.volunteers[orgs[0]][0], closed_at=None)

    def cases(self) -> Iterator[dict[str, Any]]:
        """The case rows."""
        return iter(self.rows)

    def transfers(self) -> Iterator[dict[str, Any]]:
        """~5 % of cases were held by another office before (case_organisations)."""
        orgs = self.base.organisations
        for row in self.rows:
            if row["organisation_id"] is not None and self.rng.random() < 0.05 and len(orgs) > 1:
                other = self.rng.choice([o for o in orgs if o != row["organisation_id"]])
                yield {"case_id": row["id"], "organisation_id": other,
                       "added_at": row["created_at"] + timedelta(days=1)}

    def offers(self) -> Iterator[dict[str, Any]]:
        """A pending offer on each offered case (volunteers see those)."""
        for row in self.rows:
            volunteers = self.base.volunteers.get(row["organisation_id"])
            if row["status"] == "offered" and volunteers:
                yield {"case_id": row["id"], "volunteer_id": self.rng.choice(volunteers),
                       "status": "pending", "round": 1, "created_at": row["created_at"],
                       "expires_at": row["created_at"] + timedelta(minutes=10)}


class Timeline:
    """Texts, calls and timeline events of every case (~7.5 texts, ~15 events a case)."""

    def __init__(self, rng: random.Random, plan: CasePlan, first_message: int,
                 first_call: int, first_event: int) -> None:
        self.rng, self.plan = rng, plan
        self.next_message, self.next_call, self.first_event = first_message, first_call, \
            first_event
        self.links: dict[int, list[tuple[str, int, datetime]]] = {}

    def messages(self) -> Iterator[dict[str, Any]]:
        """Inbound texts from the worker and the hotline's replies, over the case's life."""
        rng = self.rng
        for case in self.plan.rows:
            count = rng.choice([3, 4, 6, 7, 8, 9, 12]) if case is not self.plan.long_case \
                else self.plan.n["long_case_events"]
            for k in range(count):
                inbound = k % 2 == 0
                at = self._when(case, k, count)
                mid, self.next_message = self.next_message, self.next_message + 1
                self.links.setdefault(case["id"], []).append(
                    ("message_in" if inbound else "reply", mid, at))
                yield {"id": mid, "direction": "in" if inbound else "out",
                       "purpose": "intake", "status": "received" if inbound else "delivered",
                       "provider_sid": f"SM{mid:032d}", "from_number": "+8610000000000",
                       "to_number": "+8610000000000", "body": "工资还没发" if inbound else "收到",
                       "media_urls": [], "segments": 1, "encoding": "UCS-2",
                       "contact_id": case["contact_id"], "case_id": case["id"],
                       "created_at": at, "updated_at": at}

    def calls(self) -> Iterator[dict[str, Any]]:
        """One call on three cases in ten."""
        for case in self.plan.rows:
            if case["channel"] == "voice":
                cid, self.next_call = self.next_call, self.next_call + 1
                at = case["created_at"]
                self.links.setdefault(case["id"], []).append(("call", cid, at))
                yield {"id": cid, "sid": f"CA{cid:032d}", "direction": "in",
                       "status": "completed", "from_number": "+8610000000000",
                       "to_number": "+8610000000000", "duration_s": 180,
                       "contact_id": case["contact_id"], "case_id": case["id"],
                       "created_at": at, "updated_at": at}

    def events(self) -> Iterator[dict[str, Any]]:
        """A line per text and call, routing and offers, status changes, notes, a survey."""
        event_id = self.first_event
        for case in self.plan.rows:
            rows = [self._link_event(case, kind, ref, at)
                    for kind, ref, at in self.links.get(case["id"], [])]
            rows += self._life(case)
            for row in sorted(rows, key=lambda r: r["at"]):
                row["id"] = event_id
                event_id += 1
                yield row

    def _when(self, case: dict[str, Any], k: int, count: int) -> datetime:
        span = min(self.plan.now - case["created_at"], timedelta(days=30))
        return case["created_at"] + span * (k / max(1, count))

    def _link_event(self, case: dict[str, Any], kind: str, ref: int, at: datetime
                    ) -> dict[str, Any]:
        row = self._event(case, kind, at, "worker" if kind != "reply" else "system",
                          "工资还没发" if kind == "message_in" else "收到")
        row["message_id" if kind != "call" else "call_id"] = ref
        return row

    def _life(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        at, status, rng = case["created_at"], case["status"], self.rng
        rows = [self._event(case, "routing", at, "system", "routing"),
                self._event(case, "offer", at, "system", "offered"),
                self._event(case, "offer_answer", at, "volunteer", "accepted")]
        path = ["new", "assigned", "in_progress"] if status not in ("new", "offered",
                                                                   "escalated") else ["new"]
        if status not in path:  # where the case is now, finished or not
            path.append(status)
        for step, (old, new) in enumerate(zip(path, path[1:], strict=False)):
            when = case["closed_at"] if new == case["status"] and case["closed_at"] \
                else at + timedelta(hours=step + 1)
            rows.append(self._event(case, "status", when, "system", f"{old} → {new}",
                                    {"from": old, "to": new}))
        rows.append(self._event(case, "note", at + timedelta(hours=2), "staff", "已电话联系工友"))
        if status in ("resolved", "closed") and rng.random() < 0.4:
            score = rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 30, 53])[0]
            rows.append(self._event(case, "survey", case["closed_at"] + timedelta(days=1),
                                    "worker", f"satisfaction {score}/5", {"satisfaction": score}))
        return rows

    @staticmethod
    def _event(case: dict[str, Any], kind: str, at: datetime, actor: str, words: str,
               data: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"case_id": case["id"], "at": at, "kind": kind, "actor": actor, "text": words,
                "data": data or {}, "message_id": None, "offer_id": None, "call_id": None}


def campaign_rows(conn: Connection, rng: random.Random, now: datetime, base: Base,
                  imported: list[int], n: dict[str, int], counts: Counts) -> None:
    """Campaigns (most done, a few live) and their recipients, drawn from imported contacts."""
    first = next_id(conn, table_of(Campaign))
    per = max(1, n["recipients"] // n["campaigns"])
    orgs = base.organisations
    campaigns = []
    for i in range(n["campaigns"]):
        org = orgs[i % len(orgs)] if i % 5 != 4 else None  # every fifth is the admins'
        status = "done" if i < n["campaigns"] - 3 else ["sending", "paused", "scheduled"][
            i - n["campaigns"] + 3]
        started = now - timedelta(days=(n["campaigns"] - i) * 25)
        campaigns.append({
            "id": first + i, "name": f"服务通知 {i + 1}", "kind": "broadcast", "status": status,
            "sender": "+8610000000000", "audience": {"organisation_id": org} if org else {},
            "organisation_id": org, "created_by": "admin", "created_at": started,
            "started_at": started, "materialized_at": started,
            "finished_at": started + timedelta(hours=6) if status == "done" else None,
            "timezones": ["Asia/Shanghai"], "rsvp_keywords": [], "footer": True,
            "default_language": "zh", "price_per_segment": Decimal("0.05"),
            "quiet_start": "21:00", "quiet_end": "08:00", "reply_window_hours": 72})
    insert(conn, table_of(Campaign), iter(campaigns), counts)
    statuses = [("delivered", 85), ("sent", 5), ("undelivered", 4), ("failed", 3),
                ("pending", 3)]

    def recipients() -> Iterator[dict[str, Any]]:
        for campaign in campaigns:
            live = campaign["status"] != "done"
            for contact in rng.sample(imported, min(per, len(imported))):
                status = pick(rng, statuses) if not live or rng.random() < 0.5 else "pending"
                yield {"campaign_id": campaign["id"], "contact_id": contact,
                       "phone": f"+86139{contact:08d}", "language": "zh",
                       "timezone": "Asia/Shanghai", "status": status, "attempts": 1,
                       "segments": 1, "updated_at": campaign["started_at"]}

    insert(conn, table_of(Recipient), recipients(), counts)
    # Each campaign's counters, as materialising and sending would have left them.
    tally = select(Recipient.campaign_id, *(
        func.sum(sql_case((Recipient.status == s, 1), else_=0)) for s in RecipientStatus)).where(
        Recipient.campaign_id.in_([c["id"] for c in campaigns])).group_by(Recipient.campaign_id)
    conn.execute(sa_insert(CampaignCounts).from_select(
        ["campaign_id", *(s.value for s in RecipientStatus)], tally))  # shard 0
    conn.execute(sa_insert(CampaignCounts), [
        {"campaign_id": c["id"], "shard": shard} for c in campaigns
        for shard in range(1, COUNT_SHARDS)])
    counts.add("campaign_counts", len(campaigns) * COUNT_SHARDS)


def audit_rows(rng: random.Random, now: datetime, base: Base, plan: CasePlan, total: int
               ) -> Iterator[dict[str, Any]]:
    """Reveals, exports and logins over three years."""
    for _ in range(total):
        case = rng.choice(plan.rows)
        action = rng.choices(["reveal_phone", "login", "export_report", "edit_case"],
                             [50, 35, 5, 10])[0]
        yield {"at": case_time(rng, now), "user_id": base.admin_user_id, "action": action,
               "case_id": case["id"] if action in ("reveal_phone", "edit_case") else None,
               "contact_id": None, "call_id": None, "ip": "127.0.0.1", "detail": None}
