"""The case timeline as a conversation: the worker on one side, the hotline's people on the
other, every system event one line, and the intake questions folded into one line (their
answers are the summary card).

One page of events is read newest first (PAGE_EVENTS, then "earlier"), with its messages,
calls and the people named on it in three batch queries: no query per event.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.web.event_text import event_text
from hotline.web.i18n import current_language, status_name
from hotline.web.i18n import gettext as _
from models import Call, Case, CaseEvent, EventKind, Message, User, Volunteer

PAGE_EVENTS = 300
SYSTEM_RUN = 3  # this many system lines in a row or more fold into one "N events" line
RELAY = re.compile(r"(?P<who>volunteer|staff) → worker: (?P<text>.*)", re.DOTALL)
MEDIA = re.compile(r" \[\+\d+ media\]$")
STATUS_CODE = re.compile(r"\bin_progress\b")
SEGMENTS = re.compile(r"(\d+) segment\(s\)")


@dataclass
class ChatItem:
    """One thing on the conversation: a bubble, a note, a system line or a folded group."""

    side: str  # "worker", "us" (volunteer, staff, hotline), "note", "system", "intake", "run"
    at: datetime
    who: str
    text: str = ""
    event: CaseEvent | None = None
    message: Message | None = None
    call: Call | None = None
    status: str = ""
    auto: bool = False  # the hotline's automatic reply, not a person's words
    reply: str = ""  # the automatic reply a worker's text got, shown under it
    items: list[ChatItem] = field(default_factory=list)


@dataclass
class Conversation:
    """A page of the conversation, oldest first, and where the earlier page starts."""

    items: list[ChatItem]
    earlier: int | None  # the event id to read before, when there are older events
    worker_texts: set[str]


class Names:
    """Actors in words: 工友, 志愿者 张三, 工作人员 李四, 系统 (never 'volunteer:1')."""

    def __init__(self, session: Session, actors: set[str]) -> None:
        vol_ids = {int(a.split(":", 1)[1]) for a in actors
                   if a.startswith("volunteer:") and a.split(":", 1)[1].isdigit()}
        usernames = {a.split(":", 1)[1] for a in actors if a.startswith("user:")}
        self.volunteers = {v.id: v.name for v in session.scalars(
            select(Volunteer).where(Volunteer.id.in_(vol_ids)))} if vol_ids else {}
        self.users = {u.username: u.display_name or u.username for u in session.scalars(
            select(User).where(User.username.in_(usernames)))} if usernames else {}

    def __call__(self, actor: str) -> str:
        kind, _sep, key = (actor or "system").partition(":")
        if kind == "worker":
            return _("Worker")
        if kind == "volunteer":
            name = self.volunteers.get(int(key)) if key.isdigit() else None
            return _("Volunteer %(name)s", name=name) if name else _("Volunteer")
        if kind == "user":
            return _("Staff %(name)s", name=self.users.get(key, key))
        return _("System")


def load_page(session: Session, case: Case, before: int | None) -> tuple[list[CaseEvent], bool]:
    """The newest PAGE_EVENTS events (older than `before`), oldest first; and whether more."""
    query = case.events.select()
    if before:
        query = query.where(CaseEvent.id < before)
    newest_first = query.order_by(None).order_by(CaseEvent.id.desc())  # not the relation's
    rows = list(session.scalars(newest_first.limit(PAGE_EVENTS + 1)))
    more = len(rows) > PAGE_EVENTS
    return list(reversed(rows[:PAGE_EVENTS])), more


def related(session: Session, events: list[CaseEvent]) -> tuple[dict[int, Message],
                                                                   dict[int, Call]]:
    """The messages (also those a relay note lists) and calls of a page, in two queries."""
    ids: set[int] = set()
    for e in events:
        ids.update([e.message_id] if e.message_id else [])
        ids.update(i for i in (e.data or {}).get("message_ids") or [] if isinstance(i, int))
    call_ids = {e.call_id for e in events if e.call_id}
    messages = {m.id: m for m in session.scalars(
        select(Message).where(Message.id.in_(ids)))} if ids else {}
    calls = {c.id: c for c in session.scalars(
        select(Call).where(Call.id.in_(call_ids)))} if call_ids else {}
    return messages, calls


def is_intake_note(e: CaseEvent) -> bool:
    """An intake answer (or a question asked again): shown by the summary card instead."""
    data = e.data or {}
    return e.kind == EventKind.NOTE and bool(data.get("flow")) and (
        "status" not in data or data.get("status") == "done")


def by_phone(e: CaseEvent) -> bool:
    """An intake note written during a phone call."""
    return str(e.text).startswith("intake (voice)") or e.text == "intake finished by phone"


def intake_events(events: list[CaseEvent]) -> set[int]:
    """The ids of the intake questions and answers: a worker's text answering a question,
    the hotline's question replies around it, and the notes of the answers.

    A turn is a worker's text and what followed it; a turn holding an intake note was an
    answer, and the reply that asked the question before it belongs to the intake too. The
    worker's first text (their own description of the problem) always stays in the chat.
    """
    turns: list[list[CaseEvent]] = [[]]
    for e in events:
        if e.kind == EventKind.MESSAGE_IN and e.actor == "worker":
            turns.append([])
        turns[-1].append(e)
    first_worker = next((e.id for e in events
                         if e.kind == EventKind.MESSAGE_IN and e.actor == "worker"), None)
    folded: set[int] = set()
    for i, turn in enumerate(turns):
        # Answers given on a phone call do not make the text before the call an answer.
        if not any(is_intake_note(e) and not by_phone(e) for e in turn):
            folded.update(e.id for e in turn if is_intake_note(e))
            continue
        folded.update(e.id for e in turn if e.id != first_worker and e.kind in (
            EventKind.MESSAGE_IN, EventKind.REPLY) or is_intake_note(e))
        if i > 0:  # the question this turn answered
            folded.update(e.id for e in turns[i - 1] if e.kind == EventKind.REPLY)
    # The closing reply of a finished intake ("registered, case 1024") ends the same exchange.
    for i, e in enumerate(events):
        data = e.data or {}
        if e.kind == EventKind.NOTE and data.get("flow") and data.get("status") \
                and i + 1 < len(events) and events[i + 1].kind == EventKind.REPLY:
            folded.add(events[i + 1].id)
    return folded


def restore_punctuation(events: list[CaseEvent]) -> dict[int, str]:
    """Relay notes written from a volunteer's SMS command before its text kept the
    volunteer's own punctuation ('，' came out as ','): their text from the SMS as sent."""
    restored: dict[int, str] = {}
    for i, e in enumerate(events):
        if e.kind != EventKind.MESSAGE_IN or (e.data or {}).get("command") != "relay":
            continue
        for note in reversed(events[max(0, i - 6):i]):
            match = RELAY.fullmatch(note.text or "")
            if note.kind == EventKind.MESSAGE_OUT and note.actor == e.actor and match:
                original = original_rest(e.text or "", match["text"])
                if original:
                    restored[note.id] = original
                break
    return restored


def original_rest(body: str, folded: str) -> str | None:
    """The end of `body` whose NFKC form is `folded` (the command's text as written)."""
    body = body.strip()
    for start in range(len(body)):
        if unicodedata.normalize("NFKC", body[start:]).strip() == folded.strip():
            return body[start:].strip()
    return None


def system_item(e: CaseEvent, who: str, call: Call | None, message: Message | None = None
                ) -> ChatItem:
    """A one-line system event (status change, offer, routing, call, delivery note)."""
    text = strip_sids(event_text(e))
    if current_language() != "zh":  # English keeps the stored text; a status reads as words
        text = STATUS_CODE.sub(lambda m: status_name(m.group(0)), text)
        text = SEGMENTS.sub(lambda m: f"{m.group(1)} SMS", text)
    status = status_name(message.status) if message is not None and \
        e.kind == EventKind.MESSAGE_OUT else ""
    return ChatItem("system", e.at, who, text, event=e, call=call, status=status)


SID = re.compile(r"\s*[,，]?\s*\b(?:SM|MM|CA|RE)[0-9a-fA-F]{32}\b")


VOLUNTEER_ID = re.compile(r"\s?[(（]#\d+[)）]")


def strip_sids(text: str) -> str:
    """A provider's message or call id, or a volunteer's row id ('李律师 (#3)'), is no use to
    a person reading the case."""
    text = VOLUNTEER_ID.sub("", SID.sub("", text))
    return text.replace("（）", "").replace("()", "")


# Routing internals (who else was offered the case, their scores, the offer texts sent to
# their phones) are staff's business: a volunteer reading a case sees the worker, not the
# other volunteers.
ROUTING_KINDS = frozenset({EventKind.OFFER, EventKind.OFFER_ANSWER, EventKind.ROUTING})


def for_volunteer(e: CaseEvent, message: Message | None, volunteer_id: int) -> bool:
    """Whether a volunteer reading the case sees this event (an urgency flag, yes; routing and
    texts to other volunteers' phones, no)."""
    if e.kind in ROUTING_KINDS:
        return e.kind == EventKind.ROUTING and bool((e.data or {}).get("urgent"))
    return message is None or message.volunteer_id in (None, volunteer_id)


def conversation(session: Session, case: Case, before: int | None = None,
                 transcript: bool = False, volunteer_id: int | None = None) -> Conversation:
    """A page of the case as a conversation (or, `transcript`, just its intake exchange);
    `volunteer_id` reads it as that volunteer, without the routing behind it."""
    events, more = load_page(session, case, before)
    messages, calls = related(session, events)
    names = Names(session, {e.actor for e in events})
    folded = intake_events(events)
    restored = restore_punctuation(events)
    relay_messages = {i for e in events if RELAY.fullmatch(e.text or "")
                      for i in (e.data or {}).get("message_ids") or []}
    items: list[ChatItem] = []
    intake: ChatItem | None = None
    worker_texts: set[str] = set()
    for e in events:
        message = messages.get(e.message_id or 0)
        if volunteer_id is not None and not for_volunteer(e, message, volunteer_id):
            continue
        who = names(e.actor)
        if e.id in folded:
            item = bubble(e, message, who)
            if transcript and item is not None:
                items.append(item)
            elif intake is None and item is not None:
                # Until the flow notes it ended, the worker is still being asked.
                ended = any((x.data or {}).get("flow") and (x.data or {}).get("status")
                            for x in events if x.kind == EventKind.NOTE)
                intake = ChatItem("intake", e.at, _("System"), items=[item],
                                  status="" if ended else "unfinished")
                items.append(intake)
            elif intake is not None and item is not None:
                intake.items.append(item)
            continue
        if transcript:
            continue
        if e.kind == EventKind.MESSAGE_IN and e.actor == "worker":
            item = bubble(e, message, who)
            assert item is not None
            worker_texts.add(item.text)
            items.append(item)
        elif e.kind == EventKind.MESSAGE_IN:
            if (e.data or {}).get("command") != "relay":  # a relayed text is its own bubble
                items.append(ChatItem("system", e.at, who, _("texted the hotline: %(text)s",
                                                              text=e.text), event=e))
        elif e.kind == EventKind.REPLY:
            last = items[-1] if items else None
            if last is not None and last.side == "worker" and last.message is not None \
                    and last.message.id == e.message_id and not last.reply:
                last.reply = e.text  # the hotline's receipt, under the text it answered
            else:
                items.append(ChatItem("us", e.at, _("Hotline"), e.text, event=e, auto=True))
        elif e.kind == EventKind.MESSAGE_OUT and str(e.text).startswith("forwarded to volunteer"):
            last = next((i for i in reversed(items) if i.side == "worker"), None)
            if last is not None:  # the worker's text reached the volunteer's phone
                last.status = _("forwarded to the volunteer's phone")
            else:
                items.append(system_item(e, who, None))
        elif (match := RELAY.fullmatch(e.text or "")) and e.kind == EventKind.MESSAGE_OUT:
            sent = [messages[i] for i in (e.data or {}).get("message_ids") or []
                    if i in messages]
            items.append(ChatItem("us", e.at, who, restored.get(e.id, match["text"]), event=e,
                                  message=sent[0] if sent else None,
                                  status=status_name(sent[0].status) if sent else ""))
        elif e.kind == EventKind.MESSAGE_OUT and e.message_id in relay_messages \
                and not str(e.text).startswith(("not sent", "send failed")):
            continue  # its delivery is the relayed bubble's status
        elif e.kind == EventKind.NOTE and not (e.data or {}):
            items.append(ChatItem("note", e.at, who, e.text, event=e))
        else:
            items.append(system_item(e, who, calls.get(e.call_id or 0), message))
    return Conversation(fold_runs(items), events[0].id if more and events else None,
                        worker_texts)


def bubble(e: CaseEvent, message: Message | None, who: str) -> ChatItem | None:
    """A worker's text or the hotline's reply as a bubble (intake notes make none)."""
    if e.kind == EventKind.MESSAGE_IN:
        text = message.body if message is not None and message.body else MEDIA.sub("", e.text)
        return ChatItem("worker", e.at, who, text, event=e, message=message)
    if e.kind == EventKind.REPLY:
        return ChatItem("us", e.at, _("Hotline"), e.text, event=e, auto=True)
    return None


def fold_runs(items: list[ChatItem]) -> list[ChatItem]:
    """Runs of SYSTEM_RUN or more system lines become one foldable line."""
    out: list[ChatItem] = []
    run: list[ChatItem] = []
    for item in [*items, None]:
        if item is not None and item.side == "system" and not wants_button(item):
            run.append(item)
            continue
        if len(run) >= SYSTEM_RUN:
            out.append(ChatItem("run", run[-1].at, "", items=run))
        else:
            out.extend(run)
        run = []
        if item is not None:
            out.append(item)
    return out


def wants_button(item: ChatItem) -> bool:
    """A call line with a recording stays on its own: its play button must be in sight."""
    data: dict[str, Any] = (item.event.data or {}) if item.event is not None else {}
    return bool(item.call and item.call.recording_url) or bool(data.get("recording_url"))
