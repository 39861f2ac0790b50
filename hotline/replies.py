"""Every text the hotline says by SMS, in Chinese and English, kept short (UCS-2: 70 a segment)."""

from __future__ import annotations

import re
from decimal import Decimal

from models import Case, CaseCategory

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")

CATEGORY_NAMES = {
    "zh": {
        CaseCategory.UNKNOWN: "待分类", CaseCategory.WAGES: "欠薪", CaseCategory.INJURY: "工伤",
        CaseCategory.CONTRACT: "合同/辞退", CaseCategory.SOCIAL_INSURANCE: "社保",
        CaseCategory.OTHER_LEGAL: "法律援助", CaseCategory.COLLECTIVE: "集体欠薪",
    },
    "en": {
        CaseCategory.UNKNOWN: "unsorted", CaseCategory.WAGES: "unpaid wages",
        CaseCategory.INJURY: "work injury", CaseCategory.CONTRACT: "contract/dismissal",
        CaseCategory.SOCIAL_INSURANCE: "social insurance", CaseCategory.OTHER_LEGAL: "legal aid",
        CaseCategory.COLLECTIVE: "collective dispute",
    },
}

TEXTS = {
    "case_opened": {
        "zh": "工友热线：已收到您的求助，案件编号{number}。"
              "志愿者会尽快联系您，请保留工资条等证据。",
        "en": "Hotline: we got your message. Your case number is {number}. "
              "A volunteer will contact you soon.",
    },
    "case_followup": {
        "zh": "工友热线：已收到，已记入案件{number}。",
        "en": "Hotline: got it, added to case {number}.",
    },
    "offer_accepted": {
        "zh": "案件#{number}已分配给您，请尽快联系当事人。",
        "en": "Case #{number} is now yours. Please contact the worker soon.",
    },
    "offer_declined": {
        "zh": "已拒绝案件#{number}，谢谢告知。",
        "en": "You declined case #{number}. Thank you for telling us.",
    },
    "offer_not_yours": {
        "zh": "案件#{number}没有待您回复的邀请，未做任何更改。",
        "en": "Case #{number} has no open offer for you; nothing was changed.",
    },
    "volunteer_help": {
        "zh": "回复 Y+案件号 接受，N+案件号 拒绝，如 Y1024。",
        "en": "Reply Y + case number to accept, N + case number to decline, e.g. Y1024.",
    },
}


# Routing: offers, duty, relays, calls, outcomes, deadlines, survey, staff alerts.
TEXTS.update({
    "offer_taken": {
        "zh": "案件#{number}已由其他志愿者接手，无需回复，谢谢！",
        "en": "Case #{number} was taken by another volunteer; no need to reply. Thanks!",
    },
    "offer_withdrawn": {
        "zh": "案件#{number}已结束，无需回复，谢谢！",
        "en": "Case #{number} is finished; no need to reply. Thanks!",
    },
    "volunteer_commands": {
        "zh": "指令：Y1024接受 N1024拒绝 R1024 内容=转告工友 CALL1024通话 "
              "DONE1024 金额=办结 ON/OFF上下线",
        "en": "Commands: Y1024 accept, N1024 decline, R1024 text = message the worker, "
              "CALL1024, DONE1024 amount, ON/OFF",
    },
    "need_number": {
        "zh": "请带上案件号，如 {verb}1024。",
        "en": "Please add the case number, e.g. {verb}1024.",
    },
    "duty_on": {
        "zh": "已上线，会给您派新案件。回复 OFF 下线。",
        "en": "You are on duty and will get new cases. Reply OFF to stop.",
    },
    "duty_on_outside_shift": {
        "zh": "已上线。现在不在您的值班时间，值班时才会派案。回复 OFF 下线。",
        "en": "You are on duty; cases come during your shifts only. Reply OFF to stop.",
    },
    "staff_duty_on": {
        "zh": "已值班：有案件需人工处理时会短信通知您。回复 OFF 下班。",
        "en": "You are on duty: cases needing staff will be texted to you. Reply OFF to stop.",
    },
    "staff_duty_off": {
        "zh": "已下班，不再短信通知案件。回复 ON 值班。",
        "en": "You are off duty; no more case alerts. Reply ON to start again.",
    },
    "duty_off": {
        "zh": "已下线，不再派新案件。回复 ON 上线。",
        "en": "You are off duty; no new cases. Reply ON to start again.",
    },
    "not_assigned": {
        "zh": "案件#{number}不由您负责，未做任何更改。",
        "en": "Case #{number} is not assigned to you; nothing was changed.",
    },
    "relay_empty": {
        "zh": "请在案件号后写要转告的话，如：R{number} 明天上午联系您",
        "en": "Write the message after the number, e.g. R{number} I will call tomorrow",
    },
    "relay_sent": {"zh": "已转告#{number}工友。", "en": "Sent to the worker of #{number}."},
    "relay_to_worker": {
        "zh": "工友热线（案件{number}）志愿者：{text}",
        "en": "Hotline (case {number}) volunteer: {text}",
    },
    "staff_to_worker": {
        "zh": "工友热线（案件{number}）工作人员：{text}",
        "en": "Hotline (case {number}) staff: {text}",
    },
    # Campaigns (notifications.campaigns): the opt-out footer and answers to sign-up replies.
    "campaign_footer": {"zh": "回复TD退订", "en": "Reply TD to opt out"},
    "rsvp_signup": {"zh": "已报名，谢谢！", "en": "You are signed up, thank you!"},
    "rsvp_again": {"zh": "您已报名过了。", "en": "You are already signed up."},
    "rsvp_verified": {"zh": "谢谢，已确认您的号码。", "en": "Thank you, your number is confirmed."},
    "voicemail_to_volunteer": {
        "zh": "#{number}工友来电留言了，请在热线收件箱收听。",
        "en": "#{number}: the worker left a voicemail; play it in your hotline inbox.",
    },
    "worker_to_volunteer": {"zh": "#{number}工友：{text}", "en": "#{number} worker: {text}"},
    "call_started": {
        "zh": "稍后热线会给您来电，接听后接通#{number}工友。",
        "en": "The hotline will call you now and connect you to the worker of #{number}.",
    },
    "call_unavailable": {
        "zh": "暂时无法发起通话（未配置公网地址），请联系工作人员。",
        "en": "Calls are not available now (no public URL configured); tell the staff.",
    },
    "bridge_connecting": {
        "zh": "工友热线，正在为您接通案件{number}的工友，请稍候。",
        "en": "Hotline: connecting you to the worker of case {number}.",
    },
    "bridge_refused": {
        "zh": "此案件不由您负责，通话结束。",
        "en": "This case is not assigned to you. Goodbye.",
    },
    "outcome_recorded": {
        "zh": "案件#{number}已记录：{outcome}。谢谢您！",
        "en": "Case #{number} recorded as {outcome}. Thank you!",
    },
    "bad_amount": {
        "zh": "金额看不懂：{text}。请写数字，如 DONE {number} 12000",
        "en": "Cannot read the amount {text!r}; write e.g. DONE {number} 12000",
    },
    "survey": {
        "zh": "工友热线：案件{number}已办结。请回复1-5给服务打分（5=很满意）。",
        "en": "Hotline: case {number} is finished. Reply 1-5 to rate our help (5 = very good).",
    },
    "survey_thanks": {
        "zh": "谢谢您的评价！有新问题随时发短信给我们。",
        "en": "Thank you for your rating! Text us any time you need help.",
    },
    "staff_escalation": {
        "zh": "工友热线：案件#{number}需人工处理：{reason}",
        "en": "Hotline: case #{number} needs staff: {reason}",
    },
    "staff_collective": {
        "zh": "工友热线紧急：{count}名工友反映「{employer}」欠薪，已并为集体案件#{number}",
        "en": "Hotline URGENT: {count} workers name {employer}; collective case #{number}",
    },
    "staff_transfer": {
        "zh": "工友热线：案件#{number}由{source}转来：{note}",
        "en": "Hotline: case #{number} transferred from {source}: {note}",
    },
    "deadline_reminder": {
        "zh": "提醒：案件#{number}已{days}天无进展，请联系工友，"
              "回复 R{number} 内容 或 DONE{number}。",
        "en": "Reminder: case #{number} has had no update for {days} days.",
    },
    "monthly_reminder": {
        "zh": "提醒：案件#{number}已{days}天未联系工友，请至少每月联系一次。",
        "en": "Reminder: nobody has contacted the worker of #{number} for {days} days.",
    },
    "cannot_change": {
        "zh": "案件#{number}目前是{status}状态，未做任何更改。",
        "en": "Case #{number} is {status}; nothing was changed.",
    },
    "collective_joined": {
        "zh": "#{number}工友的雇主与集体案件#{lead}相同，已一并交给您。",
        "en": "The worker of #{number} names the employer of collective case #{lead}; "
              "now yours too.",
    },
})

# Intake flows: worker commands and the SMS conversation.
TEXTS.update({
    "worker_help": {
        "zh": "工友热线：发短信说明问题即可登记。查询+案件号 查进度，TD退订，EN English。",
        "en": "Hotline: text us your problem to open a case. STATUS 1024 = progress, "
              "STOP = no bulk SMS, ZH = Chinese.",
    },
    "opted_out": {
        "zh": "已退订群发短信。您的案件照常处理，回复 订阅 可恢复。",
        "en": "You will get no more bulk SMS. Your case is not affected. Reply START to undo.",
    },
    "opted_in": {
        "zh": "已恢复订阅工友热线通知。回复 TD 退订。",
        "en": "You will get hotline notices again. Reply STOP to stop.",
    },
    "status_of_case": {
        "zh": "案件{number}（{category}）：{state}。",
        "en": "Case {number} ({category}): {state}.",
    },
    "status_not_found": {
        "zh": "没有找到您的案件{number}，请核对案件号。",
        "en": "We found no case {number} of yours. Please check the number.",
    },
    "status_no_case": {
        "zh": "您还没有案件。发短信说明问题即可登记。",
        "en": "You have no case yet. Text us your problem to open one.",
    },
    "flow_welcome": {
        "zh": "工友热线：已收到，案件编号{number}。",
        "en": "Hotline: got it. Your case number is {number}.",
    },
    "flow_restart": {  # a quiet thread resumed at the question it was waiting on
        "zh": "工友热线：上次登记没有完成，我们接着为案件{number}登记。",
        "en": "Hotline: your last sign-up was not finished; let us go on with case {number}.",
    },
    "flow_start_again": {  # a quiet thread whose question no longer exists
        "zh": "工友热线：上次登记没有完成，我们为案件{number}重新开始登记。",
        "en": "Hotline: your last sign-up was not finished; let us start case {number} again.",
    },
    "flow_media": {
        "zh": "已收到图片，作为证据保存。",
        "en": "Got your picture; it is kept as evidence.",
    },
    "flow_language": {
        "zh": "好的，用中文。",
        "en": "OK, in English.",
    },
})


# The front door (hotline.intake, hotline.cases): texts that open no case, texts after a case
# was finished, reopening, and the staff triage queue.
TEXTS.update({
    "pleasantry_new": {  # a greeting or thanks from a number we have never heard from
        "zh": "您好，这里是工友热线。遇到欠薪、工伤等问题，请直接发短信说明情况，"
              "例如：老板欠我三个月工资。",
        "en": "Hello, this is the workers' hotline. For unpaid wages, an injury at work or "
              "other problems, text us what happened, e.g. My boss owes me 3 months' pay.",
    },
    "pleasantry_known": {  # thanks or wishes from a worker we know, with nothing open
        "zh": "工友热线：谢谢您的消息，祝您一切顺利！有问题随时发短信告诉我们。",
        "en": "Hotline: thank you for your message, all the best! Text us any time you "
              "need help.",
    },
    "after_close_thanks": {  # thanks shortly after their case was finished
        "zh": "工友热线：不客气，祝您一切顺利！已转告案件{number}的志愿者。",
        "en": "Hotline: you are welcome, all the best! We told the volunteer of case {number}.",
    },
    "after_close_noted": {  # something more on a finished case (not a new problem)
        "zh": "工友热线：已收到，已记入案件{number}并告知志愿者。"
              "如有新问题，请直接说明情况。",
        "en": "Hotline: got it; added to case {number} and its volunteer is told. "
              "For a new problem, just tell us what happened.",
    },
    "worker_wrote_after_close": {
        "zh": "#{number}工友在结案后又发来短信，请在热线查看。需要继续跟进请回复 重开{number}",
        "en": "#{number}: the worker wrote again after the case was finished; see it in the "
              "hotline. To take it up again reply REOPEN {number}",
    },
    "case_reopened": {
        "zh": "案件#{number}已重新打开，请继续跟进。",
        "en": "Case #{number} is open again; please follow it up.",
    },
    "not_finished": {
        "zh": "案件#{number}还在办理中，无需重开。",
        "en": "Case #{number} is still open; nothing to reopen.",
    },
    "staff_triage": {
        "zh": "工友热线紧急：案件#{number}还不清楚是什么问题，请尽快分类。",
        "en": "Hotline URGENT: case #{number} has no known problem yet; please sort it.",
    },
})


# Legal deadlines (hotline.legal_clocks): reminders to the case's volunteer, alerts to staff.
TEXTS.update({
    "legal_deadline_reminder": {
        "zh": "提醒：案件#{number}的{title}还剩{days}天（{due}届满），请尽快帮工友申请。",
        "en": "Reminder: case #{number}: {title} ends {due} ({days} days left). "
              "Please help the worker act in time.",
    },
    "legal_deadline_today": {
        "zh": "紧急：案件#{number}的{title}今天（{due}）届满，请立即帮工友申请。",
        "en": "URGENT: case #{number}: {title} ends today ({due}). Please act now.",
    },
    "staff_legal_deadline": {
        "zh": "工友热线：案件#{number}无人负责，{title}还剩{days}天（{due}届满），请尽快安排。",
        "en": "Hotline: nobody holds case #{number}; {title} ends {due} ({days} days left).",
    },
    "staff_legal_deadline_passed": {
        "zh": "工友热线：案件#{number}的{title}已于{due}届满，请核实是否已申请并告知工友。",
        "en": "Hotline: case #{number}: {title} ended {due}. Check whether the worker applied.",
    },
})

def detect_language(text: str, default: str = "zh") -> str:
    """Guess the reply language from the script of the worker's text."""
    if CJK.search(text or ""):
        return "zh"
    if LATIN.search(text or ""):
        return "en"
    return default


def say(key: str, lang: str, **fields: object) -> str:
    """The text `key` in `lang` (falling back to Chinese) with its fields filled in."""
    variants = TEXTS[key]
    return variants.get(lang, variants["zh"]).format(**fields)


def offer_text(case: Case, lang: str = "zh") -> str:
    """The offer SMS: case number, category, place, people, amount; never the worker's phone."""
    names = CATEGORY_NAMES.get(lang, CATEGORY_NAMES["zh"])
    place = case.work_city or case.work_province or ""
    amount = _amount(case.amount_owed)
    if lang == "en":
        parts = [f"New case #{case.number}", names[case.category], place,
                 f"{case.people_affected} people" if case.people_affected > 1 else "",
                 f"~¥{amount}" if amount else "",
                 f"Reply Y{case.number} to accept, N{case.number} to decline"]
    else:
        parts = [f"新案件 #{case.number}", names[case.category], place,
                 f"{case.people_affected}人" if case.people_affected > 1 else "",
                 f"约¥{amount}" if amount else "",
                 f"回复 Y{case.number} 接受 N{case.number} 拒绝"]
    from hotline.legal_clocks import offer_note  # here: legal_clocks reads this module's texts

    parts.insert(-1, offer_note(case, lang, " ".join(p for p in parts if p)))
    return " ".join(p for p in parts if p)


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
