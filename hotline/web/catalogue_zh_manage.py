"""Chinese translations of case editing, triage, accounts and import, keyed by English.

Also the Chinese forms of the timeline lines a staff correction writes (merged into the event
catalogue) and of the contact importer's row errors (merged into ZH_ERRORS).
"""

from hotline.replies import CATEGORY_NAMES

ZH_MANAGE: dict[str, str] = {
    # navigation
    "Triage": "待分类", "Import contacts": "导入联系人", "Accounts": "账号管理",
    # correcting a case (hotline.web.case_edit)
    "Correct case #{number}": "修改案件#{number}", "Correct the case": "修改案件信息",
    "Urgency": "紧急程度", "normal": "普通", "Province": "省份", "City": "城市",
    "The worker said: {words}": "工友原话：{words}",
    "Wages owed (yuan)": "被欠工资（元）",
    "Approximate count (the worker said e.g. 十几个人)": "人数是估计的（如工友说“十几个人”）",
    "Details: {category}": "详细情况：{category}", "not known": "不清楚",
    "Still working there": "是否仍在该单位上班", "Left the job on": "离职日期",
    "Injured on": "受伤日期", "Where it happened": "受伤地点", "In hospital": "是否住院",
    "Employer pays the treatment": "单位是否支付治疗费",
    "Work-injury recognition applied for": "是否已申请工伤认定",
    # "Dismissed or contract ended on", "Written contract", "Months not paid in": ZH_CASE
    "Which insurance": "哪种保险",
    "Every change is written on the case's timeline with your name.":
        "每项修改都会以您的名字记入案件记录。",
    "Nothing was saved: correct the fields marked below.": "未保存：请改正下面标出的内容。",
    "Nothing changed.": "没有修改任何内容。",
    "Saved: {n} change(s) are on the timeline.": "已保存：{n}项修改已记入案件记录。",
    "The case is now in another office's queue.": "案件现已转入其他机构的队列。",
    "The amount cannot be negative.": "金额不能为负数。",
    "Write the amount in yuan, e.g. 12000 or 1.2万.": "请填写金额（元），如 12000 或 1.2万。",
    "The number cannot be negative.": "数字不能为负数。",
    "Write a whole number, e.g. 3.": "请填写整数，如 3。",
    "Write a number from {low} to {high}.": "请填写{low}到{high}之间的数字。",
    "Write the date as 2024-05-31.": "日期格式应为 2024-05-31。",
    "The date cannot be in the future.": "日期不能晚于今天。",
    "Choose yes or no.": "请选择“是”或“否”。",
    "Choose one of the listed insurances.": "请从列表中选择保险种类。",
    "Choose one of the listed values.": "请从列表中选择。",
    "{city} is in {province}: correct the province or the city.":
        "{city}在{province}：请改正省份或城市。",
    # triage (hotline.web.triage)
    "Cases waiting to be sorted": "等待分类的案件",
    "Nobody has said what the problem is yet, so no volunteer has been asked. Choose the "
    "problem and the case is routed.":
        "工友还没说明是什么问题，所以还没有派给志愿者。选择问题类别后案件会自动派单。",
    "No case is waiting to be sorted.": "没有等待分类的案件。",
    "Texts that opened no case": "未立案的短信",
    "Thanks, greetings and texts after a finished case wait here. Open a case, add the text "
    "to a case, or dismiss it.":
        "感谢、问候以及案件办结后发来的短信都在这里。可以立案、并入已有案件或忽略。",
    "sort later": "稍后分类", "Open a case": "立案", "Case number": "案件编号",
    "Add to case": "并入案件", "Dismiss": "忽略", "The inbox is empty.": "收件箱是空的。",
    "Case #{number} sorted as {category}.": "案件#{number}已分类为{category}。",
    "Case #{number} is finished; reopen it on its page first.":
        "案件#{number}已办结，请先在案件页重新打开。",
    "This text has no known sender, so it cannot open a case.": "这条短信发件人不明，无法立案。",
    "Case #{number} opened from the text.": "已根据短信立案：案件#{number}。",
    "Case #{number} belongs to another office: the text stays in the inbox.":
        "案件#{number}属于其他机构，短信仍留在收件箱。",
    "The text was added to case #{number}.": "短信已并入案件#{number}。",
    "The text was dismissed.": "短信已忽略。",
    # accounts (hotline.web.users_admin, hotline.web.account)
    "Role": "角色", "administrator": "管理员", "staff": "工作人员", "volunteer": "志愿者",
    "Last login": "最近登录", "active": "正常", "disabled": "已停用",
    "New account": "新建账号", "Name shown in the console": "显示名称",
    "Volunteer (volunteer logins only)": "对应的志愿者（仅志愿者账号）",
    "Password (at least {n} characters)": "密码（至少{n}个字符）", "Password again": "再次输入密码",
    "Create account": "创建账号", "All accounts": "全部账号", "Account": "账号",
    "New password": "新密码", "Set new password": "设置新密码", "Access": "登录权限",
    "Every session of this account ends: it must log in again.":
        "该账号所有已登录的会话都会结束，需要重新登录。",
    "Disable account": "停用账号", "Enable account": "启用账号",
    "A username has 1 to 80 characters and no spaces.": "用户名须为1到80个字符，不能有空格。",
    "This username is taken.": "该用户名已被使用。", "Choose a role.": "请选择角色。",
    "Choose an organisation from the list.": "请从列表中选择机构。",
    "Only a volunteer login is linked to a volunteer.": "只有志愿者账号才对应志愿者。",
    "Choose the volunteer this login acts for (one login per volunteer).":
        "请选择该账号对应的志愿者（每位志愿者只能有一个账号）。",
    "The two passwords differ.": "两次输入的密码不一致。",
    "The password must have at least {n} characters.": "密码至少需要{n}个字符。",
    "Account {name} created.": "账号{name}已创建。", "Account {name} saved.": "账号{name}已保存。",
    "New password set for {name}; every session of it has ended.":
        "已为{name}设置新密码，该账号所有会话均已结束。",
    "You cannot disable your own account.": "不能停用自己的账号。",
    "{name} can log in again.": "{name}可以重新登录了。",
    "{name} is disabled: every session has ended.": "{name}已停用，所有会话均已结束。",
    # the audit log (staff/audit.html)
    "Also every correction of a case, every sorting in triage, every change to an account and "
    "every contacts import.": "以及每次修改案件、每次分类、每次账号变更和每次导入联系人。",
    "full number viewed": "查看完整号码", "recording played": "播放录音",
    "report exported": "导出报告", "logged in": "登录", "case corrected": "修改案件",
    "triage": "分类", "account changed": "账号变更", "own password changed": "修改自己的密码",
    "contacts imported": "导入联系人",
    "worker's data erased": "删除工友个人信息", "worker's data exported": "导出工友个人信息",
    # contacts import (hotline.web.contacts_import)
    "A CSV file with a header row. Columns: phone (手机号, required), name, language, "
    "home_province, work_province, work_city, tags, timezone.":
        "带标题行的CSV文件。列：手机号（必填）、姓名、语言、籍贯、务工省份、务工城市、标签、时区。",
    "Excel files: choose Save As, CSV UTF-8. A row already imported for the same phone is "
    "updated, not doubled.":
        "Excel文件请“另存为”CSV（UTF-8）。同一手机号已导入过的，会更新而不会重复。",
    "Organisation (its staff may then text these contacts)": "机构（其工作人员可向这些联系人群发）",
    "The contacts are imported for {org}: its campaigns may text them.":
        "联系人将导入到{org}，本机构的群发可以发给他们。",
    "This is a spreadsheet, not a CSV: in Excel choose Save As, CSV UTF-8, and upload that "
    "file.": "这是电子表格，不是CSV：请在Excel中“另存为”CSV（UTF-8）后上传。",
    "Choose a CSV file of at most 20 MB.": "请选择不超过20MB的CSV文件。",
    "The file was not imported: {reason}": "文件未导入：{reason}",
    "Rows read": "读取行数", "New contacts": "新增联系人", "Contacts updated": "更新联系人",
    "Rows repeating a phone (merged)": "手机号重复的行（已合并）", "Rows rejected": "被拒绝的行",
    "Rejected rows: fix them and import these rows again": "被拒绝的行：请改正后重新导入这些行",
    "Value": "内容", "…and {n} more rejected rows.": "……另有{n}行被拒绝。",
    "Province of work": "务工省份", "City of work": "务工城市", "Tags": "标签",
}

# Timeline lines of a staff correction ("张三 changed employer from “三个月” to “某厂”"):
# choices (category, urgency, yes/no) are translated, people's words and numbers are kept.
EDIT_EVENT_GROUPS = frozenset({"was_word", "now_word"})
CHOICE_FIELDS = ("category", "urgency", "approximate count", "still employed", "in hospital",
                 "employer pays treatment", "injury claim filed", "written contract")
ZH_EDIT_EVENTS: list[tuple[str, str]] = [
    (rf"(?P<who>.+?) changed (?P<field>{'|'.join(CHOICE_FIELDS)}) from “(?P<was_word>[^”]*)” "
     r"to “(?P<now_word>[^”]*)”", "{who} 把{field}从“{was_word}”改为“{now_word}”"),
    (r"(?P<who>.+?) changed (?P<field>.+?) from “(?P<was>.*)” to “(?P<now>.*)”",
     "{who} 把{field}从“{was}”改为“{now}”"),
]
ZH_EDIT_WORDS: dict[str, str] = {
    **{CATEGORY_NAMES["en"][k]: v for k, v in CATEGORY_NAMES["zh"].items()},
    "urgency": "紧急程度", "normal": "普通", "yes": "是", "no": "否", "—": "—",
    "province of work": "务工省份", "city of work": "务工城市", "wages owed": "被欠工资",
    "months unpaid": "欠薪月数", "people affected": "涉及人数", "approximate count": "人数估计",
    "still employed": "是否仍在职", "date of leaving": "离职日期", "date of injury": "受伤日期",
    "place of injury": "受伤地点", "in hospital": "是否住院",
    "employer pays treatment": "单位是否支付治疗费", "injury claim filed": "是否已申请工伤认定",
    "date of dismissal": "辞退或合同终止日期", "written contract": "是否签书面合同",
    "insurance": "保险种类", "months of insurance": "社保未缴月数",
}

# The contact importer's errors (notifications.contact_import), as ZH_ERRORS patterns.
ZH_MANAGE_ERRORS: list[tuple[str, str]] = [
    (r"not a mainland China mobile number: (?P<v>\S+)", "不是中国大陆手机号：{v}"),
    (r"not a valid phone number: (?P<v>\S+)", "不是有效的电话号码：{v}"),
    (r"not a mobile number \(SMS cannot reach it\): (?P<v>\S+)", "不是手机号（收不到短信）：{v}"),
    (r"more fields than the header has columns", "字段比标题行的列多"),
    (r"not a language code \(zh, en, \.\.\.\)", "不是语言代码（zh、en等）"),
    (r"unknown time zone \(e\.g\. Asia/Shanghai\)", "未知时区（例如 Asia/Shanghai）"),
    (r"tag longer than (?P<n>\d+) characters", "标签超过{n}个字符"),
    (r"longer than (?P<n>\d+) characters", "超过{n}个字符"),
    (r"unreadable row", "无法读取的行"),
    (r"the file is empty \(no header row\)", "文件是空的（没有标题行）"),
    (r"unknown column (?P<v>'[^']*'); known: (?P<known>.+)", "未知列 {v}；可用的列：{known}"),
    (r"column (?P<v>'[^']*') repeats (?P<w>'[^']*')", "列 {v} 与 {w} 重复"),
    (r"no phone column \(phone / 手机号\)", "没有手机号列（phone / 手机号）"),
]
