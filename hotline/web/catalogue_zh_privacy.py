"""Chinese translations of the workers' data pages (export and erase on request), keyed by
the English text."""

ZH_PRIVACY: dict[str, str] = {
    # looking a worker up
    "Workers' data": "工友个人信息",
    "When a worker asks to see or erase what the hotline holds about them. Enter the number "
    "they call or text from, written any way (spaces, +86, full-width digits).":
        "工友要求查看或删除热线保存的个人信息时使用。输入工友打电话或发短信用的号码，"
        "怎么写都可以（带空格、带+86、全角数字都行）。",
    "Phone number": "手机号码", "Look up": "查找",
    "This is not a phone number we can read. Check the digits and try again.":
        "无法识别这个号码，请检查数字后再试。",
    "No worker with this number is on record.": "没有这个号码的工友记录。",
    # what is held
    "Held about {phone}": "热线保存的 {phone} 的信息",
    "Text messages": "短信", "Phone calls": "通话", "Recordings": "录音",
    "Bulk SMS received": "收到的群发短信", "First contact": "第一次联系",
    "Only counts are shown here; the words are in the download.":
        "这里只显示数量；短信内容等都在下载的文件里。",
    "Download everything held": "下载全部信息",
    "A readable file (JSON, UTF-8) with their number, name, cases, texts, calls and bulk SMS. "
    "The download is written to the audit log. Give it only to the worker.":
        "一个可以直接阅读的文件，包括号码、姓名、案件、短信、通话和群发短信。"
        "下载会记入审计记录。只能交给工友本人。",
    "Download": "下载", "Erase": "删除", "Erase this worker's data…": "删除这位工友的信息…",
    "This worker's data was erased on {day}.": "这位工友的信息已于{day}删除。",
    "Look up another number": "查找其他号码",
    # first confirmation
    "Erase a worker's data: step 1 of 2": "删除工友信息：第1步（共2步）",
    "This cannot be undone. Download the worker's data first if they asked for a copy.":
        "删除后无法恢复。如果工友要一份副本，请先下载。",
    "What will be removed": "将被删除的内容",
    "their phone number and name": "手机号码和姓名",
    "the words of {n} text messages, theirs and ours, and the numbers on them":
        "{n}条短信的内容（工友发的和热线发的）以及上面的号码",
    "the numbers of {n} phone calls": "{n}次通话的号码",
    "{n} recordings, deleted at the phone company (Twilio) first":
        "{n}段录音，先在电话服务商（Twilio）那里删除",
    "the employer, the place as they said it, the intake answers, the summary and the notes "
    "of {n} cases": "{n}个案件里的用人单位、工友说的地点原话、登记时的回答、情况摘要和备注",
    "the texts of {n} bulk SMS sent to them, their tags and the wording of their consent":
        "发给工友的{n}条群发短信内容、标签，以及同意接收短信的原话",
    "This hotline is not connected to a phone company that can delete recordings (demo "
    "mode): the links to {n} recordings will be removed here only. Delete the recordings in "
    "the provider's console yourself.":
        "本系统没有连接能删除录音的电话服务商（演示模式）：{n}段录音只会在本系统里去掉链接，"
        "录音本身请您到服务商的后台删除。",
    "What stays, with nothing that identifies them": "保留的内容（不含任何能认出工友的信息）",
    "{n} cases with their category, status, dates, province and city, amounts owed and "
    "recovered, months unpaid, people affected and satisfaction score, so the monthly report "
    "does not change":
        "{n}个案件的类别、状态、日期、省市、被欠和追回的金额、欠薪月数、涉及人数和满意度评分，"
        "所以月报的数字不会变",
    "the number of texts and calls, with their dates": "短信和通话的数量及日期",
    "the audit log: who erased it and when": "审计记录：谁在什么时候删除的",
    "If the worker texts or calls again, they start as a new contact with nothing of the old "
    "record.": "工友以后再发短信或打电话，会作为新的联系人登记，看不到以前的任何记录。",
    "I have read this: continue": "我已看清楚，继续", "Cancel": "取消",
    # second confirmation
    "Erase a worker's data: step 2 of 2": "删除工友信息：第2步（共2步）",
    "To confirm, type the last four digits of {phone}, or the word {word}.":
        "请输入 {phone} 的最后四位数字，或者输入“{word}”两个字，以确认删除。",
    "Confirmation": "确认", "Erase for good": "永久删除",
    "Read what will be removed and confirm it first.": "请先看清楚将被删除的内容，并确认。",
    "That is not what was asked. Type the last four digits of the number, or the word 删除. "
    "Nothing was erased.":
        "输入的内容不对。请输入号码的最后四位数字，或者输入“删除”。什么都没有删除。",
    # the outcome
    "Nothing was erased": "什么都没有删除",
    "A recording could not be deleted at the phone company (Twilio), so the erasure stopped "
    "before changing anything: the worker's data is exactly as it was. Try again later. If it "
    "keeps failing, check that the hotline can reach Twilio.":
        "有一段录音没能在电话服务商（Twilio）那里删除，所以删除在改动任何内容之前就停下了："
        "工友的信息和原来完全一样。请稍后再试。如果一直不成功，请检查热线能否连上Twilio。",
    "Back to this worker": "返回这位工友的信息",
    "Erased": "已删除",
    "The worker's data was erased on {day}. What was removed:": "工友的信息已于{day}删除。删除了：",
    "{n} cases anonymised": "{n}个案件已去掉个人信息",
    "{n} text messages emptied": "{n}条短信已清空",
    "{n} phone calls emptied": "{n}次通话已去掉号码",
    "{n} recordings deleted at the phone company": "{n}段录音已在电话服务商那里删除",
    "{n} timeline entries cleaned": "{n}条案件记录已清理",
    "{n} recordings could not be deleted at the phone company: this hotline is not connected "
    "to one that can (demo mode). Only the links were removed here; delete the recordings in "
    "the provider's console.":
        "{n}段录音没能在电话服务商那里删除：本系统没有连接能删除录音的服务商（演示模式）。"
        "这里只去掉了链接，录音本身请到服务商的后台删除。",
}
