"""Chinese translations of the carrier templates page (hotline.web.templates_admin)."""

ZH_TEMPLATES: dict[str, str] = {
    "SMS templates": "短信模板",
    "Show the texts": "展开查看这些短信",
    "This SMS carrier only sends texts it approved in advance as templates. A text with no "
    "approved template is not sent.":
        "这家短信平台只发送事先审核通过的模板短信。没有已审核模板的短信发不出去。",
    "The hotline does not send through this carrier yet: this page shows what it would need.":
        "热线目前还没有使用这家短信平台：本页列出改用它之前需要准备的模板。",
    "Texts without an approved template": "尚无已审核模板的短信",
    "Submit these to the carrier for review, then record the codes it gives. A list to submit "
    "is made by the command hotline templates draft.":
        "请把这些短信提交给短信平台审核，审核通过后登记平台给的模板编号。"
        "可在命令行运行 hotline templates draft 生成申请表。",
    "Language": "语言", "Type": "类型", "The text as it is sent (example)": "发出的短信（示例）",
    "Chinese": "中文", "English": "英文",
    "Every text the hotline sends has an approved template.":
        "热线发出的每条短信都有已审核的模板。",
    "Registered templates": "已登记的模板", "Template code": "模板编号", "Review": "审核",
    "Used by": "使用机构", "Text": "内容", "every office": "所有机构",
    "service notice": "通知短信", "promotional": "推广短信",
    "awaiting review": "审核中", "approved": "已通过", "rejected": "未通过",
    "Carrier approved it": "平台已通过", "Carrier rejected it": "平台未通过",
    "No template is registered yet.": "还没有登记任何模板。",
    "Template {code} marked approved.": "模板{code}已记为审核通过。",
    "Template {code} marked rejected: it will not be sent.":
        "模板{code}已记为未通过，不会再用它发送。",
    # the relay fallback (hotline.web.relay) and the campaign compose form (hotline.web.campaigns)
    "The SMS carrier only sends approved fixed texts, so your words were not sent as written: "
    "the worker was texted that there is a new message and to call the hotline.":
        "短信平台只能发送审核过的固定内容，您写的话没有原样发出：已短信通知工友有新消息，请致电热线。",
    "The SMS carrier has no approved template for this yet; nothing was sent to the worker.":
        "短信平台还没有审核通过的模板，消息没有发给工友，请联系管理员。",
    "Approved template": "已审核的模板", "none (write the text yourself)": "不用模板（自己写内容）",
    "Template values, one name=value a line": "模板变量，每行一个“名称=内容”",
    "On this SMS carrier a campaign must use an approved template.":
        "在这家短信平台上，群发必须使用已审核的模板。",
    "the template needs a value for {name}: add {name}=...":
        "模板需要填写变量{name}：请加一行 {name}=内容",
    "the template has no parameter {names}": "模板里没有变量{names}",
    "write a template value as name=value, not {item}": "模板变量请写成“名称=内容”，不是：{item}",
    "no approved template {code} for this office": "本机构没有已审核通过的模板{code}",
}
