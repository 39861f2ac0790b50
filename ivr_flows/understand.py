"""What a worker's first text says: a problem (and its facts), a request, a question about the
hotline itself, or only a pleasantry.

The keyword tables and the precedence between problems live in flows/reading/words.yaml, beside
the intake flow, so they can be read and changed without touching code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from ivr_flows.dates import TENURE, months_in, months_stated, months_unpaid, parse_date
from ivr_flows.numbers import numbers_in, plain_text
from ivr_flows.parse import normalize
from ivr_flows.people import people_in
from ivr_flows.places import MESSAGE_LENGTH, clean_said, find_province, mentioned_place
from ivr_flows.sums import MAX_AMOUNT, MIN_AMOUNT, cost_total, owed_in

WORDS_FILE = Path(__file__).resolve().parent / "flows" / "reading" / "words.yaml"
EMPLOYER_END = ("有限公司", "公司", "集团", "工厂", "厂", "工地", "工程队", "项目部", "酒店",
                "餐厅", "饭店", "店", "超市", "物流")
EMPLOYER = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{2,24}?(?:"
                      + "|".join(EMPLOYER_END) + r"))")
# What stands before an employer's name in a sentence, not part of it.
# ("离职后公司不给开证明": 后 / 前 / 时 end a clause of time, as 在 ends one of place.)
EMPLOYER_LEAD = re.compile(r"^.*(?:在|给|帮|替|去|到|进|是|跟|被|的|了|从|为|后|前|时|让|叫|说|"
                           r"个月)")
# A person in the words ("我们出厂", "他们厂", "俺们工地") makes them a sentence, not a name.
PRONOUN = re.compile(r"[我你他她俺咱]")
PLACE_LEAD = re.compile(r"^[\u4e00-\u9fff]{1,6}?(?:省|市|区|县|镇|乡|街道)")
NOT_EMPLOYERS = re.compile(r"^(我们|我的|这个|那个|这家|那家|一个|一家|本|同一个|同一家|该|我|他们|"
                           r"老板的|他的|工地上|厂里|厂)$")
# "一家电子厂", "长安一家电子厂" (a town the gazetteer does not know before it): a kind of
# workplace, not its name.
GENERIC_LEAD = re.compile(r"^[\u4e00-\u9fff]{0,4}?(一|这|那|某|每|哪)(家|个|间|座)")
ENGLISH_EMPLOYER = re.compile(
    r"\b(?:at|for|with|from)\s+((?:[A-Z][\w&.'-]*\s+){0,5}?(?:Co\.?|Company|Ltd\.?|Limited|"
    r"Factory|Inc\.?|Group|Corp\.?|Corporation|Restaurant|Hotel|Plant|Construction))")
# Paid for only part of the time worked ("社保只交了半年").
PAID_ONLY = re.compile(r"只(?:交|买|缴|上|给交|给买)了?([^，。,.；;!！]{1,6})")
# Never done, in all the time worked ("一直没给我买社保", "从来没交过").
NEVER = re.compile(r"一直没|一直不|从来没|从来不|从没|从不|never")


# Where a worker says they come from: "老家河南", "家在周口", "我是四川人", "from Henan" (not
# "河南人民医院", "广东人社局", "一个人").
HOMETOWN = re.compile(r"(?:老家|家乡|家在|籍贯|户口在?)(?:是|在)?\s*([\u4e00-\u9fff]{2,8})|"
                      r"([\u4e00-\u9fff]{2,4})人(?![员民社力])|"
                      r"\b(?:i am|i'm|am) from\s+([a-z]+)|\bhometown (?:is )?([a-z]+)",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """How a message reads: kind 'problem' | 'request' | 'about_us' | 'pleasantry', and the
    facts it states."""

    kind: str
    answers: dict[str, Any] = field(default_factory=dict)
    asks_when: bool = False  # about us: when someone is there ("周末上班吗", "几点下班")

    @property
    def opens_case(self) -> bool:
        """Whether the message asks for help (anything but thanks, greetings, wishes, emoji, or a
        question the hotline answers itself: who we are, whether we are real, what it costs)."""
        return self.kind not in ("pleasantry", "about_us")


@dataclass(frozen=True)
class _Tables:
    precedence: tuple[str, ...]
    collective_min_people: int
    words: tuple[tuple[str, str, bool], ...]  # (word, category, weak), longest first
    details: dict[str, tuple[tuple[str, bool], ...]]
    insurance_kinds: tuple[tuple[str, str], ...]  # (word, kind), longest first
    pleasantries: tuple[str, ...]  # longest first
    problem_over: re.Pattern[str]  # news that the problem is over ("老板已经把钱给了")
    about_us: tuple[str, ...]  # longest first
    beside_about_us: tuple[str, ...]  # with the pleasantries, longest first
    workplace_kind: re.Pattern[str]  # a stem that names only a trade ("电子", "建筑")
    injury_place: re.Pattern[str]  # where a worker was hurt, after 在 / 从 ("在工地上摔的")
    thanked: re.Pattern[str]  # thanks by name and title ("谢谢张律师")


def _folded(word: str) -> str:
    return normalize(str(word)).lower()


def _any(words: list[str]) -> list[str]:
    """Words as regex alternatives, longest first (so the longest is found where two start)."""
    return [re.escape(_folded(w)) for w in sorted(words, key=len, reverse=True)]


def _injury_place(places: dict[str, list[str]], kinds: list[str]) -> re.Pattern[str]:
    """Where a worker was hurt: a place after 在 / 从 / 于 (a few words between) or first in
    the text ("工地上摔伤了"), a factory of a trade after them where the harm or the work
    follows ("在东莞长安的五金厂被冲床压到手", not "在东莞的鞋厂上班，受伤了": where they work), a
    way to or from work anywhere, an English place after at / in / on / from."""
    return re.compile(
        "(?:在|从|于)[\u4e00-\u9fff]{0,4}?(" + "|".join(_any(places["after"])) + ")"
        "|^(" + "|".join(_any(places["after"])) + ")(?=上|里)"
        "|(?:在|于)[\u4e00-\u9fff]{0,8}?((?:" + "|".join(_any(kinds)) + ")+厂)"
        "(?=里|上(?!班)|被|(?:上班|干活|做工|做事)(?:的时候|时))"
        "|(" + "|".join(_any(places["alone"])) + ")"
        r"|\b(?:at|in|on|from) (?:the |a |my )?(" + "|".join(_any(places["en"])) + r")\b")


@cache
def tables() -> _Tables:
    """The keyword tables of flows/reading/words.yaml, loaded once."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    words = [(_folded(w), name, False) for name, table in data["categories"].items()
             for lang in ("zh", "en") for w in table.get(lang, [])]
    words += [(_folded(w), name, True) for name, table in data["categories"].items()
              for w in table.get("weak", [])]
    details = {key: tuple((_folded(w), value == "true") for value, ws in table.items() for w in ws)
               for key, table in data["details"].items()}
    kinds = [(_folded(w), kind) for kind, ws in data["insurance_kinds"].items() for w in ws]
    polite = [_folded(w) for table in (data["pleasantries"], data["festival_wishes"])
              for lang in ("zh", "en") for w in table[lang]]
    about = data["about_us"]
    beside = [_folded(w) for w in about["beside"]] + polite
    return _Tables(
        precedence=tuple(data["precedence"]),
        collective_min_people=int(data["collective_min_people"]),
        words=tuple(sorted(words, key=lambda w: -len(w[0]))),
        details={k: tuple(sorted(v, key=lambda w: -len(w[0]))) for k, v in details.items()},
        insurance_kinds=tuple(sorted(kinds, key=lambda w: -len(w[0]))),
        pleasantries=_longest_first(polite),
        problem_over=_problem_over(data["problem_over"]),
        about_us=_longest_first([_folded(w) for lang in ("zh", "en") for w in about[lang]]),
        beside_about_us=_longest_first(beside),
        injury_place=_injury_place(data["injury_places"], data["workplace_kinds"]),
        thanked=_thanked(data["thanked_titles"]),
        workplace_kind=re.compile("(?:" + "|".join(
            re.escape(_folded(w)) for w in sorted(data["workplace_kinds"], key=len, reverse=True))
            + ")+"),
    )


def _longest_first(words: list[str]) -> tuple[str, ...]:
    """Each word once, longest first, and the same order on every run (words of one length
    alphabetically): two that overlap ("办公地址", "地址在哪") are blanked in a fixed order, so
    a text never reads one way in one process and another way in the next."""
    return tuple(sorted(set(words), key=lambda w: (-len(w), w)))


def _problem_over(parts: dict[str, list[str]]) -> re.Pattern[str]:
    """One pattern: who paid, 已经, 把 and what was owed, then the getting or paying (and what)."""
    def one_of(name: str) -> str:
        return "|".join(re.escape(_folded(w)) for w in sorted(parts[name], key=len, reverse=True))

    already, what = f"(?:{one_of('already')})*", f"(?:{one_of('what')})"
    done = f"(?:(?:{one_of('done')})了?{what}?|(?:{one_of('done_before_what')}){what})"
    return re.compile(f"(?:{one_of('who')})?{already}(?:把|将)?{what}?{already}{done}"
                      "(?:了|啦|啊)*")


def _find(plain: str, word: str, taken: list[bool]) -> int:
    """Where `word` first stands in `plain` on characters no longer word claimed; -1 if nowhere."""
    if word not in plain:  # most of the hundreds of words are absent: no pattern for them
        return -1
    pattern = rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)
    for match in re.finditer(pattern, plain):
        if not any(taken[match.start():match.end()]):
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            return match.start()
    return -1


def _categories(plain: str) -> tuple[set[str], set[str]]:
    """(categories named by their own words, categories named only by weak words)."""
    taken = [False] * len(plain)
    strong: set[str] = set()
    weak: set[str] = set()
    for word, category, is_weak in tables().words:
        if word not in plain:  # most of the hundreds of words are absent
            continue
        # Group words ("我们都") name who is owed; they leave the words of owing ("欠薪") free.
        claims = [False] * len(plain) if category == "collective" else taken
        if _find(plain, word, claims) >= 0:
            (weak if is_weak else strong).add(category)
    return strong, weak - strong


def _without(plain: str, words: tuple[str, ...]) -> str:
    """`plain` with each of `words` (longest first) blanked out, English ones as whole words."""
    rest = plain
    for word in words:
        if word not in rest:  # most are absent: no pattern for them
            continue
        rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest) if word.isascii() else rest.replace(
            word, " ")
    return rest


def _says_nothing(rest: str) -> bool:
    """Nothing left but emoji, punctuation, symbols and spaces."""
    return not any(unicodedata.category(ch)[0] in "LN" for ch in rest)


def _thanked(titles: list[str]) -> re.Pattern[str]:
    """Thanks to someone by name and title: "谢谢张律师", "谢谢你王老师", "李社工辛苦了" (a
    title alone, "律师", still asks for one)."""
    title = "(?:" + "|".join(_any(titles)) + ")"
    return re.compile(rf"(?:谢谢|感谢|多谢|辛苦)(?:你|您)?[\u4e00-\u9fff]?{title}|"
                      rf"[\u4e00-\u9fff]{title}(?:你|您)?(?:辛苦了|辛苦|谢谢|感谢)")


def _is_pleasantry(plain: str) -> bool:
    t = tables()
    rest = t.thanked.sub(" ", t.problem_over.sub(" ", plain))
    return _says_nothing(_without(rest, t.pleasantries))


# A question about us that asks when: answered with the office hours.
ASKS_WHEN = re.compile(r"上班|下班|几点|时间|什么时候|有人|周末|节假日|过年|晚上|打电话|电话多少|"
                       r"\bwhen\b|\bopen\b|\bhours\b|what time|weekend|at night")


def _asks_about_us(plain: str) -> bool:
    """Only a question about the hotline itself ("你们是骗子吧", "收费吗", "who are you"), with
    nothing beside it but greetings and the words such questions are asked in."""
    rest = _without(plain, tables().about_us)
    # Anything more (a problem, a request, someone else doubted) is read as usual.
    return rest != plain and _says_nothing(_without(rest, tables().beside_about_us))


def _category(plain: str, people: tuple[int, bool] | None) -> str | None:
    strong, weak = _categories(plain)
    t = tables()
    # The group words name who is owed, not a problem of their own.
    group = "collective" in strong or (people is not None and
                                       people[0] >= t.collective_min_people)
    strong.discard("collective")
    named = strong or weak  # weak words count only when no other problem is named
    if "wages" in named and group:
        named = named | {"collective"}
    return next((category for category in t.precedence if category in named), None)


def _employer(text: str) -> str | None:
    english = ENGLISH_EMPLOYER.search(text)
    if english:
        return english.group(1).strip()[:200]
    for clause in re.split(r"[，。,.;；!！?？\s]+", normalize(text)):
        for match in EMPLOYER.finditer(clause):
            name = _strip_place(EMPLOYER_LEAD.sub("", match.group(1)))
            if GENERIC_LEAD.match(name):
                continue
            stem = _without_end(name)
            place = mentioned_place(stem)
            if place is not None and stem.startswith(place.said) and (
                    stem == place.said
                    or tables().workplace_kind.fullmatch(stem[len(place.said):])):
                continue  # "广州工地", "厚街鞋厂": a place and a kind of workplace, no name
            if (len(name) >= 3 and not NOT_EMPLOYERS.match(stem) and not PRONOUN.search(stem)
                    and not tables().workplace_kind.fullmatch(stem)):
                return name[:200]
    return None


def _hometown(text: str) -> tuple[str | None, str]:
    """The home province a text says the worker is from, if it says so outright, and the
    text without those words (where they come from is not where they work)."""
    text = normalize(text)
    for match in HOMETOWN.finditer(text):
        said = next(g for g in match.groups() if g)
        province = find_province(said)
        if province:
            return province, text[:match.start()] + "，" + text[match.end():]
    return None, text


def _strip_place(name: str) -> str:
    """'深圳某某电子厂' -> '某某电子厂': leading place names, each alone or with its suffix."""
    while True:
        place = mentioned_place(name)
        shorter = name
        if place is not None and name.startswith(place.said):
            shorter = name[len(place.said):]
        elif match := PLACE_LEAD.match(name):
            shorter = name[match.end():]
        if shorter == name or len(shorter) < 3:
            return name
        name = shorter


def _without_end(name: str) -> str:
    for end in EMPLOYER_END:
        if name.endswith(end):
            return name[: -len(end)] or end
    return name


# A date in a contract case is the dismissal's only when the text tells of one.
DISMISSED = re.compile(r"辞退|开除|解雇|炒|裁员|辞了|让我走|叫我走|不要我|赶走|赶出|合同到期|到期|"
                       r"劝退|不让干|走人|离职|辞职|fired|dismissed|laid off|sacked|let go")
# Pushed to resign ("公司要我自己辞职") or threatened ("不同意就让我走") is a contract problem of
# a worker who is still there.
PUSHED_TO_RESIGN = re.compile(r"(?:要|让|逼|叫|劝|想让)我?(?:自己|主动)?(?:辞职|离职|走人)|"
                              r"(?:不|否则|要不然)[^，。,.]{0,8}?就(?:要|会)?"
                              r"(?:让我走|叫我走|辞退|开除|炒)|"
                              r"told me to (?:quit|resign)|(?:or|otherwise) (?:they|he|she|the "
                              r"boss)(?:'ll| will| would) (?:fire|sack|dismiss)")


def _details(plain: str, category: str | None, today: date) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # Words of a push or a threat ("要我辞职", "or they would fire me") say nobody has gone.
    said = PUSHED_TO_RESIGN.sub(" ", plain) if category == "contract" else plain
    for key, words in tables().details.items():
        for word, value in words:
            if word in said and _find(said, word, [False] * len(said)) >= 0:
                found[key] = value
                break
    when = parse_date(plain, today)
    if category == "injury":
        found = {k: v for k, v in found.items() if k in (
            "in_hospital", "employer_pays_treatment", "injury_claim_filed")}
        if when is not None:
            found["injured_on"] = when.isoformat()
        if place := tables().injury_place.search(plain):
            found["injury_place"] = next(group for group in place.groups() if group)
    elif category in ("wages", "collective"):
        found = {k: v for k, v in found.items() if k == "still_employed"}
        if when is not None and found.get("still_employed") is False:
            found["left_on"] = when.isoformat()
    elif category == "contract":
        found = {k: v for k, v in found.items() if k in ("written_contract", "still_employed")}
        if DISMISSED.search(said):  # let go, or the contract ended: no longer there
            found["still_employed"] = False
            if when is not None:  # not "2026年1月1日入职"
                found["dismissed_on"] = when.isoformat()
    elif category == "social_insurance":
        found = {}
        kind = next((k for w, k in tables().insurance_kinds if w in plain), None)
        if kind:
            found["insurance_kind"] = kind
    else:
        found = {}
    return found


def read_message(text: str, today: date | None = None) -> Reading:
    """Read a worker's message: its kind and only the facts it states (flow field names).

    The last few readings are remembered: the SMS webhook reads a text before it takes the
    database's write lock (SQLite lets one writer in at a time), so the intake and the
    conversation, which read it again inside the transaction, find it read."""
    found = _read(text, today or date.today())
    return Reading(found.kind, dict(found.answers), found.asks_when)  # a copy: callers add answers


@lru_cache(maxsize=64)
def _read(text: str, today: date) -> Reading:
    plain = plain_text(clean_said(_ranges(text), MESSAGE_LENGTH) if text else "")
    if not plain or _is_pleasantry(plain):
        return Reading("pleasantry")
    if _asks_about_us(plain):
        return Reading("about_us", asks_when=bool(ASKS_WHEN.search(plain)))
    people = people_in(plain)
    category = _category(plain, people)
    answers: dict[str, Any] = {"category": category} if category else {}
    answers.update(_facts(text, plain, category, people, today))
    return Reading("problem" if category else "request", answers)


def facts_in(text: str, category: str | None, today: date | None = None) -> dict[str, Any]:
    """The facts a text states about a problem already known (the intake's category), with
    no category of its own: "已经离职了" in a wages case is still_employed false, "三个月没发"
    is months unpaid. Nothing for thanks, greetings or a text that states no fact."""
    plain = plain_text(clean_said(_ranges(text), MESSAGE_LENGTH) if text else "")
    if not plain or _is_pleasantry(plain):
        return {}
    return _facts(text, plain, category, people_in(plain), today or date.today())


# A tilde between months ("5月~10月") is a range; clean_said drops symbols, so it is a dash first.
TILDE_RANGE = re.compile(r"(?<=[\d月])\s*[~～〜]\s*(?=[\d一二三四五六七八九十])")


def _ranges(text: str) -> str:
    return TILDE_RANGE.sub("-", text)


def _tenure(plain: str) -> int | None:
    """How many months the text says the worker has worked there ("干了三年": 36)."""
    worked = TENURE.search(plain)
    return months_in(worked.group(0)) if worked else None


def _insurance_missing(plain: str, stated: int | None) -> int | None:
    """Months of social insurance not paid, from the time worked when the text says it was
    never paid ("干了三年，从来没交过社保": 36) or only in part ("干了两年，社保只交了半年": 18);
    else the months the text states."""
    tenure = _tenure(plain)
    paid = PAID_ONLY.search(plain)
    part = months_in(paid.group(1)) if paid else None
    if part is not None:  # the months said are those paid, not those missing
        return tenure - part if tenure and part < tenure else None
    return tenure if tenure and stated is None and NEVER.search(plain) else stated


def _facts(text: str, plain: str, category: str | None, people: tuple[int, bool] | None,
           today: date) -> dict[str, Any]:
    """What a text states, read for `category`: sums, months, people, place, employer and the
    problem's own details."""
    numbers = numbers_in(plain)
    answers: dict[str, Any] = {}
    # A bare number in a message is money only when it looks like money: not a year (a year is
    # not said roughly: "大概2000多" is money), not a phone number, not a handful.
    sums = [n for n in numbers if n.unit == "money" or (
        n.unit == "" and n.value >= 100 and not (1990 <= n.value <= 2100 and not n.approximate)
        and len(str(int(n.value))) < 9)]
    # A wage times the time unpaid only where wages are the problem (or it is not known yet).
    wages = category in (None, "wages", "collective")
    amount = owed_in(text, plain, numbers, sums, today, plain if wages else None)
    if amount is not None:
        answers["amount_owed"] = amount
    if category == "social_insurance":
        # "干了三年" is how long they worked, not months of contributions missing
        months = _insurance_missing(plain, months_stated(TENURE.sub(" ", plain), today))
    else:  # the time worked counts only as the text says ("干了半年，包工头一分钱没给")
        months = months_unpaid(plain, today)
    if months is not None and category == "social_insurance":
        answers["insurance_months"] = months  # months of contributions missing
    elif months is not None and category in (None, "wages", "collective"):
        answers["months_unpaid"] = months
    if people is not None and people[0] > 1:
        answers["people_affected"], answers["people_approximate"] = people
    home, elsewhere = _hometown(text)
    if home:
        answers["home_province"] = home
    place = mentioned_place(elsewhere)
    if place is not None:
        answers["work_place"] = place.said
    employer = _employer(text)
    if employer:
        answers["employer"] = employer
    answers.update(_details(plain, category, today))
    if category == "injury":
        # What the hurt worker paid for treatment so far, in whole yuan: the bills added up,
        # or the total they name ("医药费8000，一共花了一万" is ten thousand, not eighteen).
        costs = [n for n in numbers if n.unit == "cost" and MIN_AMOUNT <= n.value <= MAX_AMOUNT]
        if costs:
            answers["medical_costs"] = int(cost_total(plain, costs))
    return answers
