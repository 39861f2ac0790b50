"""The case fields a flow answer can land in, how each is parsed, shown and written to a Case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from models import Case, CaseCategory, Urgency


@dataclass(frozen=True)
class FieldSpec:
    """What kind of answer a field takes ('choice', 'number', 'text', 'recording')."""

    kind: str
    max_length: int = 200
    integer: bool = True
    values: frozenset[str] | None = None  # allowed menu values, when fixed


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
    # Not written to the case: what a worker calling back wants; the voice layer acts on
    # "new" by opening a second case for the rest of the call (hotline.voice).
    "returning": FieldSpec("choice", values=frozenset({"message", "again", "new"})),
}

# Categories that must reach a person first (work injury; many workers of one employer).
URGENT_CATEGORIES = frozenset({CaseCategory.INJURY.value, CaseCategory.COLLECTIVE.value})

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


def split_place(text: str) -> tuple[str | None, str | None]:
    """'广东省深圳市' -> ('广东', '深圳'), 'Guangdong Shenzhen' -> ('广东', 'Shenzhen')."""
    words = re.sub(r"[,，、。.]+", " ", text).split()
    key = (words[0].lower().removesuffix("province") if words else "").replace("_", "-")
    if key in PINYIN:
        return PINYIN[key], " ".join(words[1:]) or None
    place = "".join(words)
    for province in PROVINCES:
        if place.startswith(province):
            rest = PROVINCE_SUFFIX.sub("", place[len(province):])
            city = rest.removesuffix("市") or (province if province in MUNICIPALITIES else None)
            return province, city
    return None, (place.removesuffix("市") or None)


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
    elif name in ("work_province", "work_city", "employer"):
        setattr(case, name, str(value)[:FIELDS[name].max_length])
    elif name == "summary":
        joined = "\n".join(p for p in (case.summary, str(value)) if p)
        case.summary = joined[-FIELDS["summary"].max_length:]
    elif name == "amount_owed":
        case.amount_owed = to_decimal(value)
    elif name in ("months_unpaid", "people_affected"):
        setattr(case, name, int(value))
    elif name == "voicemail":
        case.voicemail_url = str(value)
