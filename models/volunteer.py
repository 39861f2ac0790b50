"""Volunteer responders, their weekly shifts, and the offers of cases made to them."""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, DbNow, object_now, str_enum

DEFAULT_TIMEZONE = "Asia/Shanghai"
# Spoken varieties by the names people write; the canonical key is what routing compares.
DIALECT_ALIASES = {
    "henan": "henan", "河南话": "henan", "河南": "henan", "豫语": "henan",
    "jiangxi": "jiangxi", "江西话": "jiangxi", "江西": "jiangxi", "赣语": "jiangxi",
    "cantonese": "cantonese", "粤语": "cantonese", "广东话": "cantonese", "白话": "cantonese",
    "sichuan": "sichuan", "四川话": "sichuan", "川话": "sichuan",
    "hunan": "hunan", "湖南话": "hunan", "湘语": "hunan",
    "hakka": "hakka", "客家话": "hakka", "minnan": "minnan", "闽南话": "minnan",
    "闽南语": "minnan", "hokkien": "minnan", "guizhou": "guizhou", "贵州话": "guizhou",
    "anhui": "anhui", "安徽话": "anhui", "shandong": "shandong", "山东话": "shandong",
}
# Each canonical variety by its first Chinese name above (henan → 河南话): how a form shows it.
DIALECT_NAMES = {key: next(name for name, k in DIALECT_ALIASES.items()
                           if k == key and not name.isascii())
                 for key in dict.fromkeys(DIALECT_ALIASES.values())}
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
        "monday": 0, "tues": 1, "tuesday": 1, "wednesday": 2, "thur": 3, "thurs": 3,
        "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
        "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
# Words for several days at once, read whole (周末 is not 周 + 末).
DAY_GROUPS = {**dict.fromkeys(("daily", "every", "everyday", "每天", "每日", "天天"),
                              list(range(7))),
              **dict.fromkeys(("weekdays", "工作日"), [0, 1, 2, 3, 4]),
              **dict.fromkeys(("weekend", "weekends", "周末", "週末"), [5, 6])}
# How a Chinese day name begins: 周一, 週一, 星期一, 礼拜一.
DAY_PREFIX = re.compile(r"^(?:周|週|星期|礼拜|禮拜)")
# A clock time as typed: 9:00, 09:00, 9点, 9点半, 9点30(分).
CLOCK = r"\d{1,2}(?::\d{2}|点(?:半|\d{1,2}分?)?)"
SHIFT = re.compile(rf"^(?P<days>.*?\S)\s*(?P<start>{CLOCK})\s*(?:-|至|到|\bto\b)\s*"
                   rf"(?P<end>{CLOCK})$")
# Dashes and tildes typed between two days or two times, which NFKC leaves as they are.
DASHES = re.compile(r"[‐‑‒–—―−~〜〰]")
# Between two shifts: ; (and ； once NFKC'd), a new line, or right after a time a comma, a 、
# or a space that no second time follows ('mon-fri 09:00-18:00 sat 10:00-14:00').
SHIFT_SEPARATOR = re.compile(r"[;\n]|(?<=[\d点半分])(?:\s*[,、]\s*|\s+(?![\d\s\-至到]|to\b))")
DAY_RANGE = re.compile(r"\s*(?:-|至|到|\bto\b|\bthrough\b|\bthru\b)\s*")
DAY_LIST = re.compile(r"\s*(?:,|、|/|&|和|及|与|\band\b)\s*|\s+")


def canonical_dialect(name: str) -> str:
    """'河南话' and 'Henan' both become 'henan'; unknown names are kept, lower-cased."""
    key = unicodedata.normalize("NFKC", name).strip().lower()
    return DIALECT_ALIASES.get(key, key)


def dialect_name(key: str) -> str:
    """A canonical dialect as people write it ('henan' → '河南话'); another name as it is."""
    return DIALECT_NAMES.get(key, key)


def check_timezone(name: str) -> str:
    """Return `name` if it is an IANA time zone, else raise ValueError naming it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use e.g. Asia/Shanghai)") from exc
    return name


def _day(word: str) -> int | None:
    """One day's name (mon, Monday, 周一, 星期天) as 0-6 (Monday first), or None."""
    return DAYS.get(DAY_PREFIX.sub("", word))


def _days(text: str) -> list[int]:
    """The days of a shift: 'mon-fri', 'sat,sun', '周一至周五', '周六、周日', '周一三五',
    'Monday to Friday', '每天', '工作日', '周末'."""
    text = DAY_RANGE.sub("-", text.lower().strip())
    if re.sub(r"\s+", "", text) in DAY_GROUPS:
        return DAY_GROUPS[re.sub(r"\s+", "", text)]
    days: set[int] = set()
    for part in filter(None, DAY_LIST.split(text)):
        if part in DAY_GROUPS:
            days.update(DAY_GROUPS[part])
            continue
        first, _, last = part.partition("-")
        a, b = _day(first), _day(last or first)
        if a is not None and b is not None:
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
            continue
        several = DAY_PREFIX.sub("", part)  # 周一三五, 周六日: one character a day
        if not last and len(several) > 1 and all(c in DAYS for c in several):
            days.update(DAYS[c] for c in several)
            continue
        bad = first if a is None else last
        raise ValueError(f"unknown day {bad!r} (use mon..sun or 周一..周日)")
    return sorted(days)


def _hhmm(clock: str) -> str:
    """9:00, 9点, 9点半, 9点30分 as '09:00', '09:30'."""
    hour, _, minute = clock.replace("点", ":").replace("半", "30").rstrip("分").partition(":")
    return f"{int(hour):02d}:{int(minute or 0):02d}"


def parse_shifts(text: str) -> list[dict[str, Any]]:
    """Weekly shifts as typed into the form, the CSV or the CLI, as shift dicts ('' = none):
    'mon-fri 09:00-18:00; sat 10:00-14:00', '周一至周五 9:00-18:00；周六 10点-14点',
    '星期六 10:00–14:00', full-width '９：００－１８：００'. The one reader of shift text."""
    shifts: list[dict[str, Any]] = []
    plain = DASHES.sub("-", unicodedata.normalize("NFKC", text or ""))
    for raw in SHIFT_SEPARATOR.split(plain):
        if not raw.strip():
            continue
        match = SHIFT.match(raw.strip())
        if match is None:
            raise ValueError(f"shift {raw.strip()!r} is not like 'mon-fri 09:00-18:00'")
        start, end = _hhmm(match["start"]), _hhmm(match["end"])
        for hhmm in (start, end):
            hour, minute = map(int, hhmm.split(":"))
            if hour > 24 or minute > 59 or (hour == 24 and minute):
                raise ValueError(f"bad time {hhmm!r} in shift {raw.strip()!r}")
        shifts.append({"days": _days(match["days"]), "start": start, "end": end})
    return shifts


def _clock(hhmm: str) -> time:
    hour, minute = map(int, hhmm.split(":"))
    return time.max if hour == 24 else time(hour, minute)


def reply_language_of(languages: list[str] | None) -> str:
    """The language the hotline texts a volunteer in: their first language, if English."""
    return "en" if (languages or ["zh"])[0] == "en" else "zh"


def shifts_cover(shifts: list[dict[str, Any]] | None, timezone: str | None, now: datetime
                 ) -> bool:
    """True if `now` falls in one of these weekly shifts, read in `timezone` (always true with
    no shifts): the one rule for a volunteer row and for routing's plain-column candidates."""
    if not shifts:
        return True
    local = now.astimezone(ZoneInfo(timezone or DEFAULT_TIMEZONE))
    for shift in shifts:
        start, end = _clock(shift["start"]), _clock(shift["end"])
        if start <= end:
            if local.weekday() in shift["days"] and start <= local.time() < end:
                return True
        # An overnight shift (22:00-06:00) runs into the next morning.
        elif (local.weekday() in shift["days"] and local.time() >= start) or (
                (local.weekday() - 1) % 7 in shift["days"] and local.time() < end):
            return True
    return False


class Volunteer(Base):
    """A lawyer, social worker or fellow townsperson who answers cases on their own phone."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    languages: Mapped[list[str]] = mapped_column(default=list)  # case languages: "zh", "en"
    dialects: Mapped[list[str]] = mapped_column(default=list)  # canonical: "henan", "cantonese"
    skills: Mapped[list[str]] = mapped_column(default=list)  # CaseCategory values
    regions: Mapped[list[str]] = mapped_column(default=list)  # provinces/cities served
    home_province: Mapped[str | None] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(default=3)
    # Weekly shifts in the volunteer's own time zone; empty = any time while on duty.
    shifts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(40), default=DEFAULT_TIMEZONE)
    on_duty: Mapped[bool] = mapped_column(default=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    last_offered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=DbNow())

    @property
    def reply_language(self) -> str:
        """The language the hotline texts this volunteer in."""
        return reply_language_of(self.languages)

    def in_shift(self, now: datetime) -> bool:
        """True if `now` falls in one of the weekly shifts (always true with no shifts)."""
        return shifts_cover(self.shifts, self.timezone, now)

    def available(self, now: datetime) -> bool:
        """On duty (ON/OFF by SMS) and inside a weekly shift."""
        return self.on_duty and self.in_shift(now)


class OfferStatus(enum.StrEnum):
    """State of one offer of a case to one volunteer. `Offer.answer` is the only writer.

        PENDING ──► ACCEPTED
           ├──────► DECLINED
           ├──────► EXPIRED    (not answered in time)
           └──────► WITHDRAWN  (someone else accepted first, or staff took it back)
    """

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Offer(Base):
    """A case offered to a volunteer by SMS; at most one per (case, volunteer)."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("case_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus),
                                                default=OfferStatus.PENDING)
    # Which routing attempt made it: urgent cases offer one round to several volunteers.
    round: Mapped[int] = mapped_column(default=1)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]

    volunteer: Mapped[Volunteer] = relationship()  # not joined: offers are locked FOR UPDATE

    def answer(self, new: OfferStatus, now: datetime | None = None) -> None:
        """Close a pending offer; answering a closed offer is an error."""
        if self.status != OfferStatus.PENDING or new == OfferStatus.PENDING:
            raise ValueError(f"offer {self.id} is {self.status}, cannot become {new}")
        self.status = new
        self.answered_at = now or object_now(self)
