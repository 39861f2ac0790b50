"""The case fields a flow answer can land in, how each is read, shown and written to a Case."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ivr_flows import dates, parse, people, places, sums, understand
from models import Case, CaseCategory, Urgency
from models.volunteer import DIALECT_ALIASES, canonical_dialect

# What one answer becomes: the answers to record ({"people_affected": 12,
# "people_approximate": True}), or None when the text is not an answer (asked again).
Reader = Callable[[str, date], "dict[str, Any] | None"]


@dataclass(frozen=True)
class FieldSpec:
    """What kind of answer a field takes ('choice', 'yesno', 'number', 'date', 'text',
    'recording') and how a typed or spoken answer is read."""

    kind: str
    max_length: int = 200
    integer: bool = True
    values: frozenset[str] | None = None  # allowed menu values, when fixed
    # A menu answer that names no choice may still name a value outright ("我是河北人").
    free: Callable[[str], Any] | None = None
    read: Reader | None = None  # number, date and text answers that must make sense
    # A name the worker may not know ("不知道", "没有名字"): said so, the question is left for
    # the volunteer and the intake goes on, as at a date or number question.
    unknown: Callable[[str], bool] | None = None
    # An answer that says something but not the value ("很多人" asked how many): asked once
    # more, and said again it is left for the volunteer (the intake is not given up over it).
    vague: Callable[[str], bool] | None = None


PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门",
)
DIALECTS = frozenset(DIALECT_ALIASES.values())
OTHER = "other"  # a home province not on the menu, or not given
YES_NO = frozenset({"yes", "no"})  # the choice values of a yes/no menu (stored as true/false)
# Amounts below this are a menu digit typed at the wrong question ("1", "¥1"), not wages owed.
MIN_AMOUNT = Decimal(10)


def read_place(text: str, today: date) -> dict[str, Any] | None:
    """'广东省深圳市', '河楠郑州', 'Shenzhen' -> the words said and the normalised province and
    city; None for what names no place ('1', '不知道')."""
    place = places.resolve_place(text)
    return place_answers(place, text) if place is not None else None


def place_answers(place: Any, said: str) -> dict[str, Any]:
    """A resolved place as answers: the worker's words kept, the names normalised. The city
    answer is the place as the worker named it below the province (Place.named: "义乌", read
    back as 浙江义乌, not 浙江金华, a place they never said); the case keeps its prefecture
    (apply_answer), which routing reads."""
    words = str(getattr(place, "said", "") or said).strip()
    return {"work_place": words[:FIELDS["work_place"].max_length],
            "work_province": place.province,
            "work_city": getattr(place, "named", None) or place.city}


def read_amount(text: str, today: date) -> dict[str, Any] | None:
    """'１２０００元', '一万二', '1.2万' -> the amount; None for nothing, '1' or '¥1'."""
    value = sums.parse_amount(text, today)
    if value is None or value < MIN_AMOUNT:
        return None
    return {"amount_owed": format(value.normalize(), "f")}


def read_medical_costs(text: str, today: date) -> dict[str, Any] | None:
    """What treatment has cost the worker so far: '５０００元', '一万二', '花了3千多' -> yuan;
    '一分没花', '还没花钱', 'nothing' -> 0; None for words with no sum ('没花多少钱')."""
    value = sums.parse_cost(text)  # first: "没花多少，几百块吧" names a sum
    if value is not None:
        return {"medical_costs": int(value)}
    return {"medical_costs": 0} if sums.says_nothing_paid(text) else None


def read_months(text: str, today: date) -> dict[str, Any] | None:
    """'三个月', '半年' (6), '3', '从8月开始' (the months since), '干了八个月，只发了三个月' (5)
    -> months."""
    value = dates.months_unpaid(text, today, bare=True, answer=True)
    return {"months_unpaid": value} if value is not None else None


# "没有名字", "不知道叫什么", "没招牌": a workplace the worker cannot name.
NO_NAME = re.compile(r"没有?名字|不知道(叫|是)?什么|不知道名字|没有?招牌|没有?牌子|什么来着|"
                     r"想不起来|不想说|不方便说|不能说|不告诉|保密|no name|don'?t know the name|"
                     r"rather not say", re.IGNORECASE)
# "只知道老板姓王", "王老板", "包工头姓李": all a worker may know of who employs them.
BOSS_SURNAME = re.compile(r"(老板|老闆|包工头|工头|老总)姓([\u4e00-\u9fff])|"
                          # not a word before the title: "是个包工头", "那个老板", "我们老板"
                          r"(?![个是的那这一有位名就了给跟和被让叫们我他她大小包])([\u4e00-\u9fff])"
                          r"(老板|老闆|包工头|工头|总)(?:[，,。.\s]|$)")


# A name said with a hedge or a lead-in: "好像叫什么精密五金", "公司叫宏发鞋业", "应该是车间吧",
# "在五金厂车间". The name is what is left; the worker's own words stay on the timeline.
NAME_LEAD = re.compile(r"^\s*(?:(?:好像|应该|大概|可能|估计|我记得|记得)\s*)?"
                       r"(?:(?:我们|我的)?(?:公司|厂子?|工厂|老板|单位|工地)(?:的?名字)?\s*)?"
                       r"(?:叫做?|是|就?在)\s*(?:什么)?\s*|^\s*(?:好像|应该|大概|可能|估计|我记得)\s*")
NAME_TAIL = re.compile(r"\s*(?:吧|啊|呀|来着|好像是?|的样子)?\s*[。.!！~]*\s*$")
# "a restaurant called Happy Noodle", "it's called Sunny Garments", "the company is named ACME".
ENGLISH_LEAD = re.compile(r"^\s*(?:(?:it'?s|it is|they'?re)\s+)?(?:(?:a|an|the|my)\s+)?"
                          r"(?:[a-z]+\s+){0,2}?(?:is\s+)?(?:called|named)\s+", re.IGNORECASE)
# A name put in brackets, as shop and app names are ("【比亚迪】", "「美团」").
WRAPPED = re.compile(r"^\s*[【\[「『《“\"(（]\s*(.+?)\s*[】\]」』》”\")）]\s*$")


def _name_said(text: str) -> str:
    """The name in an answer, without a hedge, lead-in or brackets around it (kept whole if
    nothing is left)."""
    unwrapped = WRAPPED.sub(r"\1", ENGLISH_LEAD.sub("", text, count=1))
    name = NAME_TAIL.sub("", NAME_LEAD.sub("", unwrapped, count=1), count=1)
    return name if any(unicodedata.category(ch).startswith("L") for ch in name) else text


# Answers to "what is your employer called?" that name no one. A time: the worker answers a
# question before it ("昨天下午", "上周五", "3号", "刚才": the intake keeps the date for its own
# question, ivr_flows.listen). Whole answers made only of these words, and read as a date.
TIME_ONLY = re.compile(
    r"(?:大前天|前天|昨天|昨日|昨晚|昨夜|今天|今日|今早|今晚|刚才|刚刚|前两天|前几天|那天|当天|"
    r"早上|早晨|上午|中午|下午|晚上|傍晚|凌晨|夜里|半夜|晚|早|时候|的时候|左右|大概|应该是|好像是|"
    r"去年|今年|前年|上上|上|这|本|个|周|星期|礼拜|[一二三四五六日天末]|点钟|点|半|多|号|日|月份|"
    r"月|年|底|初|中旬|上旬|下旬|以前|之前|前|是|在|[\d零〇两七八九十])+")
EN_TIME = re.compile(r"(?:\b(?:yesterday|today|tonight|last|this|on|the|morning|afternoon|"
                     r"evening|night|week|month|just|now|earlier|ago|days?|weeks?|about|around|"
                     r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d+(?:st|nd|rd|th)?)\b\s*)+")
# A sum ("8000", "八千块", "一万二左右"): the amount asked before or after.
SUM_WORDS = re.compile(r"大概|大约|差不多|一共|总共|还欠|欠了|欠我|欠|约|左右|多|来|块钱|块|元|圆|"
                       r"人民币|rmb|yuan|[\d零〇一二两三四五六七八九十百千万亿点.,kw]")
# A yes or a no ("是的", "没有", "对啊"): a key question's answer.
YES_NO_ONLY = re.compile(r"(?:是的?|对的?|对对|嗯+|好的?|有的?|没有|没|不是|不|否|行|可以|"
                         r"yes|yeah|yep|no|nope|ok|okay|y|n)[的啊呀吧呢啦了嗯]*", re.IGNORECASE)
# A place alone ("东莞长安", "在深圳宝安那边"): where they work, not who employs them.
PLACE_FILL = re.compile(r"在|于|的|这边|那边|这里|那里|附近|一带|省|市|区|县|镇|街道|乡|\s")


def _core(text: str, spaces: bool = False) -> str:
    """An answer folded (full-width, Traditional), without brackets, emoji, punctuation or
    (unless `spaces`: English words stay apart) spaces, lower case."""
    folded = re.sub(r"[,.，。!！?？~、:：;；'\"-]", " ",
                    parse.normalize(places.clean_said(text)).lower())
    return re.sub(r"\s+", " " if spaces else "", folded).strip()


def not_a_name(text: str, today: date, place_names: bool = False) -> bool:
    """An answer that names no one: a time ('昨天下午', '上周五', '3号'), a sum ('8000',
    '八千块'), a yes or no ('是的'), thanks or a question about the hotline ('谢谢', '你们是谁'),
    or (unless `place_names`: where a worker was hurt is a place) a place alone ('东莞长安')."""
    core = _core(text)
    if not core:
        return True
    if (TIME_ONLY.fullmatch(core) or EN_TIME.fullmatch(_core(text, spaces=True))) and (
            dates.parse_date(text, today) is not None):
        return True
    if not SUM_WORDS.sub("", core) and sums.parse_amount(text, today) is not None:
        return True
    if YES_NO_ONLY.fullmatch(core):
        return True
    if understand.read_message(text, today).kind in ("pleasantry", "about_us"):
        return True
    if not place_names and (place := places.mentioned_place(text)) is not None:
        return not PLACE_FILL.sub("", core.replace(_core(place.said), "", 1))
    return False


def name_unknown(text: str) -> bool:
    """The worker says they cannot name it ('不知道', '没有名字', '不记得了')."""
    return parse.said_unsure(text) or bool(NO_NAME.search(text))


def named(field: str, place_names: bool = False) -> Reader:
    """A reader for a name typed or said (an employer, a place of injury): a reply with no
    letter at all ('2', '１', '#', '。') is a key pressed by habit, asked again, not stored;
    so is one that names no one (`not_a_name`: '昨天下午', '8000', '是的', and a place alone
    unless `place_names`); one saying the name is not known is no name either ('不知道公司名字，
    只知道老板姓王' is 王老板, all there is)."""
    def read(text: str, today: date) -> dict[str, Any] | None:
        has_letter = any(unicodedata.category(ch).startswith("L") for ch in text)
        if not has_letter or not_a_name(text, today, place_names):
            return None
        if name_unknown(text):
            boss = BOSS_SURNAME.search(text)
            if boss is None:
                return None
            surname, title = boss.group(2, 1) if boss.group(1) else boss.group(3, 4)
            return {field: surname + title}
        return {field: _name_said(text)}
    return read


def read_insurance_months(text: str, today: date) -> dict[str, Any] | None:
    """How long the employer has not paid social insurance, in months ('两年' -> 24)."""
    value = dates.parse_months(text)
    return {"insurance_months": value} if value is not None else None


# "很多人", "好多", "一大帮": many, uncounted.
MANY = re.compile(r"很多|好多|许多|不少|一大帮|一大群|一大堆|一群|挺多|蛮多|特别多|多得很|"
                  r"a lot|lots|many|loads", re.IGNORECASE)


def uncounted(text: str) -> bool:
    """The worker says there are many but no number ('很多人', '好多')."""
    return bool(MANY.search(text))


# "很久了", "好长时间": long, unmeasured.
LONG = re.compile(r"很久|好久|老久|很长时间|好长时间|挺长时间|有段时间|long time|ages|forever",
                  re.IGNORECASE)


def unmeasured(text: str) -> bool:
    """The worker says it has been long but not how long ('很久了')."""
    return bool(LONG.search(text))


def read_people(text: str, today: date) -> dict[str, Any] | None:
    """'就我一个' -> 1; '十几个人' -> 12, marked approximate."""
    found = people.parse_people(text)
    if found is None:
        return None
    count, approximate = found
    return {"people_affected": count, "people_approximate": bool(approximate)}


def date_reader(name: str) -> Reader:
    """A reader for the date field `name`: '昨天', '11月3号', 'last Monday' -> an ISO date."""
    def read(text: str, today: date) -> dict[str, Any] | None:
        found = dates.parse_date(text, today)
        return {name: found.isoformat()} if found is not None else None
    return read


def yes_no(text: str) -> bool | None:
    """A yes or no said in words that no choice lists ('是的', '没有')."""
    return parse.parse_yes_no(text)


def free_words(text: str) -> str | None:
    """Any short answer, as written (which insurance: '五险一金都没有')."""
    return parse.clean_text(text, 40)


# The answers of each problem's own questions, kept in case.details (see the shared vocabulary
# in models.case): name -> kind. Dates are ISO strings, yes/no answers true/false.
DETAILS: dict[str, str] = {
    "still_employed": "yesno", "left_on": "date",
    "injured_on": "date", "injury_place": "text", "in_hospital": "yesno",
    "employer_pays_treatment": "yesno", "injury_claim_filed": "yesno",
    "medical_costs": "number",
    "dismissed_on": "date", "written_contract": "yesno",
    "insurance_kind": "text", "insurance_months": "number",
}
_DETAIL_SPECS: dict[str, FieldSpec] = {
    "still_employed": FieldSpec("yesno", values=YES_NO, free=yes_no),
    "left_on": FieldSpec("date", read=date_reader("left_on"), vague=unmeasured),
    "injured_on": FieldSpec("date", read=date_reader("injured_on"), vague=unmeasured),
    "injury_place": FieldSpec("text", max_length=100, read=named("injury_place", True),
                              unknown=name_unknown),
    "in_hospital": FieldSpec("yesno", values=YES_NO, free=yes_no),
    "employer_pays_treatment": FieldSpec("yesno", values=YES_NO, free=yes_no),
    "injury_claim_filed": FieldSpec("yesno", values=YES_NO, free=yes_no),
    # Yuan the hurt worker paid for treatment so far: read from what they wrote, or asked
    # when the employer will not pay; staff correct it on the case.
    "medical_costs": FieldSpec("number", read=read_medical_costs),
    "dismissed_on": FieldSpec("date", read=date_reader("dismissed_on"), vague=unmeasured),
    "written_contract": FieldSpec("yesno", values=YES_NO, free=yes_no),
    "insurance_kind": FieldSpec("choice", max_length=40, free=free_words),
    "insurance_months": FieldSpec("number", read=read_insurance_months),
}

FIELDS: dict[str, FieldSpec] = {
    "language": FieldSpec("choice"),  # values: the flow's languages
    "category": FieldSpec("choice", values=frozenset(c.value for c in CaseCategory)),
    # The words said ("河楠郑州", case.place_said) and the place read from them (work_city: as
    # named below the province, "义乌"; the case's work_city is its prefecture, 金华).
    "work_place": FieldSpec("text", max_length=100, read=read_place),
    "work_province": FieldSpec("text", max_length=40),
    "work_city": FieldSpec("text", max_length=60),
    "employer": FieldSpec("text", max_length=200, read=named("employer"), unknown=name_unknown),
    "summary": FieldSpec("text", max_length=2000),
    "amount_owed": FieldSpec("number", integer=False, read=read_amount),
    "months_unpaid": FieldSpec("number", read=read_months, vague=unmeasured),
    "people_affected": FieldSpec("number", read=read_people, vague=uncounted),
    "people_approximate": FieldSpec("yesno"),  # set with people_affected, never asked
    "voicemail": FieldSpec("recording"),
    # The worker's home province (老家): on the contact, and the case's dialect from it.
    "home_province": FieldSpec("choice", max_length=40,
                               values=frozenset((*PROVINCES, OTHER)),
                               free=lambda text: find_province(text)),
    **_DETAIL_SPECS,
    # Not written to the case: what a worker calling back wants; the voice layer acts on
    # "new" by opening a second case for the rest of the call (hotline.webhooks.twilio_voice).
    "returning": FieldSpec("choice", values=frozenset({"message", "again", "new"})),
    # Not written to the case either: whether the caller took the live transfer offered.
    "live_transfer": FieldSpec("choice", values=frozenset({"talk", "message"})),
}

# Categories that must reach a person first (work injury; many workers of one employer).
URGENT_CATEGORIES = frozenset({CaseCategory.INJURY.value, CaseCategory.COLLECTIVE.value})


def split_place(text: str) -> tuple[str | None, str | None]:
    """'广东省深圳市' -> ('广东', '深圳'); 'Shenzhen' -> the same (ivr_flows.places reads it)."""
    place = places.resolve_place(text)
    return (place.province, place.city) if place is not None else (None, None)


def find_province(text: str) -> str | None:
    """The one province a free answer names ('我是河北人', 'Hebei', '老家河南省'); else None."""
    return places.find_province(text)


def province_dialect(province: str | None) -> str | None:
    """The routing dialect spoken in a home province ('河南' -> 'henan'), when volunteers have
    a name for it (models.volunteer.DIALECT_ALIASES); None otherwise ('广西', 'other')."""
    if not province or province == OTHER:
        return None
    key = canonical_dialect(province + "话")
    return key if key in DIALECTS else None


def to_decimal(value: Any) -> Decimal | None:
    """A stored number answer as Decimal (None when absent or not a number)."""
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def apply_answer(case: Case, name: str, value: Any) -> None:
    """Write one flow answer onto the case (the SMS/voice layer logs it on the timeline)."""
    if name == "work_city":  # a province alone ("广东") leaves no city of an older answer
        # The answer names the place as said ("义乌"); the case keeps its prefecture (金华).
        city = places.prefecture_of(case.work_province, str(value)) if value else None
        case.work_city = city[:FIELDS[name].max_length] if city else None
        remember_workplace(case)
        return
    if value is None or name == "language":
        if name == "language" and value:
            case.language = str(value)
        return
    if name == "category":
        case.category = CaseCategory(value)
        if value in URGENT_CATEGORIES:
            case.urgency = Urgency.URGENT
    elif name == "work_place":
        case.place_said = str(value)[:FIELDS[name].max_length]
    elif name in ("work_province", "employer"):
        setattr(case, name, str(value)[:FIELDS[name].max_length])
        if name != "employer":
            remember_workplace(case)
    elif name == "summary":
        joined = "\n".join(p for p in (case.summary, str(value)) if p)
        case.summary = joined[-FIELDS["summary"].max_length:]
    elif name == "amount_owed":
        case.amount_owed = to_decimal(value)
    elif name in ("months_unpaid", "people_affected"):
        setattr(case, name, int(value))
    elif name == "people_approximate":
        case.people_approximate = bool(value)
    elif name == "voicemail":
        case.voicemail_url = str(value)
    elif name == "home_province":
        set_home_province(case, str(value))
    elif name in DETAILS:
        # A new dict, so SQLAlchemy sees the JSON column change (it does not track mutation).
        case.details = {**(case.details or {}), name: value}


def known_answers(known: dict[str, Any] | None) -> dict[str, Any]:
    """Answers read from a worker's first text (hotline.intake), as the flow keeps them:
    a place resolved into province and city, an amount as text, dates as ISO strings;
    anything unknown, empty or not valid for its field is left out (the question is asked)."""
    found: dict[str, Any] = {}
    for name, value in (known or {}).items():
        spec = FIELDS.get(name)
        if spec is None or value is None or value == "" or name in NOT_PREFILLED:
            continue
        if name == "work_place":
            place = value if hasattr(value, "province") else places.resolve_place(str(value))
            if place is not None and place.province:
                found.update(place_answers(place, str(value)))
        elif spec.kind == "choice" and spec.values is not None:
            if str(value) in spec.values:
                found[name] = str(value)
        elif spec.kind == "yesno":
            found[name] = bool(value)
        elif spec.kind == "date":
            found[name] = value.isoformat() if isinstance(value, date) else str(value)
        elif name == "amount_owed":
            amount = to_decimal(value)
            if amount is not None and amount >= MIN_AMOUNT:
                found[name] = format(amount.normalize(), "f")
        elif spec.kind == "number":
            found[name] = int(value)
        elif spec.kind == "text":
            text = parse.clean_text(str(value), spec.max_length)
            if text:
                found[name] = text
    if "people_affected" not in found:
        found.pop("people_approximate", None)
    return found


# Never taken from a first text: the conversation's own choices, and what only a question
# asked in this run can tell. (A home province said outright, "老家河南", is taken.)
NOT_PREFILLED = frozenset({"language", "returning", "live_transfer", "voicemail",
                           "summary", "work_province", "work_city"})


def remember_workplace(case: Case) -> None:
    """Where the worker works now, also on their contact (campaign audiences by city, {city})."""
    contact = case.contact
    contact.work_province = case.work_province or contact.work_province
    contact.work_city = case.work_city or contact.work_city


def set_home_province(case: Case, province: str) -> None:
    """Keep the worker's home province on their contact (a known one is never replaced by
    'other') and the dialect it implies on the case, for routing."""
    contact = case.contact
    if province != OTHER:
        contact.home_province = province[:FIELDS["home_province"].max_length]
    case.dialect = province_dialect(contact.home_province) or case.dialect
