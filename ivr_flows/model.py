"""The parsed, validated shape of a flow file (see the package docstring for the format)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

NODE_TYPES = ("say", "menu", "number", "date", "text", "record", "branch", "transfer", "end")
# Node types that wait for the worker's answer.
WAITING_TYPES = frozenset({"menu", "number", "date", "text", "record", "transfer"})
CHANNELS = ("voice", "sms")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Texts = dict[str, str]  # language -> text


@dataclass(frozen=True)
class Choice:
    """One option of a menu: a DTMF digit, its value, its words, where it leads."""

    key: str
    value: str
    label: Texts
    keywords: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    speech: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    goto: str | None = None
    urgent: bool = False
    # "That is not right": forget this run's answers (those read from the first text too)
    # and ask every question again.
    redo: bool = False


@dataclass(frozen=True)
class Node:
    """One step of a flow."""

    id: str
    type: str
    prompt: Texts = dataclasses.field(default_factory=dict)
    sms_prompt: Texts = dataclasses.field(default_factory=dict)  # overrides prompt on SMS
    next: str | None = None
    channels: tuple[str, ...] = CHANNELS
    field: str | None = None
    sms_field: str | None = None
    fallback: str | None = None
    choices: tuple[Choice, ...] = ()
    bilingual: bool = False
    min: float | None = None
    max: float | None = None
    max_seconds: int = 60
    on: str | None = None
    cases: dict[str, str] = dataclasses.field(default_factory=dict)
    default: str | None = None
    answered: str | None = None
    timeout: int = 20

    @property
    def waits(self) -> bool:
        """True when the node waits for the worker's answer."""
        return self.type in WAITING_TYPES

    def applies_to(self, channel: str) -> bool:
        """True when the node runs on `channel` (otherwise it is skipped to `next`)."""
        return channel in self.channels

    def answer_field(self, channel: str) -> str | None:
        """The field this node's answer lands in on `channel` (a record node's SMS text may
        go elsewhere: the voicemail question becomes a written summary)."""
        if channel == "sms" and self.sms_field:
            return self.sms_field
        return self.field

    def choice_for_key(self, key: str) -> Choice | None:
        """The menu choice with DTMF digit `key`."""
        return next((c for c in self.choices if c.key == key), None)

    def targets(self) -> list[str]:
        """Every node id this node can lead to."""
        found = [self.next, self.fallback, self.default, self.answered,
                 *(c.goto for c in self.choices), *self.cases.values()]
        return [t for t in found if t]


@dataclass(frozen=True)
class OfficeHours:
    """When the office answers the phone (a live transfer is offered only then)."""

    timezone: str = "Asia/Shanghai"
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    open: time = time(9, 0)
    close: time = time(21, 0)

    def is_open(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) falls within office hours."""
        local = now.astimezone(ZoneInfo(self.timezone))
        if self.open == self.close:  # "always": open round the clock on its days
            return local.weekday() in self.days
        return local.weekday() in self.days and self.open <= local.time() < self.close

    @classmethod
    def parse(cls, text: str, timezone: str = "Asia/Shanghai") -> OfficeHours:
        """Read "mon-sat 09:00-21:00", "mon,wed,fri 14:00-18:00" or "always"; ValueError else."""
        words = text.strip().lower().split()
        if words == ["always"]:
            return cls(timezone=timezone, days=tuple(range(7)), open=time(0), close=time(0))
        if len(words) != 2 or "-" not in words[1]:
            raise ValueError(f"office hours {text!r}: write e.g. 'mon-sat 09:00-21:00' or 'always'")
        days: list[int] = []
        for part in words[0].split(","):
            first, _, last = part.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise ValueError(f"office hours {text!r}: days are {', '.join(WEEKDAYS)}")
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            days.extend(d % 7 for d in range(start, end + 1 if end >= start else end + 8))
        opens, closes = (time.fromisoformat(x) for x in words[1].split("-", 1))
        return cls(timezone=timezone, days=tuple(sorted(set(days))), open=opens, close=closes)


@dataclass(frozen=True)
class Flow:
    """A whole flow: its nodes by id, languages and settings."""

    name: str
    path: str
    languages: tuple[str, ...]
    start: str
    nodes: dict[str, Node]
    max_retries: int = 2
    fallback: str | None = None
    office_hours: OfficeHours = dataclasses.field(default_factory=OfficeHours)

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError names it when missing)."""
        return self.nodes[node_id]

    def fallback_for(self, node: Node) -> str | None:
        """Where a worker goes after too many failed answers at `node`."""
        if node.fallback:
            return node.fallback
        if node.type in ("menu", "number") and self.fallback and self.fallback != node.id:
            return self.fallback
        return node.next
