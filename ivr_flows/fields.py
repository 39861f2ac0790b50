"""The case fields a flow answer can land in, how each is parsed, shown and written to a Case."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ivr_flows.parse import normalize
from models import Case, CaseCategory, Urgency
from models.volunteer import DIALECT_ALIASES, canonical_dialect


@dataclass(frozen=True)
class FieldSpec:
    """What kind of answer a field takes ('choice', 'number', 'text', 'recording')."""

    kind: str
    max_length: int = 200
    integer: bool = True
    values: frozenset[str] | None = None  # allowed menu values, when fixed
    # A menu answer that names no choice may still name a value outright ("我是河北人").
    free: Callable[[str], str | None] | None = None


PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门",
)
MUNICIPALITIES = frozenset({"北京", "天津", "上海", "重庆"})
PROVINCE_SUFFIX = re.compile(r"^(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)")
# Province names in pinyin, in the order of PROVINCES, for workers who write in English.
PINYIN_NAMES = (
    "beijing", "tianjin", "shanghai", "chongqing", "hebei", "shanxi", "liaoning", "jilin",
    "heilongjiang", "jiangsu", "zhejiang", "anhui", "fujian", "jiangxi", "shandong", "henan",
    "hubei", "hunan", "guangdong", "hainan", "sichuan", "guizhou", "yunnan", "shaanxi", "gansu",
    "qinghai", "taiwan", "inner-mongolia", "guangxi", "tibet", "ningxia", "xinjiang",
    "hong-kong", "macau",
)
PINYIN = dict(zip(PINYIN_NAMES, PROVINCES, strict=True))
# The cities most migrant workers text from (a place answer naming only the city still gets its
# province, and one written in pinyin is stored in characters, so audiences and routing by
# "深圳" find "Shenzhen" too). Not every city: others are kept as written.
CITIES = {
    "深圳": "广东", "东莞": "广东", "广州": "广东", "佛山": "广东", "珠海": "广东", "中山": "广东",
    "惠州": "广东", "江门": "广东", "苏州": "江苏", "昆山": "江苏", "无锡": "江苏", "南京": "江苏",
    "常州": "江苏", "杭州": "浙江", "宁波": "浙江", "温州": "浙江", "义乌": "浙江", "金华": "浙江",
    "绍兴": "浙江", "台州": "浙江", "厦门": "福建", "泉州": "福建", "福州": "福建", "晋江": "福建",
    "武汉": "湖北", "成都": "四川", "郑州": "河南", "长沙": "湖南", "西安": "陕西", "青岛": "山东",
    "北京": "北京", "上海": "上海", "天津": "天津", "重庆": "重庆",
}
CITY_PINYIN = {
    "shenzhen": "深圳", "dongguan": "东莞", "guangzhou": "广州", "foshan": "佛山",
    "zhuhai": "珠海", "zhongshan": "中山", "huizhou": "惠州", "jiangmen": "江门",
    "suzhou": "苏州", "kunshan": "昆山", "wuxi": "无锡", "nanjing": "南京", "changzhou": "常州",
    "hangzhou": "杭州", "ningbo": "宁波", "wenzhou": "温州", "yiwu": "义乌", "jinhua": "金华",
    "shaoxing": "绍兴", "taizhou": "台州", "xiamen": "厦门", "quanzhou": "泉州", "fuzhou": "福州",
    "jinjiang": "晋江", "wuhan": "武汉", "chengdu": "成都", "zhengzhou": "郑州",
    "changsha": "长沙", "xian": "西安", "xi'an": "西安", "qingdao": "青岛",
    "beijing": "北京", "shanghai": "上海", "tianjin": "天津", "chongqing": "重庆",
}
DIALECTS = frozenset(DIALECT_ALIASES.values())
OTHER = "other"  # a home province not on the menu, or not given


FIELDS: dict[str, FieldSpec] = {
    "language": FieldSpec("choice"),  # values: the flow's languages
    "category": FieldSpec("choice", values=frozenset(c.value for c in CaseCategory)),
    "work_place": FieldSpec("text", max_length=100),  # "广东深圳" -> province + city
    "work_province": FieldSpec("text", max_length=40),
    "work_city": FieldSpec("text", max_length=60),
    "employer": FieldSpec("text", max_length=200),
    "summary": FieldSpec("text", max_length=2000),
    "amount_owed": FieldSpec("number", integer=False),
    "months_unpaid": FieldSpec("number"),
    "people_affected": FieldSpec("number"),
    "voicemail": FieldSpec("recording"),
    # The worker's home province (老家): on the contact, and the case's dialect from it.
    "home_province": FieldSpec("choice", max_length=40,
                               values=frozenset((*PROVINCES, OTHER)),
                               free=lambda text: find_province(text)),
    # Not written to the case: what a worker calling back wants; the voice layer acts on
    # "new" by opening a second case for the rest of the call (hotline.voice).
    "returning": FieldSpec("choice", values=frozenset({"message", "again", "new"})),
    # Not written to the case either: whether the caller took the live transfer offered.
    "live_transfer": FieldSpec("choice", values=frozenset({"talk", "message"})),
}

# Categories that must reach a person first (work injury; many workers of one employer).
URGENT_CATEGORIES = frozenset({CaseCategory.INJURY.value, CaseCategory.COLLECTIVE.value})



def split_place(text: str) -> tuple[str | None, str | None]:
    """'广东省深圳市' -> ('广东', '深圳'); 'Guangdong Shenzhen', 'Shenzhen', '深圳' -> the same."""
    words = re.sub(r"[,，、。.]+", " ", text).split()
    key = (words[0].lower().removesuffix("province") if words else "").replace("_", "-")
    only_city = " ".join(words).lower().removesuffix(" city")
    if only_city in CITY_PINYIN:
        city = CITY_PINYIN[only_city]
        return CITIES[city], city
    if key in PINYIN:
        rest = " ".join(words[1:]).lower().removesuffix(" city")
        return PINYIN[key], CITY_PINYIN.get(rest, " ".join(words[1:])) or None
    place = "".join(words)
    for province in PROVINCES:
        if place.startswith(province):
            rest = PROVINCE_SUFFIX.sub("", place[len(province):])
            found = rest.removesuffix("市") or (province if province in MUNICIPALITIES else None)
            return province, found
    city = place.removesuffix("市")
    return CITIES.get(city), city or None


def find_province(text: str) -> str | None:
    """The one province a free answer names ('我是河北人', 'Hebei', '老家河南省'); else None."""
    plain = normalize(text).lower()
    found = {p for p in PROVINCES if p in plain}
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)?", plain.replace("inner mongolia",
                                                                "inner-mongolia")))
    found |= {PINYIN[w] for w in words if w in PINYIN}
    return found.pop() if len(found) == 1 else None


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
    if value is None or name == "language":
        if name == "language" and value:
            case.language = str(value)
        return
    if name == "category":
        case.category = CaseCategory(value)
        if value in URGENT_CATEGORIES:
            case.urgency = Urgency.URGENT
    elif name == "work_place":
        province, city = split_place(str(value))
        case.work_province, case.work_city = province or case.work_province, city
        remember_workplace(case)
    elif name in ("work_province", "work_city", "employer"):
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
    elif name == "voicemail":
        case.voicemail_url = str(value)
    elif name == "home_province":
        set_home_province(case, str(value))


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
