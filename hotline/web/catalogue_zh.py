"""Chinese translations of the web UI, keyed by the English text (the message id).

tests/test_web_i18n.py fails when a template or view uses a message id missing here.
"""

ZH: dict[str, str] = {
    # layout and login
    "Workers' Hotline": "工友热线",
    "Dashboard": "总览", "Cases": "案件", "Volunteers": "志愿者", "Campaigns": "群发短信",
    "Opt-outs": "退订名单", "Report": "月报", "Audit": "审计", "Inbox": "我的任务",
    "Log in": "登录", "Log out": "退出", "Username": "用户名", "Password": "密码",
    "Enter your username and password.": "请输入用户名和密码。",
    "Too many failed attempts. Wait 15 minutes and try again.": "失败次数过多，请15分钟后再试。",
    "Wrong username or password.": "用户名或密码错误。",
    "You have logged out.": "您已退出。",
    "The form expired or was not sent from this site. Go back and try again.":
        "表单已过期或并非从本站提交，请返回重试。",
    "Previous": "上一页", "Next": "下一页", "Page {page} of {pages}": "第{page}页，共{pages}页",
    "Nothing yet.": "暂无记录。", "None.": "无。",
    # case facts and timeline
    "Case": "案件", "Status": "状态", "urgent": "紧急", "Category": "类别", "Worker": "工友",
    "(no name)": "（未留姓名）", "Employer": "用人单位", "Place of work": "务工地",
    "People affected": "涉及人数", "Wages owed": "被欠工资", "{n} months": "{n}个月",
    "Recovered": "已追回", "Volunteer": "志愿者", "Opened": "立案时间", "Summary": "情况摘要",
    "segments": "条", "photos or files": "个图片或文件", "Call": "通话",
    "Play recording": "播放录音", "Timeline": "案件记录",
    "Show full number": "显示完整号码", "viewed; logged": "已查看，已记录",
    " people": "人",
    # staff case page and list
    "Actions": "操作", "Change status": "更改状态", "Reason (optional)": "原因（可选）",
    "Save status": "保存状态", "Give to volunteer": "分配给志愿者", "Reassign": "重新分配",
    "Transfer to partner organisation": "转交合作机构", "Why (required)": "转交原因（必填）",
    "Transfer": "转交", "Write a note…": "写备注…", "Add note": "添加备注",
    "Number, employer, city, text": "编号、单位、城市、内容", "All open": "全部未结",
    "All": "全部", "Any category": "全部类别", "Any urgency": "全部紧急程度",
    "Any volunteer": "全部志愿者", "Filter": "筛选", "No cases match.": "没有符合条件的案件。",
    "Status not changed: {reason}": "状态未更改：{reason}", "Status changed.": "状态已更改。",
    "The recording could not be fetched: {reason}": "无法取回录音：{reason}",
    "Choose a volunteer of your organisation.": "请选择本机构的志愿者。",
    "Not reassigned: {reason}": "未能重新分配：{reason}",
    "Case given to {name}.": "案件已分配给{name}。",
    "Case transferred.": "案件已转交。", "Choose a partner organisation.": "请选择合作机构。",
    "Say why the case is transferred.": "请说明转交原因。",
    "A note must have between 1 and 4000 characters.": "备注须为1至4000字。",
    # dashboard
    "New cases per day, by category (30 days)": "每日新案件（按类别，近30天）",
    "Open and finished cases": "未结与已结案件", "open": "未结", "finished": "已结",
    "Wages claimed and recovered (yuan)": "主张工资与追回工资（元）", "claimed": "主张",
    "recovered": "追回", "Cases by place of work": "按务工地统计",
    "Volunteers on duty and their open cases": "在岗志愿者及其在办案件",
    "Collective-dispute alerts": "集体欠薪预警",
    "Deadline breaches: no update for {days} days": "超期：{days}天无进展", "nobody": "无人",
    "Campaigns in flight": "发送中的群发", "No campaign is sending.": "没有正在发送的群发。",
    # volunteers, opt-outs, audit
    "Name": "姓名", "Phone": "电话", "Skills": "专长", "Languages": "语言/方言",
    "Regions": "服务地区", "Shifts": "值班时间", "Load": "负荷", "On duty": "在岗",
    "Go on duty": "上线接案", "Go off duty": "下线",
    "Off duty": "离岗", "any time": "随时", "No volunteers yet.": "还没有志愿者。",
    "{name} is now on duty.": "{name}已上岗。", "{name} is now off duty.": "{name}已离岗。",
    "These workers asked for no bulk SMS (TD, 退订, STOP). Campaigns never text them.":
        "以下工友已退订群发短信（TD、退订、STOP），群发不会再发给他们。",
    "Language": "语言", "Opted out": "退订时间", "Nobody has opted out.": "还没有人退订。",
    "Audit log": "审计日志",
    "Every view of a worker's full number or recording, and every export.":
        "每次查看工友完整号码或录音、每次导出都记录在此。",
    "When": "时间", "Who": "人员", "What": "操作", "Detail": "详情",
    # monthly report
    "Monthly report": "月度报告", "Month": "月份", "Show": "查看", "Download CSV": "下载CSV",
    "Month must look like 2024-05.": "月份格式应为 2024-05。",
    "Workers served": "服务工友人数", "First-time contacts": "首次来电/来信人数",
    "Consultations (SMS and calls in)": "咨询量（来信与来电）", "calls": "通电话",
    "Cases opened": "新立案件", "Cases finished": "办结案件",
    "Wages claimed (new cases)": "主张工资（新案件）",
    "Wages recovered (cases finished)": "追回工资（办结案件）", "Satisfaction": "满意度",
    "satisfied (4–5 of 5)": "满意（5分制4–5分）", "answers": "份回答",
    "no survey answers this month": "本月无满意度回复", "Cases by category": "按类别统计案件",
    # volunteer inbox
    "Hello, {name}": "{name}，您好", "Offers waiting for you": "待您回复的派单",
    "Answer before {time}": "请在{time}前回复", "Accept": "接受", "Decline": "拒绝",
    "No offers right now.": "目前没有派单。", "My open cases": "我的在办案件", "updated": "更新于",
    "changed": "已更新", "texts in": "条短信",
    "You may not open this page.": "您无权打开此页面。",
    "This page does not exist, or it is not yours to see.": "此页面不存在，或不在您的权限内。",
    "Back to the start page": "返回首页",
    "No open cases.": "没有在办案件。", "Recently finished": "最近办结",
    "This case is offered to you.": "此案件已派给您，请决定是否接受。",
    "Reach the worker": "联系工友",
    "The worker sees the hotline number, never yours; you never see theirs.":
        "工友只看到热线号码，看不到您的号码；您也看不到工友的号码。",
    "Call through the hotline": "通过热线拨打", "Text the worker": "给工友发短信",
    "Send through the hotline": "通过热线发送",
    "Calls through the hotline need PUBLIC_URL to be set.":
        "需要先设置 PUBLIC_URL 才能通过热线拨打。",
    "Outcome": "办理结果", "Money recovered (yuan)": "追回金额（元）",
    "What happened (optional)": "办理情况（可选）", "Save outcome": "保存结果", "Notes": "备注",
    "Someone else took case {number} first.": "案件{number}已被其他志愿者接受。",
    "Case {number} is no longer offered to you.": "案件{number}已不再派给您。",
    "Case {number} is yours now.": "案件{number}已分配给您。",
    "You declined case {number}.": "您已拒绝案件{number}。",
    "Choose an outcome.": "请选择办理结果。",
    "Outcome not saved: {reason}": "结果未保存：{reason}",
    "amount must be yuan, e.g. 12000 or 1.2万": "金额须为元，例如 12000 或 1.2万",
    "Outcome saved.": "结果已保存。",
    "The hotline is calling your phone now.": "热线正在拨打您的电话。",
    "Your text is on its way to the worker.": "短信正在发给工友。",
    "Write the text to send.": "请填写短信内容。",
    "A text may have at most {n} characters.": "短信最多{n}个字。",
    # campaigns
    "New campaign": "新建群发", "No campaigns yet.": "还没有群发。", "Progress": "进度",
    "Text in Chinese": "中文内容", "Text in English": "英文内容", "Texts": "短信内容",
    "Placeholders: {name}, {case_number}, {city}; a fallback after | is used when a worker "
    "has none, e.g. {name|工友}.":
        "可用占位符：{name}、{case_number}、{city}；竖线后为缺省值，例如 {name|工友}。",
    "Signature": "签名", "Add the opt-out footer (回复TD退订)": "加退订提示（回复TD退订）",
    "Default language": "默认语言", "Price per segment (yuan)": "每条计费单价（元）",
    "Price per segment must be a number.": "单价须为数字。",
    "Sign-up keywords (comma-separated)": "报名关键词（逗号分隔）", "Quiet hours": "免打扰时段",
    "Audience": "发送对象", "Home provinces (comma-separated)": "户籍省份（逗号分隔）",
    "Work cities (comma-separated)": "务工城市（逗号分隔）",
    "Tags (comma-separated)": "标签（逗号分隔）",
    "Has a case of category": "有此类案件", "Open case": "在办案件", "any": "不限",
    "has an open case": "有在办案件", "no open case": "无在办案件",
    "Save and preview": "保存并预览", "Write a text to see its length.": "输入内容后显示条数。",
    "units": "字符单位", "per person": "每人", "person": "人",
    "the filter is not valid": "筛选条件无效",
    "workers (opted-out never counted)": "位工友（已退订者不计）",
    "Give the campaign a name (up to 120 characters).": "请填写群发名称（最多120字）。",
    "Campaign not saved: {reason}": "群发未保存：{reason}",
    "Not done: {reason}": "未执行：{reason}",
    "The time must look like 2024-05-01T09:30.": "时间格式应为 2024-05-01T09:30。",
    "Send at (empty = now)": "定时发送（留空则立即发送）", "Send": "发送", "Pause": "暂停",
    "Resume": "继续", "Cancel": "取消", "Fix before sending": "发送前请先修改",
    "Preview": "预览", "Recipients": "接收人数", "Segments": "计费条数", "Cost": "费用",
    "Total": "合计", "Delivered": "已送达", "Sign-ups": "报名人数", "Failures": "失败",
    "quiet hours until": "免打扰至",
    # campaign and recipient statuses (shown through _(status))
    "draft": "草稿", "scheduled": "已定时", "sending": "发送中", "paused": "已暂停",
    "done": "已完成", "cancelled": "已取消", "pending": "待发送", "unknown": "待核实",
    "accepted": "已受理", "sent": "已发出", "delivered": "已送达", "undelivered": "未送达",
    "failed": "失败", "opted_out": "已退订",
    "Campaign name": "群发名称", "Campaign report": "群发报告",
    "Opt-outs (before + after sending)": "退订（发送前 + 发送后）",
    # merge cases, volunteer import and profile, flows (staff_volunteers.py, staff_flows.py)
    "Duplicate: merge this case into case #": "重复案件：将本案并入案件 #", "Merge": "合并",
    "Same worker or same collective dispute. Its messages and calls move there; this case is "
    "closed.": "须为同一工友或同一集体案件。本案的短信和通话将移到该案，本案随即结案。",
    "Not merged: {reason}": "未合并：{reason}",
    "There is no case #{number} in your queue.": "您的案件中没有 #{number}。",
    "Case #{number} merged into #{into}: {messages} messages and {calls} calls moved.":
        "案件 #{number} 已并入 #{into}：移入 {messages} 条短信、{calls} 次通话。",
    "Import volunteers": "导入志愿者", "Import": "导入", "CSV file": "CSV 文件",
    "A CSV file with a header row. Columns: name, phone (required), languages, dialects, "
    "home_province, regions, skills, capacity, shifts, timezone, on_duty, organisation. A phone "
    "already known updates that volunteer.":
        "CSV 文件须有表头。列：name、phone（必填）、languages、dialects、home_province、regions、"
        "skills、capacity、shifts、timezone、on_duty、organisation。已有的手机号会更新该志愿者。",
    "Dry run: check only, save nothing": "试运行：只检查，不保存",
    "Dry run: nothing was saved.": "试运行：未保存任何内容。",
    "Choose a CSV file of at most 2 MB.": "请选择不超过 2 MB 的 CSV 文件。",
    "Result": "结果", "volunteers imported": "位志愿者已导入", "new": "新增",
    "New organisations": "新建机构", "Rows not imported": "未导入的行", "Line": "行",
    "Column": "列", "Problem": "问题", "Dialects": "方言", "Home province": "籍贯省份",
    "Capacity (open cases at once)": "同时处理案件上限", "Weekly shifts": "每周值班时间",
    "Empty = any time while on duty.": "留空 = 在岗期间任何时间。", "Time zone": "时区",
    "Organisation": "机构", "Save": "保存", "Back": "返回",
    "Money recovered (yuan), when finishing": "追回金额（元，结案时填写）",
    "money recovered goes with resolved, referred or closed":
        "追回金额须在案件办结、转介或关闭时填写",
    # my account (staff phone, duty, password)
    "My account": "我的账号", "Duty": "值班", "Mobile number": "手机号",
    "On duty: text me when a case of my organisation escalates": "值班：本机构案件升级时短信通知我",
    "Change password": "修改密码", "Current password": "当前密码",
    "New password (at least {n} characters)": "新密码（至少{n}个字符）",
    "New password again": "再次输入新密码",
    "Your other sessions (other browsers, phones) will end.":
        "您在其他浏览器、手机上的登录将失效。",
    "Not saved: {reason}": "未保存：{reason}",
    "Give your mobile number to go on duty: escalations are texted to it.":
        "值班须填写手机号：案件升级时会短信通知您。",
    "You are on duty.": "您已上岗值班。", "You are off duty.": "您已下岗。",
    "Your current password is wrong.": "当前密码错误。",
    "The two new passwords differ.": "两次输入的新密码不一致。",
    "The new password must have at least {n} characters.": "新密码至少须有{n}个字符。",
    "Password changed. Your other sessions have ended.": "密码已修改，您的其他登录已失效。",
    "{name}'s profile is saved.": "{name} 的资料已保存。",
    "Flows": "流程", "read-only; edit the files in ivr_flows/flows/ and run hotline flows check":
        "只读；请修改 ivr_flows/flows/ 中的文件并运行 hotline flows check",
    "start": "起点", "flows check found {n} problem(s)": "flows check 发现 {n} 个问题",
    "flows check: OK": "flows check：通过", "missing node": "节点不存在",
    "(see above)": "（见上文）", "saves": "保存为", "only": "仅限",
    "Not reachable from the start": "从起点无法到达", "No flow files.": "没有流程文件。",
    # routing: why this volunteer (score breakdown on the staff timeline)
    "Score": "匹配得分", "skill": "技能", "dialect": "方言", "language": "语言",
    "home province": "同乡", "same city": "同城", "same province": "同省", "load": "负荷",
    "fairness": "轮候", "round": "轮次",
    "transferred from {name}, which still follows it": "由{name}转来，{name}仍可查看和跟进",
    "held before by {names}, which still follow it": "曾由{names}办理，它们仍可查看和跟进",
    # finished cases in the volunteer inbox
    "Case {number} is finished; ask the office to reopen it.":
        "案件{number}已办结，如需继续处理请联系机构重新开启。",
    "This case is {status}: the worker can no longer be reached from here and its outcome is final. Ask the office to reopen it.":  # noqa: E501
        "此案件{status}：不能再从这里联系工友，办理结果已确定。如需继续处理请联系机构重新开启。",
    # Campaigns: re-check campaigns and number status in audiences; per-language cost.
    "Number re-check: a reply of 1 confirms the number, no reply marks it stale":
        "号码核实：回复1确认号码，未回复的标记为失效",
    "Numbers": "号码状态", "leave out numbers found stale": "排除已失效号码",
    "confirmed numbers only": "只发已确认号码", "about": "约",
    # dashboard: deadline breaches
    "Deadline breaches": "超期案件",
    "reminded {time}, no update since": "已于{time}提醒，之后无进展",
    "no update for {days} days (last {time})": "超过{days}天无进展（最后：{time}）",
    "worker not contacted for {days} days (last {time})": "超过{days}天未联系工友（最后：{time}）",
}


# Errors made outside the web layer (models, CSV import, merging) reach pages in English: each
# pattern below (a regular expression over the English text) is replaced by its Chinese form;
# {name} fills in the group of that name. Matched anywhere in a message, so a flash such as
# "状态未更改：case 1001: assigned -> offered is not allowed" is translated as a whole.
ZH_ERRORS: list[tuple[str, str]] = [
    # case lifecycle (models.case.InvalidTransition, hotline.web.casework)
    (r"case (?P<n>\d+): (?P<old>[a-z_]+) -> (?P<new>[a-z_]+) is not allowed",
     "案件{n}不能从“{old}”改为“{new}”"),
    (r"case (?P<n>\d+) is (?P<status>resolved|referred|closed)", "案件{n}{status}"),
    # merging (hotline.casework_merge)
    (r"case #(?P<n>\d+) cannot be merged into itself", "案件#{n}不能合并到自身"),
    (r"case #(?P<n>\d+) is already closed", "案件#{n}已结案"),
    (r"case #(?P<n>\d+) is closed; merge into an open case", "案件#{n}已结案，请合并到未结案件"),
    (r"cases #(?P<a>\d+) and #(?P<b>\d+) are of different workers and not of the same "
     r"collective dispute", "案件#{a}和#{b}属于不同工友，且不在同一集体案件中"),
    (r"case #(?P<n>\d+) is the collective dispute of (?P<m>\d+) case\(s\); merge case "
     r"#(?P<s>\d+) into it instead", "案件#{n}是{m}个案件所属的集体案件，请把案件#{s}合并进来"),
    (r"case not found", "找不到该案件"),
    # volunteer CSV import and profile form (hotline.volunteer_import, models.volunteer)
    (r"required column\(s\) missing", "缺少必填列"),
    (r"unknown column \(known: (?P<known>[^)]*)\)", "未知列（可用：{known}）"),
    (r"same phone as line (?P<line>\d+)", "与第{line}行手机号重复"),
    (r"name is empty", "姓名为空"),
    (r"unknown language (?P<v>'[^']*'|\"[^\"]*\") \(zh, en, or a dialect in dialects\)",
     "未知语言 {v}（可填 zh、en，方言请填在 dialects 列）"),
    (r"unknown skill\(s\) (?P<v>.+?); use (?P<known>[a-z_, ]+)", "未知技能 {v}；可用：{known}"),
    (r"capacity must be a whole number 1-(?P<max>\d+), not (?P<v>'[^']*')",
     "同时处理案件上限须为1到{max}的整数，而不是{v}"),
    (r"on_duty must be yes/no, not (?P<v>'[^']*')", "on_duty 须为 yes 或 no，而不是{v}"),
    (r"unknown time zone (?P<v>'[^']*') \(use e\.g\. Asia/Shanghai\)",
     "未知时区 {v}（例如 Asia/Shanghai）"),
    (r"unknown day (?P<v>'[^']*') \(use mon\.\.sun or 周一\.\.周日\)",
     "未知星期 {v}（请用 mon..sun 或 周一..周日）"),
    (r"shift (?P<v>'[^']*') is not like 'mon-fri 09:00-18:00'",
     "值班时间 {v} 格式不对，应如 'mon-fri 09:00-18:00'"),
    (r"bad time (?P<t>'[^']*') in shift (?P<v>'[^']*')", "值班时间 {v} 中的时间 {t} 无效"),
    (r"empty phone number", "手机号为空"),
    (r"phone number too long \((?P<n>\d+) characters\)", "手机号过长（{n}个字符）"),
    (r"not a possible phone number: (?P<v>'[^']*')", "不是有效的手机号：{v}"),
    (r"not a phone number: (?P<v>'[^']*') \(.*\)", "不是手机号：{v}"),
    (r"belongs to a volunteer of another organisation", "属于其他机构的志愿者"),
    (r"must be blank or (?P<org>.+)", "须留空或填写“{org}”"),
    (r"unknown organisation", "未知机构"),
    # reading CSV files (notifications.csv_rows)
    (r"the file is neither UTF-8 nor GB18030 text \(byte (?P<b>\d+)\): save it as CSV "
     r"\(UTF-8\) and try again",
     "文件既不是UTF-8也不是GB18030文本（第{b}字节）：请另存为CSV（UTF-8）后重试"),
    (r"the file holds binary data \(NUL bytes\): is it an Excel \.xlsx\? save it as CSV "
     r"\(UTF-8\) and try again",
     "文件含二进制数据：是Excel的.xlsx文件吗？请另存为CSV（UTF-8）后重试"),
    (r"lines (?P<a>\d+)-(?P<b>\d+) read as one row: a quote \(\"\) is not closed; fix it and "
     r"import these lines again",
     "第{a}至{b}行被读成了一行：有引号（\"）没有闭合，改正后请重新导入这些行"),
    (r"binary data \(NUL byte\) in this row", "此行含二进制数据（NUL字节）"),
    (r"unreadable CSV row: (?P<e>.*)", "无法读取的CSV行：{e}"),
]

# Pages with catalogues of their own, merged into the one the UI reads.
from hotline.web.catalogue_zh_case import ZH_CASE  # noqa: E402
from hotline.web.catalogue_zh_consent import ZH_CONSENT, ZH_CONSENT_ERRORS  # noqa: E402
from hotline.web.catalogue_zh_manage import ZH_MANAGE, ZH_MANAGE_ERRORS  # noqa: E402
from hotline.web.catalogue_zh_privacy import ZH_PRIVACY  # noqa: E402
from hotline.web.catalogue_zh_templates import ZH_TEMPLATES  # noqa: E402

for _catalogue in (ZH_CASE, ZH_MANAGE, ZH_PRIVACY, ZH_TEMPLATES, ZH_CONSENT):
    ZH.update(_catalogue)
# The consent errors are more specific than the general ones: they are tried first.
ZH_ERRORS[:0] = ZH_CONSENT_ERRORS
ZH_ERRORS.extend(ZH_MANAGE_ERRORS)
