"""Chinese forms of the timeline texts the system writes (the database keeps them in English).

Each pattern must match a whole event text (re.fullmatch, DOTALL). Named groups are filled
into the Chinese form: `old`, `new` and `status` as status names; the groups in
`TRANSLATED_GROUPS` translated again (a nested system text, a reason or key, a field name);
`answers` as intake answers; every other group (names, numbers, provider errors, a
volunteer's or staff member's own words) verbatim.

tests/test_timeline_i18n.py finds every event text in the code and fails when one has no
pattern here.
"""

TRANSLATED_GROUPS = frozenset({"note", "reason", "why", "key", "channel", "node", "field",
                               "source"})

ZH_EVENTS: list[tuple[str, str]] = [
    # texts relayed to the worker (hotline.bridge): before the status change, whose arrow
    # they share; the text itself is a person's words
    (r"volunteer → worker: (?P<text>.*)", "志愿者 → 工友：{text}"),
    (r"staff → worker: (?P<text>.*)", "工作人员 → 工友：{text}"),
    # status changes (models.case.Case.move_to) and their system notes
    (r"case opened by SMS", "工友通过短信立案"),
    (r"case opened by phone call", "工友通过电话立案"),
    (r"case opened by phone call \(a new problem; the worker's case #(?P<n>\d+) stays as it "
     r"is\)", "工友通过电话立案（新问题；工友原案件#{n}保持不变）"),
    (r"(?P<old>\w+) → (?P<new>\w+): (?P<note>.*)", "{old} → {new}：{note}"),
    (r"(?P<old>\w+) → (?P<new>\w+)", "{old} → {new}"),
    (r"assigned to (?P<name>.+)", "分配给{name}"),
    (r"no pending offers left", "已没有待回复的派单"),
    (r"transfer", "转交"),
    (r"transferred to (?P<name>.+)", "转交给{name}"),
    (r"re-queued by staff", "工作人员重新派单"),
    (r"worked with collective case #(?P<n>\d+)", "并入集体案件#{n}一起处理"),
    (r"with collective case #(?P<n>\d+)", "随集体案件#{n}处理"),
    (r"talked live with (?P<name>.+)", "已与{name}直接通话"),
    (r"merged into #(?P<n>\d+)", "已合并到#{n}"),
    (r"volunteer contacted the worker", "志愿者已联系工友"),
    (r"no volunteer accepted after (?P<n>\d+) tries", "派单{n}次无志愿者接受"),
    (r"no eligible volunteer", "没有合适的志愿者"),
    (r"no update (?P<n>\d+) days after reminder", "提醒后{n}天仍无进展"),
    # routing (hotline.routing, hotline.web.casework)
    (r"no staff could be texted \((?P<key>[^)]*)\): nobody is on duty with a phone and "
     r"STAFF_NUMBERS is empty", "未能短信通知任何工作人员（{key}）：没有留了手机号的在岗人员，"
     "STAFF_NUMBERS 也为空"),
    (r"urgent: (?P<reason>.+)", "紧急：{reason}"),
    (r"(?P<n>\d+) workers affected", "{n}名工友受影响"),
    (r"round (?P<round>\d+): offered to (?P<k>\d+) of (?P<n>\d+) eligible",
     "第{round}轮：派给{n}名合适志愿者中的{k}名"),
    (r"queue: (?P<org>.+?) \((?P<why>.+)\)", "归入队列：{org}（{why}）"),
    (r"work city (?P<place>.+) is in its region (?P<region>.+)",
     "务工城市{place}在其服务地区{region}内"),
    (r"work province (?P<place>.+) is in its region (?P<region>.+)",
     "务工省份{place}在其服务地区{region}内"),
    (r"no organisation's region matches and no DEFAULT_ORGANISATION",
     "没有服务地区相符的机构，也未设默认机构"),
    (r"reassigned to (?P<name>.+) \(#(?P<id>\d+)\) by staff", "工作人员改派给{name}（#{id}）"),
    (r"offered to (?P<name>.+) \(#(?P<id>\d+)\), score (?P<score>-?[\d.]+)",
     "派单给{name}（#{id}），得分{score}"),
    (r"declined by (?P<name>.+)", "{name}拒绝了派单"),
    (r"accepted by (?P<name>.+)", "{name}接受了派单"),
    (r"offer expired unanswered", "派单超时未回复"),
    (r"transferred from (?P<source>.+?) to (?P<to>.+?): (?P<text>.*)",
     "从{source}转交到{to}：{text}"),
    # collective disputes (hotline.collective)
    (r"collective dispute: (?P<n>\d+) workers name (?P<employer>.+)",
     "集体争议：{n}名工友都反映了{employer}"),
    (r"linked to collective case #(?P<n>\d+)", "已并入集体案件#{n}"),
    (r"case #(?P<n>\d+) joined", "案件#{n}已并入"),
    # satisfaction survey and closing (hotline.deadlines)
    (r"satisfaction survey not sent: (?P<reason>.+)", "满意度调查未发送：{reason}"),
    (r"satisfaction survey sent", "满意度调查已发送"),
    (r"satisfaction (?P<score>\d+)/5", "满意度{score}/5"),
    (r"recipient opted out", "对方已退订"),
    (r"recipient opted out and has not texted since", "对方已退订，之后没有再来信"),
    (r"outcome: (?P<status>\w+), recovered ¥(?P<amount>[\d.]+): (?P<text>.*)",
     "结果：{status}，追回¥{amount}：{text}"),
    (r"outcome: (?P<status>\w+), recovered ¥(?P<amount>[\d.]+)",
     "结果：{status}，追回¥{amount}"),
    (r"outcome: (?P<status>\w+): (?P<text>.*)", "结果：{status}：{text}"),
    (r"outcome: (?P<status>\w+)", "结果：{status}"),
    (r"reminder sent to (?P<name>.+): (?P<key>\w+)", "已提醒{name}：{key}"),
    # intake questions by SMS and phone (ivr_flows.store, hotline.conversation, hotline.voice)
    (r"intake \((?P<channel>\w+)\): no usable answer, fallback",
     "问答（{channel}）：没有可用的回答，转入备用步骤"),
    (r"intake \((?P<channel>\w+)\) (?P<answers>.+)", "问答（{channel}）：{answers}"),
    (r"understood from the first text: (?P<answers>.+)", "从第一条短信读懂：{answers}"),
    (r"intake finished by SMS", "短信问答完成"),
    (r"intake finished by phone", "电话问答完成"),
    (r"SMS intake ended unfinished \(no reply for 24 h\)", "短信问答未完成即结束（24小时无回复）"),
    (r"intake by phone ended: (?P<status>[\w-]+)", "电话问答结束：{status}"),
    (r"SMS intake resumed at '(?P<node>[^']*)'", "短信问答从“{node}”继续"),
    (r"case #(?P<n>\d+) merged into this case: (?P<m>\d+) message\(s\), (?P<c>\d+) call\(s\), "
     r"(?P<e>\d+) timeline entries moved", "案件#{n}已合并到本案：移来{m}条短信、{c}通电话、"
     "{e}条记录"),
    # calls (hotline.voice, hotline.bridge)
    (r"incoming call", "来电"),
    (r"incoming call \(continues this case\)", "来电（继续本案件）"),
    (r"the worker called about a new problem: case #(?P<n>\d+)", "工友来电反映新问题：案件#{n}"),
    (r"live transfer answered by (?P<name>.+)", "{name}接听了转接电话"),
    (r"call ended \((?P<status>[\w-]+)\) at step '(?P<node>[^']*)'",
     "通话在“{node}”一步结束（{status}）"),
    (r"recording ready \((?P<node>[^)]*)\)", "录音已就绪（{node}）"),
    (r"(?P<field>\w+): said on a recording, not understood by speech recognition; play it on "
     r"the case page", "{field}：工友以录音回答，语音识别未能听懂；请在案件页播放"),
    (r"(?P<name>.+) asked for a call to the worker", "{name}请求热线接通工友电话"),
    (r"bridge call failed: (?P<error>.*)", "接通电话失败：{error}"),
    (r"hotline is ringing the volunteer", "热线正在呼叫志愿者"),
    (r"volunteer answered; dialling the worker", "志愿者已接听，正在拨打工友电话"),
    (r"worker call (?P<status>[\w-]+), (?P<s>\d+)s", "与工友通话{status}，{s}秒"),
    (r"worker call (?P<status>[\w-]+)", "与工友通话{status}"),
    # texts sent (hotline.bridge, notifications.send, notifications.reconcile)
    (r"forwarded to volunteer (?P<name>.+)", "已转发给志愿者{name}"),
    (r"voicemail announced to volunteer (?P<name>.+)", "已通知志愿者{name}有语音留言"),
    (r"not sent: (?P<reason>.+)", "未发送：{reason}"),
    (r"sent to (?P<to>.+) \((?P<n>\d+) segment\(s\), (?P<sid>[^)]*)\)",
     "已发送至{to}（{n}条，{sid}）"),
    (r"provider busy \((?P<error>.*)\); retrying in (?P<s>\d+)s",
     "短信平台繁忙（{error}）；{s}秒后重试"),
    (r"outcome unknown \((?P<error>.*)\); will be reconciled, not resent",
     "结果未知（{error}）；将与短信平台核对，不会重发"),
    (r"send failed: (?P<error>.*)", "发送失败：{error}"),
    (r"send confirmed by the provider \((?P<sid>[^,]*), (?P<status>[\w-]+)\)",
     "短信平台确认已收到（{sid}，{status}）"),
    (r"offer SMS never reached the provider; not sent late", "派单短信未到达短信平台；不再补发"),
    (r"the provider never received this message; sending it again",
     "短信平台没有收到这条短信；重新发送"),
    # the front door (hotline.cases): inbox, finished cases, reopening, staff triage
    (r"case opened by staff", "工作人员立案"),
    (r"case opened by staff from a text in the inbox", "工作人员根据收件箱里的短信立案"),
    (r"a text from the inbox was added to this case", "收件箱里的一条短信已并入本案"),
    (r"the worker wrote after the case was (?P<status>\w+); it stays as it is until someone "
     r"reopens it", "工友在案件{status}后又发来短信；案件保持不变，需要时可重新打开"),
    (r"reopened", "重新打开"),
    (r"reopened; its volunteer is not on duty", "重新打开；原志愿者不在线，重新派单"),
    (r"waiting for staff to sort: the worker has not said what the problem is, so no "
     r"volunteer is asked yet", "等待工作人员分类：工友还没说明是什么问题，暂不派给志愿者"),
    (r"sorted as (?P<key>\w+) \(was (?P<why>\w+)\)", "分类为{key}（原为{why}）"),
    (r"sorted as (?P<key>\w+)", "分类为{key}"),
]

# Single words inside event texts: alert and reminder keys, channels, intake field names.
ZH_EVENT_WORDS: dict[str, str] = {
    "staff_escalation": "转人工提醒", "staff_transfer": "转交提醒",
    "staff_collective": "集体欠薪提醒", "deadline_reminder": "超期提醒",
    "monthly_reminder": "每月跟进提醒", "sms": "短信", "voice": "电话", "web": "网页",
    "call": "通话", "(none)": "（无）", "DEFAULT_ORGANISATION": "默认机构",
    "language": "语言", "category": "类别", "work_place": "务工地", "work_province": "务工省份",
    "work_city": "务工城市", "employer": "用人单位", "summary": "情况摘要",
    "amount_owed": "被欠工资", "months_unpaid": "欠薪月数", "people_affected": "涉及人数",
    "voicemail": "语音留言", "home_province": "老家省份", "returning": "再次来电",
    "live_transfer": "转接人工", "urgent": "紧急", "staff_triage": "待分类提醒",
    # each problem's own intake questions (ivr_flows.fields.DETAILS)
    "still_employed": "是否还在职", "left_on": "离职日期", "injured_on": "受伤日期",
    "injury_place": "受伤地点", "in_hospital": "是否住院",
    "employer_pays_treatment": "老板是否出医药费", "injury_claim_filed": "是否已申请工伤认定",
    "dismissed_on": "辞退或合同到期日期", "written_contract": "是否签书面合同",
    "insurance_kind": "未交的保险", "insurance_months": "社保未交月数",
}

# A staff correction of a case (hotline.web.case_edit): its lines live with that page's catalogue.
from hotline.web.catalogue_zh_manage import (  # noqa: E402
    EDIT_EVENT_GROUPS,
    ZH_EDIT_EVENTS,
    ZH_EDIT_WORDS,
)

ZH_EVENTS += ZH_EDIT_EVENTS
ZH_EVENT_WORDS.update(ZH_EDIT_WORDS)
TRANSLATED_GROUPS |= EDIT_EVENT_GROUPS

# Legal-deadline reminders (hotline.legal_clocks): their lines and the rules' titles.
from hotline.legal_clocks import ZH_LEGAL_EVENTS, zh_legal_words  # noqa: E402

ZH_EVENTS += ZH_LEGAL_EVENTS
ZH_EVENT_WORDS.update(zh_legal_words())
