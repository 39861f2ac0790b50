"""Chinese translations of consent on record (import, compose, export pages), keyed by English."""

ZH_CONSENT: dict[str, str] = {
    # contacts import (hotline.web.contacts_import)
    "How they agreed to bulk SMS": "同意接收短信的方式",
    "How these workers agreed to receive SMS (kept as evidence)":
        "这些工友是怎样同意接收短信的（作为凭证保存）",
    "Leave it empty if they did not agree in writing: they then get service notices only, "
    "never a campaign that requires consent. A column 同意来源 in the file states it row by "
    "row.":
        "如果他们没有书面同意，请留空：这样他们只会收到服务通知，不会收到“只发给同意接收的人”"
        "的群发短信。文件里加一列“同意来源”，可以逐行写明。",
    "Say in at most 120 characters how these workers agreed to receive SMS.":
        "请用不超过120个字写明这些工友是怎样同意接收短信的。",
    "Consent recorded": "已记录同意",
    # campaign compose (the audience part) and its estimate
    "Only workers who agreed to receive SMS (a sign-up sheet or 订阅 by text); having texted "
    "the hotline is not enough":
        "只发给明确同意接收短信的工友（登记表上同意，或发过“订阅”）；只给热线发过短信的不算",
    "Left out, no consent on record: {n}": "没有同意记录、不会收到的人数：{n}",
    # the auditor's export (hotline.web.consent_export)
    "Consent records": "同意记录",
    "Consent log and opt-out list for an auditor (CSV)": "给审计人员的同意记录和退订名单（CSV）",
    "When and how each worker agreed to bulk SMS or withdrew, with the evidence, and everyone "
    "who asked for no bulk SMS. Each download is written to the audit log.":
        "每位工友什么时候、以什么方式同意或撤回接收群发短信，以及凭证；还有所有要求不再接收群发"
        "短信的人。每次下载都会记入审计日志。",
    "Who counts as agreeing": "怎样算同意",
    "Texted the hotline: may receive service notices, not campaigns that require consent.":
        "给热线发过短信：可以收到服务通知，但不会收到“只发给同意接收的人”的群发短信。",
    "Signed up on a sheet (stated when importing) or texted 订阅: agreed explicitly.":
        "在登记表上同意（导入时写明）或发过“订阅”：算明确同意。",
    "Texted 退订/TD, or the phone company reported the number unsubscribed: consent "
    "withdrawn, no more bulk SMS until they text 订阅.":
        "发过“退订”/TD，或电信运营商报告该号码已退订：同意已撤回，在本人发“订阅”之前不再"
        "群发。",
    "Consent log": "同意记录", "Opt-out list": "退订名单",
    "{n} records": "{n}条", "{n} numbers": "{n}个号码",
    "Download CSV": "下载CSV",
    "consent records exported": "导出同意记录",
}

# Errors made outside the web layer (hotline.consent), merged into ZH_ERRORS.
ZH_CONSENT_ERRORS: list[tuple[str, str]] = [
    (r"consent source longer than (?P<n>\d+) characters", "同意来源超过{n}个字"),
]
