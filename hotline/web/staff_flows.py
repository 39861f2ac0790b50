"""Staff console: a read-only view of each intake flow as a tree, with `flows check` results.

The page is for staff, not for whoever edits the flow file: every step says in words what kind
of step it is, what the worker hears or reads (in the reader's language, placeholders named as
the case fields they show), where it runs, what it records, and each way on from it (a menu
choice by its digit and label, a branch case as a condition). Node ids stay in anchors and
`title` attributes for the file's editor; the `flows check` problems keep their `file:line`
form (they are addressed to that editor).
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

from hotline.translations import locale_of
from hotline.web.i18n import NP_, hours_text, language_name, pgettext, ui_locale
from hotline.web.i18n import gettext as _
from hotline.web.staff_volunteers import staff_or_404
from ivr_flows import loader
from ivr_flows.engine import choice_value, sentence_gap
from ivr_flows.model import CHANNELS, Choice, Flow, Node, OfficeHours
from ivr_flows.sms import REPLY_WITH, engine_words

bp = Blueprint("staff_flows", __name__, url_prefix="/staff/flows")
bp.before_request(staff_or_404)

CONTEXT = "flow page"
# What kind of step a node is, as staff say it.
KINDS = {
    "say": NP_("flow page", "Tells the worker"),
    "menu": NP_("flow page", "Asks to choose"),
    "number": NP_("flow page", "Asks for a number"),
    "date": NP_("flow page", "Asks for a date"),
    "text": NP_("flow page", "Asks in the worker's own words"),
    "record": NP_("flow page", "Records a message"),
    "branch": NP_("flow page", "Decides on its own"),
    "transfer": NP_("flow page", "Puts the call through to a volunteer"),
    "end": NP_("flow page", "Ends"),
}
UNKNOWN_KIND = NP_("flow page", "Step of an unknown kind")
# Where a step runs, when not everywhere.
ONLY_ON = {"voice": NP_("flow page", "only on the phone"),
           "sms": NP_("flow page", "only by SMS")}
# TRANSLATORS: a placeholder of a prompt (the worker's case number, an answer), named by its field.
SLOT = NP_("flow page", "[%(name)s]")
# TRANSLATORS: the case field a step's answer is written to.
SAVES = NP_("flow page", "Recorded as: %(field)s")
# TRANSLATORS: a step that records a voicemail on the phone takes a written answer by SMS.
SAVES_SMS = NP_("flow page", "by SMS: %(field)s")
# TRANSLATORS: the SMS wording of a step, when it differs from the phone's.
BY_SMS = NP_("flow page", "By SMS:")
# Menu choices: the digit pressed on the phone, or replied by SMS.
PRESS = NP_("flow page", "Press %(key)s: %(label)s")
REPLY = NP_("flow page", "Reply %(key)s: %(label)s")
PRESS_OR_REPLY = NP_("flow page", "Press or reply %(key)s: %(label)s")
URGENT = NP_("flow page", "urgent")
REDO = NP_("flow page", "(forgets the answers and asks them all again)")
# A branch: what it looks at, and each case.
QUESTIONS = {
    "office_hours": NP_("flow page", "Is it office hours now?"),
    "volunteer_available": NP_("flow page", "Can a volunteer take the call now?"),
    "returning": NP_("flow page", "Is the caller's case already registered?"),
    "home_known": NP_("flow page", "Is the worker's hometown already known?"),
    "urgent": NP_("flow page", "Is the case urgent?"),
}
# TRANSLATORS: a branch that looks at one of the worker's answers.
ANSWER_QUESTION = NP_("flow page", "What did the worker answer for %(field)s?")
CONDITIONS = {
    ("office_hours", "true"): NP_("flow page", "During office hours (%(hours)s)"),
    ("office_hours", "false"): NP_("flow page", "Outside office hours"),
    ("volunteer_available", "true"): NP_("flow page", "A volunteer can take the call"),
    ("volunteer_available", "false"): NP_("flow page", "No volunteer can take the call"),
    ("returning", "true"): NP_("flow page", "A worker whose case is already registered"),
    ("returning", "false"): NP_("flow page", "A new worker"),
    ("home_known", "true"): NP_("flow page", "Hometown already known"),
    ("home_known", "false"): NP_("flow page", "Hometown not known yet"),
    ("urgent", "true"): NP_("flow page", "Urgent"),
    ("urgent", "false"): NP_("flow page", "Not urgent"),
}
# TRANSLATORS: a branch case: the worker's answer to one question was this choice.
ANSWER_IS = NP_("flow page", "If %(field)s is “%(answer)s”")
# The other ways on from a step.
THEN = NP_("flow page", "Then")
OTHERWISE = NP_("flow page", "Otherwise")
# TRANSLATORS: a menu's way on for the choices that do not lead elsewhere themselves.
AFTER_ANSWER = NP_("flow page", "After answering “%(labels)s”")
# TRANSLATORS: joins two choice labels in "After answering “…”".
OR = NP_("flow page", "” or “")
SKIPPED = {"voice": NP_("flow page", "By SMS (this step is only on the phone)"),
           "sms": NP_("flow page", "On the phone (this step is only by SMS)")}
# TRANSLATORS: a transfer's way on when a volunteer picked up: the call has ended.
ANSWERED = NP_("flow page", "After the volunteer answered and the call ended")
NOT_ANSWERED = NP_("flow page", "Nobody answered within %(n)s seconds")
# TRANSLATORS: a step's way on when the worker's answer is still not understood.
FALLBACK = NP_("flow page", "Still not understood after asking %(n)s more times")
STEP_NOT_FOUND = NP_("flow page", "this step is missing from the file")
NO_TEXT = NP_("flow page", "(no text in this language; shown in %(language)s)")
# TRANSLATORS: between two items of a list of names ("Chinese, English").
NAMES_SEPARATOR = NP_("flow page", ", ")
# TRANSLATORS: between two conditions leading to the same step ("No volunteer…; Otherwise").
EDGE_SEPARATOR = NP_("flow page", "; ")
# TRANSLATORS: between two facts about a step.
LIST_SEPARATOR = NP_("flow page", " · ")
# TRANSLATORS: between a step's kind and its first words ("Asks to choose: What is…").
COLON = NP_("flow page", ": ")


@dataclass(frozen=True)
class Exit:
    """One way out of a node as the file writes it: a menu choice's goto, a branch case, or
    one of its named ways on (answered, default, next, fallback)."""

    kind: str  # "choice" | "case" | "answered" | "default" | "next" | "fallback"
    target: str
    choice: Choice | None = None
    value: str = ""  # a branch case's value


@dataclass(frozen=True)
class Edge:
    """The ways out of one node that lead to the same step, drawn as one."""

    source: str  # the node it leaves
    target: str
    exits: tuple[Exit, ...]

    @property
    def weight(self) -> int:
        """How far off the usual way it is: a fallback or a default is taken less often."""
        return min(WEIGHTS.get(e.kind, 1) for e in self.exits)


WEIGHTS = {"default": 2, "fallback": 5}


@dataclass(frozen=True)
class TreeRow:
    """One line of the tree: a node reached through an edge, at a depth; repeats link to where
    the node is drawn (above, or below where a shorter way reaches it)."""

    depth: int
    edge: Edge | None  # how we got here; None for the start
    node_id: str
    node: Node | None  # None: the edge points at a node that does not exist
    repeat: bool  # drawn elsewhere: shown as a link, not expanded again
    ahead: bool = False  # a repeat whose node is drawn further down


@dataclass
class Way:
    """A way through the tree as drawn: how it is entered (None at the start), the steps that
    follow one another on it, and the ways out of its last step when it has several."""

    edge: Edge | None
    steps: list[TreeRow] = dataclasses.field(default_factory=list)
    ways: list[Way] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class FlowView:
    """A flow file as shown: its tree, nodes not reachable from start, and its problems."""

    filename: str
    flow: Flow | None
    rows: list[TreeRow]
    unreachable: list[Node]
    problems: list[str]

    @property
    def tree(self) -> Way:
        """The rows nested as they are drawn."""
        return nest(self.rows)


def exits(node: Node) -> list[Exit]:
    """Every way out of `node`, in a reading order."""
    out = [Exit("choice", c.goto, choice=c) for c in node.choices if c.goto]
    out += [Exit("case", target, value=value) for value, target in node.cases.items()]
    out += [Exit(kind, target) for kind, target in (
        ("answered", node.answered), ("default", node.default), ("next", node.next),
        ("fallback", node.fallback)) if target]
    return out


def edges(node: Node) -> list[Edge]:
    """The ways out of `node`, those to the same step drawn as one, in a reading order."""
    by_target: dict[str, list[Exit]] = {}
    for exit_ in exits(node):
        by_target.setdefault(exit_.target, []).append(exit_)
    return [Edge(node.id, target, tuple(found)) for target, found in by_target.items()]


def distances(flow: Flow) -> dict[str, int]:
    """How far the usual way from the start is to each node (a fallback counts as longer)."""
    found = {flow.start: 0}
    todo = [(0, flow.start)]
    while todo:
        todo.sort(reverse=True)
        far, node_id = todo.pop()
        if far > found.get(node_id, far):
            continue
        node = flow.nodes.get(node_id)
        for edge in edges(node) if node else []:
            if far + edge.weight < found.get(edge.target, far + edge.weight + 1):
                found[edge.target] = far + edge.weight
                todo.append((far + edge.weight, edge.target))
    return found


def tree_rows(flow: Flow) -> list[TreeRow]:
    """The flow depth-first from its start node; each node expanded once, where the shortest
    way from the start reaches it (a new worker's questions are not drawn inside a returning
    caller's "go through it again"). A step with one way on is followed at the same depth (a
    sequence reads down the page); only the ways out of a step that has several are indented."""
    rows: list[TreeRow] = []
    seen: set[str] = set()
    shortest = distances(flow)
    stack: list[tuple[int, Edge | None, str, int]] = [(0, None, flow.start, 0)]
    while stack:
        depth, edge, node_id, far = stack.pop()
        node = flow.nodes.get(node_id)
        ahead = node_id not in seen and far > shortest.get(node_id, far)
        rows.append(TreeRow(depth, edge, node_id, node, node_id in seen or ahead, ahead))
        if node is None or node_id in seen or ahead:
            continue
        seen.add(node_id)
        out = edges(node)
        inner = depth + (len(out) > 1)
        # Pushed in reverse so the first choice is drawn first.
        stack.extend((inner, e, e.target, far + e.weight) for e in reversed(out))
    return rows


def nest(rows: list[TreeRow]) -> Way:
    """Rows as ways: a row one deeper than the step before it starts a way out of that step;
    a row at the same depth follows it, unless its step has several ways out (then it starts
    the next of them)."""
    root = Way(None)
    open_ways: list[Way] = [root]  # the way being drawn at each depth
    several: dict[str, bool] = {}
    for row in rows:
        if row.edge is None:
            root.steps.append(row)
        elif several.get(row.edge.source):
            way = Way(row.edge, [row])
            open_ways[row.depth - 1].ways.append(way)
            del open_ways[row.depth:]
            open_ways.append(way)
        else:
            del open_ways[row.depth + 1:]
            open_ways[row.depth].steps.append(row)
        if row.node is not None and not row.repeat:
            several[row.node_id] = len(edges(row.node)) > 1
    return root


def view_of(path: Path) -> FlowView:
    """Parse and validate one flow file exactly as `hotline flows check` does."""
    try:
        flow = loader.parse_flow(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    except (OSError, yaml.YAMLError) as exc:
        return FlowView(path.name, None, [], [], [f"{path}:-: cannot read: {exc}"])
    except loader.FlowError as exc:
        return FlowView(path.name, None, [], [], exc.problems)
    rows = tree_rows(flow)
    drawn = {r.node_id for r in rows}
    unreachable = [n for n in flow.nodes.values() if n.id not in drawn]
    return FlowView(path.name, flow, rows, unreachable, loader.validate(flow))


def flow_files(directory: Path) -> list[Path]:
    """The flow files `flows check` reads by default, in its order."""
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def words(msgid: str, **values: Any) -> str:
    """One of this page's texts in the request's language."""
    return pgettext(CONTEXT, msgid, **values)


def field_label(name: str) -> str:
    """A case field as the console names it elsewhere (the timeline's field names: 用人单位,
    被欠工资); in English their key read as words ("amount owed")."""
    if name == "case_number":
        label = _("Case number")
        return label[:1].lower() + label[1:]
    label = pgettext("timeline", name)
    return label.replace("_", " ") if label == name else label


def reader_language(flow: Flow) -> str:
    """The flow language the page's reader reads: the one of the page's locale, else one of
    the same language (zh for a Traditional Chinese page), else the flow's first."""
    locale = ui_locale()
    for lang in flow.languages:
        if locale_of(lang) == locale:
            return lang
    base = locale.split("_")[0]
    return next((lang for lang in flow.languages if lang.split("-")[0] == base),
                flow.languages[0] if flow.languages else base)


OTHER_CHANNEL = {"voice": "sms", "sms": "voice"}


def only_on(node: Node) -> str | None:
    """The one channel a node runs on; None when it runs on both."""
    ran = [c for c in CHANNELS if c in node.channels]
    return ran[0] if len(ran) == 1 else None


def skipped_only(node: Node) -> bool:
    """True when a node's `next` is taken only where it does not run: a branch (it goes on by
    its cases) or a menu whose every choice leads on itself."""
    return node.type == "branch" or (
        node.type == "menu" and bool(node.choices) and all(c.goto for c in node.choices))


def reached_on(flow: Flow, channel: str) -> set[str]:
    """The nodes a worker can get to on `channel` (a node that does not run there passes
    them on to its `next` only; engine.settle)."""
    seen: set[str] = set()
    todo = [flow.start, *([flow.fallback] if flow.fallback else [])]
    while todo:
        node_id = todo.pop()
        node = flow.nodes.get(node_id)
        if node is None or node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(node.targets() if node.applies_to(channel) else [node.next or ""])
    return seen


class FlowWords:
    """One flow in the reader's words: used by the template for every step and way on."""

    STEP_NOT_FOUND = STEP_NOT_FOUND
    BY_SMS = BY_SMS

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.lang = reader_language(flow)
        # A flow file other than the call flow is read with its own hours unless the centre
        # set OFFICE_HOURS (hotline.hours.office_hours, for the call flow).
        self.hours: OfficeHours = current_app.config.get("OFFICE_HOURS") or flow.office_hours
        self.reached = {channel: reached_on(flow, channel) for channel in CHANNELS}

    # --- the flow as a whole ------------------------------------------------------------

    def languages(self) -> str:
        """The flow's languages by name ('中文、英文')."""
        return words(NAMES_SEPARATOR).join(language_name(lang) for lang in self.flow.languages)

    def fallback_node(self) -> Node | None:
        """Where a worker goes whose answer is not understood, unless a step says otherwise."""
        return self.flow.nodes.get(self.flow.fallback or "")

    # --- one step -----------------------------------------------------------------------

    def kind(self, node: Node) -> str:
        """What kind of step it is ('请选择', '自动判断')."""
        return words(KINDS.get(node.type, UNKNOWN_KIND))

    def channel(self, node: Node) -> str:
        """Where it runs when not everywhere ('只在电话里'); '' everywhere."""
        only = only_on(node)
        return words(ONLY_ON[only]) if only else ""

    def saves(self, node: Node) -> str:
        """The case field its answer is written to ('记入：用人单位'); '' for none."""
        if not node.field or node.type == "branch":
            return ""
        text = words(SAVES, field=field_label(node.field))
        if node.sms_field and node.sms_field != node.field and node.applies_to("sms"):
            text += words(LIST_SEPARATOR) + words(SAVES_SMS, field=field_label(node.sms_field))
        return text

    def prompt(self, node: Node) -> Markup:
        """What the worker hears (or reads), in the reader's language, placeholders named."""
        return self._texts(node.prompt)

    def sms_prompt(self, node: Node) -> Markup:
        """The SMS wording when it differs from the prompt (and the step runs by SMS); a menu's
        ends as the text does, before its numbered choices."""
        if not node.sms_prompt or not node.applies_to("sms"):
            return Markup("")
        text = node.sms_prompt.get(self.lang)
        if text is not None and text == node.prompt.get(self.lang):
            return Markup("")
        shown = self._texts(node.sms_prompt)
        if node.type == "menu":
            shown += escape(sentence_gap(self.lang) + engine_words(self.lang, REPLY_WITH))
        return shown

    def question(self, node: Node) -> str:
        """What a branch looks at, as a question ('现在是不是工作时间？')."""
        on = node.on or ""
        if on.startswith("answer:"):
            return words(ANSWER_QUESTION, field=self._slot(on.removeprefix("answer:")))
        return words(QUESTIONS[on]) if on in QUESTIONS else ""

    def short(self, node: Node | None) -> str:
        """A step named briefly, for a link back to it: its kind and first words."""
        if node is None:
            return words(STEP_NOT_FOUND)
        if node.type == "branch":
            said = self.question(node)
        else:
            said = self._texts(node.prompt).striptags()
            said = said if len(said) <= 24 else said[:22].rstrip() + "…"
        return f"{self.kind(node)}{words(COLON)}{said}" if said else self.kind(node)

    def choice(self, node: Node, choice: Choice) -> str:
        """A menu choice by its digit and label ('按 1 / 回复 1：欠薪')."""
        only = only_on(node)
        how = REPLY if only == "sms" else PRESS if only == "voice" else PRESS_OR_REPLY
        return words(how, key=choice.key, label=self._label(choice))

    # --- a way on -----------------------------------------------------------------------

    def edge(self, edge: Edge) -> Markup:
        """How the tree got from one step to the next, in words (several ways to the same
        step joined: '没有志愿者能接听；其他情况')."""
        node = self.flow.nodes[edge.source]
        shown = [e for e in edge.exits if not self.dead(node, e)] or list(edge.exits)
        parts = [self.exit(node, e) for e in shown]
        # "Outside office hours; otherwise": one sentence (no case in Chinese).
        parts[1:] = [Markup(p[:1].lower() + p[1:]) for p in parts[1:]]
        return Markup(escape(words(EDGE_SEPARATOR))).join(parts)

    def exit(self, node: Node, exit_: Exit) -> Markup:
        """One way out of `node` in words; a choice with what else it does."""
        if exit_.kind == "choice" and exit_.choice is not None:
            shown = escape(self.choice(node, exit_.choice))
            return shown + self.choice_notes(exit_.choice)
        if exit_.kind == "case":
            return escape(self.condition(node, exit_.value))
        if exit_.kind == "default":
            return escape(words(OTHERWISE))
        if exit_.kind == "answered":
            return escape(words(ANSWERED))
        if exit_.kind == "fallback":
            return escape(words(FALLBACK, n=self.flow.max_retries))
        return escape(self.then(node))

    def choice_notes(self, choice: Choice) -> Markup:
        """An urgent choice's mark and a redo's warning, after its label."""
        notes = Markup("")
        if choice.urgent:
            notes += Markup(' <span class="badge urgent">%s</span>') % words(URGENT)
        if choice.redo:
            notes += Markup(' <small class="muted">%s</small>') % words(REDO)
        return notes

    def then(self, node: Node) -> str:
        """What a node's `next` means for its type (engine.settle, engine._transfer)."""
        if node.type == "transfer":
            return words(NOT_ANSWERED, n=node.timeout)
        only = only_on(node)
        if only and skipped_only(node):
            return words(SKIPPED[only])
        rest = [c for c in node.choices if not c.goto]
        if node.type == "menu" and rest and len(rest) < len(node.choices):
            return words(AFTER_ANSWER, labels=words(OR).join(self._label(c) for c in rest))
        return words(THEN)

    def dead(self, node: Node, exit_: Exit) -> bool:
        """A `next` taken only where the node does not run, when no worker gets there that
        way (a phone-only menu reached only on the phone): not worth a word."""
        only = only_on(node)
        return exit_.kind == "next" and only is not None and skipped_only(node) and (
            node.id not in self.reached[OTHER_CHANNEL[only]])

    def condition(self, node: Node, value: str) -> str:
        """A branch case in words ('在工作时间', '如果〔类别〕是「其他法律援助」')."""
        on = node.on or ""
        if (on, value) in CONDITIONS:
            return words(CONDITIONS[on, value], hours=hours_text(self.hours))
        if on.startswith("answer:"):
            name = on.removeprefix("answer:")
            return words(ANSWER_IS, field=self._slot(name), answer=self._answer(name, value))
        return value

    def note(self, msgid: str) -> str:
        """One of the page's fixed words (BY_SMS, URGENT, REDO ...)."""
        return words(msgid)

    # --- helpers ------------------------------------------------------------------------

    def _label(self, choice: Choice) -> str:
        return choice.label.get(self.lang) or next(iter(choice.label.values()), choice.value)

    def _answer(self, field: str, value: str) -> str:
        """A stored answer as the menu that asks it labels it ('other_legal' -> 其他法律援助)."""
        for node in self.flow.nodes.values():
            if node.field != field:
                continue
            for choice in node.choices:
                if str(choice_value(node, choice)).lower() == value.lower():
                    return self._label(choice)
        return value

    def _slot(self, name: str) -> str:
        return words(SLOT, name=field_label(name))

    def _texts(self, texts: dict[str, str]) -> Markup:
        """Texts in the reader's language (another, said so, when missing), each {placeholder}
        as its field's name in brackets, marked up."""
        lang = self.lang if texts.get(self.lang) else next(
            (la for la in (*self.flow.languages, *texts) if texts.get(la)), "")
        if not lang:
            return Markup("")
        shown = self._filled(texts[lang])
        if lang != self.lang:
            shown += Markup(' <small class="muted">%s</small>') % words(
                NO_TEXT, language=language_name(lang))
        return shown

    def _filled(self, text: str) -> Markup:
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError:  # a stray brace: flows check names it; shown as written
            return escape(text)
        out = Markup("")
        for literal, name, _spec, _conversion in parts:
            out += escape(literal)
            if name is not None:
                out += Markup('<span class="slot">%s</span>') % self._slot(name)
        return out



@bp.get("/")
def flows() -> Any:
    """Every flow file as a readable tree, each with its validation result."""
    views = [view_of(path) for path in flow_files(loader.FLOWS_DIR)]
    return render_template("staff/flows.html", views=views, FlowWords=FlowWords,
                           default_flow=loader.DEFAULT_FLOW)
