"""Chinese translations of the case page and dashboard pages, keyed by the English text."""

ZH_CASE: dict[str, str] = {
    # the summary card
    "about {n} people": "约{n}人", "{n} people": "{n}人",
    "Still employed": "是否在职", "yes, still working": "仍在职", "no, has left": "已离职",
    "Left the job on": "离职日期", "Injured on": "受伤日期", "Where it happened": "受伤地点",
    "In hospital": "是否住院", "yes": "是", "no": "否",
    "Employer pays treatment": "老板是否付医药费", "Work-injury recognition": "工伤认定",
    "applied for": "已申请", "not applied for": "未申请",
    "Dismissed or contract ended on": "辞退或合同结束日期", "Written contract": "书面劳动合同",
    "has one": "有", "no written contract": "没有", "Insurance": "险种",
    "Months not paid in": "未缴月数",
    "{n} days left (until {day})": "还剩{n}天（{day}截止）", "passed on {day}": "已于{day}过期",
    "needs information": "需要补充信息", "not running": "尚未开始计算",
    "the worker said: {words}": "工友原话：{words}", "Hometown": "老家",
    "Months unpaid": "欠薪月数", "Legal deadlines": "法律时限", "Held by": "负责人",
    "nobody yet": "还没有志愿者接手", "In the worker's words": "工友原话",
    "Phone call": "电话", "Web": "网页", "SMS": "短信",
    # the conversation
    "Conversation": "对话", "Volunteer {name}": "志愿者 {name}", "Staff {name}": "工作人员 {name}",
    "System": "系统", "Hotline": "热线自动回复",
    "texted the hotline: {text}": "发短信给热线：{text}",
    "{n} s": "{n}秒", "{n} photos or files": "{n}张照片或文件", "Earlier messages": "更早的消息",
    "Back to the newest messages": "回到最新消息",
    "Note": "备注", "answered automatically": "已自动回复",
    "forwarded to the volunteer's phone": "已转发到志愿者手机",
    "Intake questions: {n} messages, the answers are in the summary above":
        "登记问答（{n}条短信），回答已整理在上方摘要中",
    "Show the questions and answers": "查看问答原文", "{n} system events": "{n}条系统记录",
    "Text the worker…": "给工友发短信…",
    "Write a note (only the office and volunteers see it)…": "写备注（只有机构和志愿者能看到）…",
    # the dashboard
    "Waiting for staff": "等待工作人员处理",
    "Escalated: no volunteer has it": "已转人工：没有志愿者接手",
    "All {n} escalated cases": "查看全部{n}个转人工案件",
    "To sort: the problem is not known yet": "待分类：还不清楚是什么问题",
    "(no description)": "（没有描述）", "Texts in the inbox: {n}": "收件箱短信：{n}条",
    "open the triage page": "打开分类页面",
    "Reopen the case": "重新打开案件", "Case reopened.": "案件已重新打开。",
    "Only a finished case can be reopened.": "只有已办结、已转介或已结案的案件才能重新打开。",
}
