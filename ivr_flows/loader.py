"""Loading flow files and validating them: every problem is reported as `file:node: problem`."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hotline.translations import SOURCE_LOCALE, locale_of, translate
from ivr_flows.fields import FIELDS
from ivr_flows.model import (
    CHANNELS,
    NODE_TYPES,
    WEEKDAYS,
    Choice,
    Flow,
    Node,
    OfficeHours,
)

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
DEFAULT_FLOW = "intake"
DTMF_KEYS = set("0123456789*#")
BRANCH_ON = re.compile(
    r"^(office_hours|volunteer_available|urgent|returning|home_known|answer:[a-z_]+)$")
PLACEHOLDERS = frozenset({"case_number", *FIELDS})
# The kinds of field each node type can fill ("a date node on the employer" cannot be read).
NODE_FIELD_KINDS = {"number": {"number"}, "date": {"date"}, "menu": {"choice", "yesno"},
                    "text": {"text"}, "record": {"recording", "text"}}


class FlowError(ValueError):
    """A flow file that cannot be used; `problems` lists each as 'file:node: problem'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


Localise = Callable[[str], dict[str, str]]


def catalogue_texts(flow_name: str, node_id: str, languages: tuple[str, ...]) -> Localise:
    """How a node's English text becomes its text in each of the flow's languages: through the
    gettext catalogues, in context "flow:<flow>:<node>" (the same English can read differently
    in Chinese at two questions: a yes to "signed a contract?" is not a yes to "in hospital?")."""
    context = f"flow:{flow_name}:{node_id}"

    def localise(english: str) -> dict[str, str]:
        # A language whose catalogue lacks the text is left out: the validator names it.
        texts = {lang: translate(lang, english, context) for lang in languages}
        return {lang: text for lang, text in texts.items()
                if text != english or locale_of(lang) == SOURCE_LOCALE}
    return localise


def _texts(raw: Any, localise: Localise) -> dict[str, str]:
    if isinstance(raw, str):
        return localise(raw)
    # A mapping written in the file gives each language its own words (a staff-written flow
    # before its texts reach the catalogue, or the language menu, which says each language's
    # own sentence).
    return {str(k): str(v) for k, v in (raw or {}).items()}


def _words(raw: Any) -> dict[str, list[str]]:
    return {str(k): [str(w) for w in (v or [])] for k, v in (raw or {}).items()}


def _choice(raw: dict[str, Any], localise: Localise) -> Choice:
    return Choice(key=str(raw.get("key", "")), value=str(raw.get("value", "")),
                  label=_texts(raw.get("label"), localise), keywords=_words(raw.get("keywords")),
                  speech=_words(raw.get("speech")), goto=raw.get("goto"),
                  urgent=bool(raw.get("urgent", False)), redo=bool(raw.get("redo", False)))


def _branch_on(raw: dict[Any, Any]) -> str | None:
    # YAML 1.1 reads a bare `on:` key as the boolean True.
    value = raw.get("on", raw.get(True))
    return str(value) if value is not None else None


def _node(node_id: str, raw: dict[str, Any], localise: Localise) -> Node:
    channels = raw.get("channels") or CHANNELS
    return Node(
        id=node_id, type=str(raw.get("type", "")), prompt=_texts(raw.get("prompt"), localise),
        sms_prompt=_texts(raw.get("sms_prompt"), localise),
        next=raw.get("next"), channels=tuple(str(c) for c in channels), field=raw.get("field"),
        sms_field=raw.get("sms_field"), fallback=raw.get("fallback"),
        choices=tuple(_choice(c, localise) for c in raw.get("choices") or []
                      if isinstance(c, dict)),
        bilingual=bool(raw.get("bilingual", False)), min=raw.get("min"), max=raw.get("max"),
        max_seconds=int(raw.get("max_seconds", 60)), on=_branch_on(raw),
        cases={str(k).lower(): str(v) for k, v in (raw.get("cases") or {}).items()},
        default=raw.get("default"), answered=raw.get("answered"),
        timeout=int(raw.get("timeout", 20)))


def _office_hours(raw: dict[str, Any] | None) -> OfficeHours:
    if not raw:
        return OfficeHours()
    days = tuple(WEEKDAYS.index(d) for d in raw.get("days", WEEKDAYS[:6]))
    return OfficeHours(timezone=raw.get("timezone", "Asia/Shanghai"), days=days,
                       open=time.fromisoformat(str(raw.get("open", "09:00"))),
                       close=time.fromisoformat(str(raw.get("close", "21:00"))))


def parse_flow(data: Any, path: str) -> Flow:
    """Build a Flow from parsed YAML; raise FlowError for a shape that cannot be read."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise FlowError([f"{path}:-: a flow needs a 'nodes' mapping"])
    name = str(data.get("name") or Path(path).stem)
    languages = tuple(str(lang) for lang in data.get("languages") or ("zh", "en"))
    try:
        nodes = {str(k): _node(str(k), v or {}, catalogue_texts(name, str(k), languages))
                 for k, v in data["nodes"].items()}
        office = _office_hours(data.get("office_hours"))
    except (TypeError, ValueError, AttributeError) as exc:
        raise FlowError([f"{path}:-: {exc}"]) from exc
    return Flow(name=name, path=path, languages=languages,
                start=str(data.get("start", "")), nodes=nodes,
                max_retries=int(data.get("max_retries", 2)), fallback=data.get("fallback"),
                office_hours=office)


def load_flow(path: str | Path) -> Flow:
    """Read and validate one flow file; raise FlowError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        duplicates = duplicate_keys(yaml.compose(text), str(path))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError([f"{path}:-: cannot read: {exc}"]) from exc
    if duplicates:  # YAML keeps the last of two equal keys: a node would vanish silently
        raise FlowError(duplicates)
    flow = parse_flow(data, str(path))
    problems = validate(flow)
    if problems:
        raise FlowError(problems)
    return flow


def duplicate_keys(root: yaml.Node | None, path: str) -> list[str]:
    """Every key written twice in one mapping, as 'file:node: problem'."""
    problems: list[str] = []

    def walk(node: yaml.Node, where: str, what: str) -> None:
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, where, "key")
        if not isinstance(node, yaml.MappingNode):
            return
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                at = name if what == "node id" else where
                problems.append(f"{path}:{at}: duplicate {what} {name!r} "
                                f"(lines {seen[name]} and {line})")
            seen.setdefault(name, line)
            if where == "-" and name == "nodes":
                walk(value, "-", "node id")
            else:
                walk(value, name if what == "node id" else where, "key")

    if root is not None:
        walk(root, "-", "key")
    return problems


@cache
def default_flow(name: str = DEFAULT_FLOW) -> Flow:
    """The shipped flow `name`, loaded and validated once per process."""
    return load_flow(FLOWS_DIR / f"{name}.yaml")


def check_all(directory: Path = FLOWS_DIR) -> tuple[list[Path], list[str]]:
    """Validate every flow file in `directory`: (files checked, problems)."""
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    problems: list[str] = []
    for path in files:
        try:
            load_flow(path)
        except FlowError as exc:
            problems.extend(exc.problems)
    return files, problems


def validate(flow: Flow) -> list[str]:
    """Every problem of a parsed flow, as 'file:node: problem'."""
    problems: list[str] = []
    if flow.start not in flow.nodes:
        problems.append(f"{flow.path}:-: start node {flow.start!r} does not exist")
    if flow.fallback and flow.fallback not in flow.nodes:
        problems.append(f"{flow.path}:-: fallback node {flow.fallback!r} does not exist")
    for node in flow.nodes.values():
        problems.extend(f"{flow.path}:{node.id}: {p}" for p in _node_problems(flow, node))
    reachable = _reachable(flow)
    problems.extend(f"{flow.path}:{n}: unreachable from start {flow.start!r}"
                    for n in flow.nodes if n not in reachable)
    return problems


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    todo = [flow.start] + ([flow.fallback] if flow.fallback else [])
    while todo:
        current = todo.pop()
        if current in seen or current not in flow.nodes:
            continue
        seen.add(current)
        todo.extend(flow.nodes[current].targets())
    return seen


# A node's name names the carrier templates of what it asks ("intake_" + name +
# "_start_again" and the like), which a 40-character column holds.
MAX_NODE_NAME = 20


def _node_problems(flow: Flow, node: Node) -> list[str]:
    if node.type not in NODE_TYPES:
        return [f"unknown type {node.type!r} (one of {', '.join(NODE_TYPES)})"]
    problems = [f"target {t!r} does not exist" for t in node.targets() if t not in flow.nodes]
    if len(node.id) > MAX_NODE_NAME:
        problems.append(f"name longer than {MAX_NODE_NAME} characters (its SMS templates "
                        "are named after it)")
    problems += [f"unknown channel {c!r}" for c in node.channels if c not in CHANNELS]
    if node.type != "branch":
        problems += _translation_problems(flow, node.prompt, "prompt")
    if node.sms_prompt:
        problems += _translation_problems(flow, node.sms_prompt, "sms_prompt")
    all_goto = node.type == "menu" and node.choices and all(c.goto for c in node.choices)
    skippable = tuple(node.channels) != CHANNELS
    if node.type != "end" and not node.next and not all_goto and (
            node.type != "branch" or skippable):
        problems.append("needs 'next'")
    problems += _field_problems(flow, node)
    problems += _TYPE_CHECKS.get(node.type, lambda f, n: [])(flow, node)
    return problems


def _translation_problems(flow: Flow, texts: dict[str, str], what: str) -> list[str]:
    problems = [f"{what} missing translation {lang!r}" for lang in flow.languages
                if not texts.get(lang, "").strip()]
    for lang, text in texts.items():
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        problems += [f"{what} ({lang}) uses unknown placeholder {{{n}}}"
                     for n in sorted(names - PLACEHOLDERS)]
    return problems


def _field_problems(flow: Flow, node: Node) -> list[str]:
    problems = [f"field {name!r} does not exist (known: {', '.join(sorted(FIELDS))})"
                for name in (node.field, node.sms_field) if name and name not in FIELDS]
    if node.type in ("number", "date", "text", "record") and not node.field:
        problems.append(f"a {node.type} node needs a 'field'")
    spec = FIELDS.get(node.field or "")
    kinds = NODE_FIELD_KINDS.get(node.type)
    if spec and kinds and spec.kind not in kinds:
        problems.append(f"field {node.field!r} takes a {spec.kind}, not a {node.type} answer")
    sms_spec = FIELDS.get(node.sms_field or "")
    if sms_spec and sms_spec.kind != "text":
        problems.append(f"sms_field {node.sms_field!r} does not take a written answer")
    return problems


def _menu_problems(flow: Flow, node: Node) -> list[str]:
    problems = [] if node.choices else ["a menu needs 'choices'"]
    keys = [c.key for c in node.choices]
    problems += [f"duplicate digit {k!r}" for k in sorted({k for k in keys if keys.count(k) > 1})]
    problems += [f"choice key {k!r} is not a DTMF digit" for k in keys if k not in DTMF_KEYS]
    allowed = FIELDS[node.field].values if node.field in FIELDS else None
    if node.field == "language":
        allowed = frozenset(flow.languages)
    for c in node.choices:
        problems += _translation_problems(flow, c.label, f"choice {c.key} label")
        # Words in one language but not another: that language's workers could not type them.
        for what, words in (("keywords", c.keywords), ("speech", c.speech)):
            if any(words.values()):
                problems += [f"choice {c.key} {what} missing translation {lang!r}"
                             for lang in flow.languages if not words.get(lang)]
        if allowed is not None and c.value not in allowed:
            problems.append(f"choice {c.key} value {c.value!r} is not valid for {node.field!r}")
        if c.redo and not c.goto:
            problems.append(f"choice {c.key} redoes the questions but has no 'goto'")
    spec = FIELDS.get(node.field or "")
    values = sorted(c.value for c in node.choices)
    if spec and spec.kind == "yesno" and values != ["no", "yes"]:
        problems.append(f"yes/no menu {node.field!r} needs one 'yes' and one 'no' choice "
                        f"(has {', '.join(values) or 'none'})")
    return problems


def _number_problems(flow: Flow, node: Node) -> list[str]:
    if node.min is not None and node.max is not None and node.min > node.max:
        return [f"min {node.min} is above max {node.max}"]
    return []


def _branch_problems(flow: Flow, node: Node) -> list[str]:
    problems = [] if node.default else ["a branch needs 'default'"]
    if not node.on or not BRANCH_ON.match(node.on):
        problems.append(f"branch 'on' {node.on!r} is not office_hours, volunteer_available, "
                        "urgent, returning, home_known or answer:<field>")
    elif node.on.startswith("answer:") and node.on[7:] not in FIELDS:
        problems.append(f"branch on unknown field {node.on[7:]!r}")
    return problems


def _transfer_problems(flow: Flow, node: Node) -> list[str]:
    return [] if node.channels == ("voice",) else ["a transfer node must have channels: [voice]"]


_TYPE_CHECKS = {"menu": _menu_problems, "number": _number_problems,
                "branch": _branch_problems, "transfer": _transfer_problems}
