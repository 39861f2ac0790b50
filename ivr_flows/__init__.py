"""Intake flows: one YAML file describes a conversation once; voice and SMS render it.

Flow file format (``ivr_flows/flows/<name>.yaml``)
==================================================

Top level::

    name: intake               # the flow's name (defaults to the file name)
    languages: [zh, en]        # every prompt and label must read in each of these
    start: language            # first node
    max_retries: 2             # re-prompts after a bad or silent answer, then `fallback`
    fallback: voicemail        # where a caller goes after too many failed answers
    office_hours:              # used by `branch: {on: office_hours}`
      timezone: Asia/Shanghai
      days: [mon, tue, wed, thu, fri, sat]
      open: "09:00"
      close: "21:00"
    nodes:
      <node id>: {type: ..., ...}

Keys every node may have:

- ``type`` (required): ``say | menu | number | date | text | record | branch | transfer |
  end``.
- ``prompt``: the English text (required except for ``branch``); each other language reads
  it from the gettext catalogues (``hotline/translations``), context ``flow:<flow>:<node>``,
  where ``pybabel extract`` puts it (babel.cfg) and a translator's tool opens it. A mapping
  ``{zh: ..., en: ...}`` gives each language its own words in the file instead. Placeholders
  ``{case_number}`` and ``{<field>}`` (an answer, shown in words) are filled in.
- ``next``: the node after this one (required except for ``end``; optional for a menu
  whose choices all have ``goto``).
- ``channels``: ``[voice]`` or ``[sms]`` to limit a node to one channel; elsewhere the
  engine skips straight to ``next``.
- ``field``: the case field the answer lands in (see ``ivr_flows.fields.FIELDS``).
- ``fallback``: where to go after ``max_retries`` failures (default: the flow's
  ``fallback`` for ``menu`` and ``number``; ``next`` for ``date``, ``text`` and ``record``).

A question whose field this run already has an answer for is not asked: the engine goes on
as if it had been answered (a menu to its choice's ``goto``). That is how answers read from a
worker's first text (``start(..., known=...)``) skip their questions, and how a caller who
described their problem on a recording is not asked for a voicemail again.

Per type:

- ``say``: speak/text ``prompt``, then go on to ``next`` without waiting.
- ``menu``: ``choices``: a list of ``{key: 1, value: wages, label: unpaid wages,
  keywords: {zh: [..], en: [..]}, speech: {zh: [..], en: [..]}, goto: node, urgent: true}``.
  ``key`` is the DTMF digit (unique per menu) and the SMS number; ``keywords`` are also
  matched in speech, ``speech`` adds recogniser hints (words, not translations: each
  language lists its own). ``bilingual: true`` (the language menu) says the prompt in the
  first language, then each language offers its own choice in its own voice. ``redo: true``
  on a choice (the confirmation's "start again") forgets this run's answers, those read from
  the first text too, so every question is asked again; it needs a ``goto``.
  A menu on a yes/no field (``still_employed``, ``in_hospital`` …) has exactly one choice of
  value ``"yes"`` and one of ``"no"`` (quote them: YAML reads a bare yes as true); the answer
  is stored as true/false, and words no keyword lists are read by ``parse_yes_no``.
- ``number``: ``min``, ``max`` (inclusive). Accepts 12000, １２０００, 1.2万, 一万二, 12,000元;
  a field with its own reading uses it (``amount_owed``: not "1"/"¥1"; ``months_unpaid``:
  半年 = 6; ``people_affected``: 就我一个 = 1, 十几个人 = about 12).
- ``date``: a day ("昨天", "11月5日", "Nov 5"), read relative to today in the office's time
  zone and stored as "YYYY-MM-DD". On the phone a date that cannot be read (or silence) moves
  straight on: the caller is not kept at a question the keypad barely fits.
- ``text``: free text (SMS), speech (voice); on voice a silent caller is asked to speak
  after the beep (``<Record>``) instead. ``work_place`` must name a place
  (``ivr_flows.places.resolve_place``): "1" is asked again; the words are kept as said.
- ``record``: a voicemail on voice (``max_seconds``); on SMS the text goes to ``sms_field``.
- ``branch``: ``on: office_hours | volunteer_available | urgent | returning | home_known |
  answer:<field>``, ``cases: {value: node}``, ``default: node``. ``returning`` is true when
  the caller's open case already went through intake (a worker calling back); ``home_known``
  when the worker's home province is on file from before (not asked in this run).
- ``transfer``: voice only: dial an on-duty volunteer with the hotline number as caller id;
  ``timeout`` seconds, ``answered: node`` when they talked, ``next`` when nobody answered.
- ``end``: say ``prompt`` and finish (the case is then routed). Give an end node reached on
  SMS an ``sms_prompt`` that reads as a text (never "we will call you back, goodbye").

Fields (``ivr_flows.fields.FIELDS``) are the case's columns and each problem's own answers
(``DETAILS``, kept in ``case.details``). Nodes may only fill a field of their kind: ``number``
a number, ``date`` a date, ``menu`` a choice or yes/no, ``text`` a text, ``record`` a
recording (its ``sms_field`` a text).

A menu whose field can read a free answer (``home_province``: "我是河北人") also takes a
value that is not one of its choices.

``hotline flows check`` loads every file and prints ``file:node: problem`` for dangling
targets, unreachable nodes, missing translations (prompts, labels, and keywords or speech
hints given in one language only), duplicate digits, unknown fields, a field of the wrong
kind for its node, yes/no menus without exactly a yes and a no, a redo without a goto, and
keys written twice (a node id or a node's key: YAML would silently keep the last).
"""

from ivr_flows.engine import Context, FlowState, Reply, Turn, advance, start
from ivr_flows.loader import FlowError, check_all, default_flow, load_flow
from ivr_flows.model import Flow, Node

__all__ = ["Context", "Flow", "FlowError", "FlowState", "Node", "Reply", "Turn", "advance",
           "check_all", "default_flow", "load_flow", "start"]
