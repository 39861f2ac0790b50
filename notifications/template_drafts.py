"""Every text the hotline sends, as template drafts an office submits to the carrier.

One list for both doors: `hotline templates draft --out F.csv` writes it to a file, the admin
SMS-templates page offers it as a download. Its words are Chinese (the carrier's review
console is), its headings are what `hotline templates import` reads back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from models import TemplateKind
from notifications.csv_safe import safe_writer
from notifications.providers import PROVIDER_OPT_OUT
from notifications.template_rules import check_template
from notifications.templates import FREE_TEXT, hotline_texts, parameters, template_text

# CSV columns: the key read back by `import`, and the heading the office sees.
COLUMNS = [("purpose", "用途代码"), ("language", "语言"), ("kind", "模板类型"),
           ("signature", "签名"), ("text", "模板内容"), ("variables", "变量说明"),
           ("sample", "示例短信"), ("remark", "申请说明"), ("check", "检查结果"),
           ("code", "模板CODE"), ("approval", "审核状态")]
KIND_WORDS = {TemplateKind.NOTIFICATION: "通知", TemplateKind.PROMOTIONAL: "推广"}
VARIABLE_NOTES = {
    "number": "案件编号（数字）", "lead": "集体案件编号（数字）",
    "details": "案件类别、地点、人数、金额",
    "text": "志愿者或工友写的话", "verb": "指令字母，如Y", "outcome": "办结结果，如已解决",
    "days": "天数", "reason": "转人工原因", "count": "人数", "employer": "单位名称",
    "source": "转出机构名称", "note": "转案说明", "status": "案件状态", "category": "问题类别",
    "state": "办理进度", "title": "法律时限名称", "due": "截止日期",
}
REMARK = ("工友热线是为外来务工人员服务的公益求助热线：工友发短信登记求助，志愿者跟进。"
          "本模板是系统自动发送的服务通知（案件编号、进度、回复指令），不含营销内容。")
FREE_REMARK = "变量是志愿者写给工友的原话；未获批准时，系统改发“有新消息，请致电热线”的通知。"
CAMPAIGN_REMARK = ("群发给已订阅工友的活动通知。请把括号里的文字换成活动正文后再提交；"
                   "推广短信必须以“{opt_out}”结尾。")
# What the check column says of a draft that breaks no rule.
PASSES = "符合规则"


def draft_rows(provider: str, signature: str, domains: tuple[str, ...] = (),
               fixed: dict[str, str] | None = None) -> list[dict[str, str]]:
    """One row per text the hotline sends (both languages) and one for campaigns."""
    rows = []
    for item in hotline_texts(include_free_text=True):
        text = template_text(item.text, fixed)
        found = check_template(text, item.kind, signature, domains=domains)
        rows.append({
            "purpose": item.purpose, "language": "中文" if item.language == "zh" else "英文",
            "kind": KIND_WORDS[item.kind], "signature": signature, "text": text,
            "variables": "；".join(f"{p}：{VARIABLE_NOTES.get(p, '文字')}"
                                  for p in parameters(text)),
            "sample": item.sample(fixed),
            "remark": FREE_REMARK if item.purpose in FREE_TEXT else REMARK,
            "check": "；".join(f.zh for f in found) or PASSES, "code": "", "approval": ""})
    opt_out = PROVIDER_OPT_OUT[provider]
    rows.append({"purpose": "campaign", "language": "中文", "kind": KIND_WORDS[
        TemplateKind.PROMOTIONAL], "signature": signature, "text": f"（活动内容）{opt_out}",
        "variables": "", "sample": "", "remark": CAMPAIGN_REMARK.format(opt_out=opt_out),
        "check": "请先写活动内容", "code": "", "approval": ""})
    return rows


def draft_header() -> list[str]:
    """The CSV's heading row (what `import` reads back)."""
    return [heading for _key, heading in COLUMNS]


def draft_cells(rows: Iterable[dict[str, str]]) -> list[list[str]]:
    """The drafts as CSV rows, in the order of COLUMNS."""
    return [[row[key] for key, _heading in COLUMNS] for row in rows]


def write_drafts(out: IO[str], rows: list[dict[str, str]]) -> None:
    """The drafts as CSV, heading first, no cell a spreadsheet could run as a formula."""
    writer = safe_writer(out)
    writer.writerow(draft_header())
    writer.writerows(draft_cells(rows))


def flagged(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The hotline's drafts (not the campaign row) with a rule to look at."""
    return [r for r in rows[:-1] if r["check"] != PASSES]
