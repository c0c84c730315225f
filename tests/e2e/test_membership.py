"""PRODUCT.md §2 through the emulator: ways in, questionnaire, decision, after, directory."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator import BotRights, SimUser
from storage.models import Application, AuditEntry, Member, Role
from tests.e2e.harness import Harness, press_forged
from tests.e2e.membership_stories import ANSWERS, answer_all, db, payload_in
from tests.e2e.stories import seed_member, setup_group


def texts(harness: Harness, user: SimUser) -> list[str]:
    return [m.text for m in harness.world.messages_to(user)]


async def test_join_request_to_welcome_card(harness: Harness) -> None:
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("Mei", lang="en", started=False)
    await mei.request_join(group, link)
    await world.settle()
    intro, first = world.messages_to(mei)[:2]
    assert "You asked to join “Taipei Auto <Repair> Alliance”" in intro.text
    assert intro.button("Open our chat").url.startswith("https://t.me/alliance_test_bot?start=join-")
    assert first.text.startswith("Step 1 of 7")
    # "Open our chat" is the deep link: it opens the private chat and resumes the same step.
    await mei.start(payload_in(intro.button("Open our chat").url))
    await world.settle()
    assert texts(harness, mei)[-2:] == ["Let's continue where we left off.", first.text]
    await answer_all(harness, mei)
    assert "sent to the coordinators" in world.last(mei).text
    card = world.last(lin)
    assert "New application" in card.text and "Mei's <b>Garage</b> & Co" in card.text
    assert "&lt;b&gt;Garage&lt;/b&gt; &amp; Co" in card.html
    assert "+886 912 345 678" in card.text  # stored as +886912345678, shown grouped
    assert "a join request to the group" in card.text
    await lin.press(card, "✅ Approve")
    assert "approved by Lin" in world.last(lin).text
    assert group.chat.member(mei.user).active  # the join request was approved
    welcome = world.last(group)
    assert "Please welcome our new member: Mei's <b>Garage</b> & Co" in welcome.text
    assert "+886" not in welcome.text  # contacts never go to the group
    private = world.last(mei).text
    assert "Welcome to “Taipei Auto <Repair> Alliance”" in private and "/profile" in private
    member = await db(harness, select(Member).where(Member.name == "Mei's <b>Garage</b> & Co"))
    assert member.status == "active" and member.contact == "+886912345678"
    assert member.contact_kind == "phone" and member.owner_person_id == mei.id
    # No nudge: she came in through onboarding.
    assert not [m for m in world.messages_in(group) if "introduce your business" in m.text]


async def test_deep_link_path_with_bad_phone_back_and_rejection(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(chen, group, "/joinlink")
    assert "Only active members" in world.last(group).text  # not a member yet
    await harness.say(lin, group, "/joinlink")
    assert "https://t.me/alliance_test_bot?start=join-" in world.last(group).text
    bo = world.user("Bo", lang="en")
    await bo.start(payload_in(world.last(group).text))
    await world.settle()
    assert "To join “Taipei Auto <Repair> Alliance”" in texts(harness, bo)[0]
    for text in ANSWERS[:4]:
        await harness.say(bo, bo, text)
    await harness.say(bo, bo, "12345")
    assert world.last(bo).text.startswith("That phone number is not valid")
    await harness.say(bo, bo, "not a contact at all")
    assert "phone number, an e-mail address or a website" in world.last(bo).text
    # Back from the contact step re-asks the services; the answer given is replaced.
    question = world.messages_to(bo)[-3]
    await bo.press(question, "« Back")
    assert question.text.startswith("Step 4 of 7")  # asked again in place
    await harness.say(bo, bo, "Only tyres")
    assert world.last(bo).text.startswith("Step 5 of 7")
    await harness.say(bo, bo, "bo@tyres.example.com")
    await bo.press(world.last(bo), "No sponsor")
    await bo.press(world.last(bo), "I accept the charter")
    summary = world.last(bo).text
    assert "Services: Only tyres" in summary and "bo@tyres.example.com" in summary
    await bo.press(world.last(bo), "Submit")
    card = world.last(lin)
    assert "an invitation link" in card.text
    await lin.press(card, "❌ Reject")
    assert world.last(lin).text.startswith("Why do you reject “Mei's")
    await harness.say(lin, lin, "   ")
    assert "cannot be empty" in world.last(lin).text
    await harness.say(lin, lin, "We already have <two> tyre shops")
    assert "I have told the applicant" in world.last(lin).text
    assert "rejected by Lin" in card.text or "rejected by Lin" in world.messages_to(lin)[-3].text
    rejection = world.last(bo)
    assert "was not accepted" in rejection.text and "We already have <two> tyre shops" in rejection.text
    application = await db(harness, select(Application))
    assert application.status == "rejected" and application.reason == "We already have <two> tyre shops"
    audit = await db(harness, select(func.count()).select_from(AuditEntry)
                     .where(AuditEntry.action == "application.rejected"))
    assert audit == 1


async def test_rejected_join_request_is_declined(harness: Harness) -> None:
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("Mei", lang="en", started=False)
    await mei.request_join(group, link)
    await world.settle()
    await answer_all(harness, mei)
    await lin.press(world.last(lin), "❌ Reject")
    await harness.say(lin, lin, "Not a repair shop")
    assert mei.id not in group.chat.join_requests
    assert not group.chat.member(mei.user).active
    assert "Not a repair shop" in world.last(mei).text


async def test_join_command_cancel_and_restart_resume(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    # In the group, /join points to a private chat (the bot cannot write first).
    await harness.say(chen, group, "/join")
    assert world.last(group).button("Apply to join").url.startswith("https://t.me/")
    # The coordinator registers a business of their own with /join in private.
    await harness.say(lin, lin, "/join")
    assert world.last(lin).text.startswith("Step 1 of 7")
    await harness.say(lin, lin, "Lin Garage")
    await harness.say(lin, lin, "/cancel")
    assert "Cancelled" in world.last(lin).text
    await harness.say(lin, lin, "Something")
    assert not world.last(lin).text.startswith("Step")  # no questionnaire any more
    await harness.say(lin, lin, "/join")
    await harness.say(lin, lin, "Lin Garage")
    await harness.say(lin, lin, "repair")
    await harness.restart()
    await harness.say(lin, lin, "Taipei")
    assert world.last(lin).text.startswith("Step 4 of 7")
    await harness.say(lin, lin, "Engines")
    await harness.say(lin, lin, "https://lin-garage.example.tw")
    await lin.press(world.last(lin), "No sponsor")
    await lin.press(world.last(lin), "I accept the charter")
    summary = world.last(lin).text
    assert "Lin Garage" in summary and "repair" in summary and "Taipei" in summary
    await lin.press(world.last(lin), "Submit")
    card = world.last(lin)
    assert "New application" in card.text
    await lin.press(card, "✅ Approve")
    member = await db(harness, select(Member).where(Member.name == "Lin Garage"))
    role = await db(harness, select(Role).where(Role.person_id == lin.id))
    assert role.role == "coordinator" and role.member_id == member.id
    assert member.contact == "https://lin-garage.example.tw" and member.contact_kind == "website"
    # Already a member: told so instead of starting again.
    await harness.say(lin, lin, "/join")
    assert "already a member" in world.last(lin).text


async def test_open_application_is_not_started_again(harness: Harness) -> None:
    _lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(chen, group, "/join")
    payload = world.last(group).button("Apply to join").url.split("start=")[1]
    await chen.start(payload)
    await world.settle()
    await answer_all(harness, chen)
    await chen.start(payload)
    await world.settle()
    assert "is waiting for a decision" in world.last(chen).text


async def test_only_coordinators_decide_and_two_at_once_make_one_member(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    kai = world.user("Kai", lang="en", username="kai")
    await world.add_member(group, kai, by=lin)
    await seed_member(harness, group, kai, name="Kai Parts", coordinator=True)
    mei = world.user("Mei", lang="en")
    await harness.say(lin, group, "/joinlink")
    await mei.start(payload_in(world.last(group).text))
    await world.settle()
    await answer_all(harness, mei)
    lin_card, kai_card = world.last(lin), world.last(kai)
    assert "New application" in kai_card.text
    # Chen (not a coordinator) presses a forged Approve on a card: an alert, nothing changes.
    data = lin_card.button("✅ Approve").callback_data
    alert = await press_forged(harness, chen, world.last(group), data)
    assert alert.show_alert and alert.text == "Only the alliance's coordinators can do that."
    assert await db(harness, select(func.count()).select_from(Member).where(Member.name == ANSWERS[0])) == 0
    # Lin and Kai press at the same moment.
    first = await lin.press(lin_card, "✅ Approve", wait=False)
    second = await kai.press(kai_card, "✅ Approve", wait=False)
    await world.settle()
    answers = sorted([first.text or "", second.text or ""])
    assert answers == ["Approved.", "This application was already approved."]
    assert await db(harness, select(func.count()).select_from(Member).where(Member.name == ANSWERS[0])) == 1
    welcomes = [m for m in world.messages_in(group) if "Please welcome" in m.text]
    assert len(welcomes) == 1
    assert len([t for t in texts(harness, mei) if "is now a member" in t]) == 1
    # Both cards now show the decision, without buttons.
    assert "approved by" in lin_card.text and "approved by" in kai_card.text
    assert not lin_card.buttons and not kai_card.buttons
    # Mei was not in the group: a one-person invite link, valid for a day.
    link = next(line for line in world.last(mei).text.splitlines() if line.startswith("https://t.me/+"))
    record = group.chat.invite_links[link]
    assert record.member_limit == 1 and record.expire_date is not None
    await mei.join(group, link)
    await world.settle()
    assert not [m for m in world.messages_in(group) if "introduce your business" in m.text]


async def test_newcomer_without_onboarding_is_nudged_once(harness: Harness) -> None:
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    ann = world.user("Ann", lang="en")
    await world.add_member(group, ann, by=lin)
    await world.settle()
    nudges = [m for m in world.messages_in(group) if "introduce your business" in m.text]
    assert len(nudges) == 1 and "start=join-" in nudges[0].text and "Ann" in nudges[0].text
    await ann.leave(group)
    await world.add_member(group, ann, by=lin)
    await world.settle()
    assert len([m for m in world.messages_in(group) if "introduce your business" in m.text]) == 1


async def test_whole_path_in_traditional_chinese_with_categories_and_sponsor(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness, "zh-hant", language_button="繁體中文")
    world = harness.world
    await seed_member(harness, group, chen, name="陳記輪胎", category="輪胎")
    await harness.say(lin, group, "/categories 汽車維修, 輪胎、零件")
    assert "已設定成員類別：汽車維修、輪胎、零件" in world.last(group).text
    await harness.say(chen, group, "/categories 洗車")
    assert world.last(group).text == "只有聯盟協調人才能進行這項操作。"
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("美玲", lang="zh-hant", started=False)
    await mei.request_join(group, link)
    await world.settle()
    intro = world.messages_to(mei)[0]
    assert intro.text.startswith("我們收到您加入「Taipei Auto <Repair> Alliance」的申請。")
    assert intro.button("開啟對話").url.startswith("https://t.me/alliance_test_bot?start=join-")
    await harness.say(mei, mei, "美玲汽車")
    await mei.press(world.last(mei), "其他…")
    assert world.last(mei).text.endswith("請輸入您的類別：")
    await mei.press(world.last(mei), "« 返回")
    await mei.press(world.last(mei), "汽車維修")
    await harness.say(mei, mei, "台北市")
    await harness.say(mei, mei, "保養、鈑金")
    await harness.say(mei, mei, "02 2345 678")
    assert world.last(mei).text.startswith("這個電話號碼無效")
    await harness.say(mei, mei, "02 2345 6789")
    await harness.say(mei, mei, "陳記")
    await mei.press(world.last(mei), "我接受章程")
    summary = world.last(mei).text
    assert "類別：汽車維修" in summary
    assert "+886 2 2345 6789" in summary and "陳記輪胎" in summary
    await mei.press(world.last(mei), "提交")
    assert world.last(mei).text.startswith("謝謝！")
    card = world.last(lin)
    assert card.text.startswith("📝「Taipei Auto <Repair> Alliance」收到新的入盟申請")
    await lin.press(card, "✅ 核准")
    assert "已由 Lin 核准" in card.text
    assert group.chat.member(mei.user).active
    assert world.last(group).text.startswith("👋 歡迎新成員：美玲汽車！")
    assert world.last(mei).text.startswith(
        "🎉 歡迎加入「Taipei Auto <Repair> Alliance」！「美玲汽車」已正式成為聯盟成員。")
    member = await db(harness, select(Member).where(Member.name == "美玲汽車"))
    sponsor = await db(harness, select(Member).where(Member.name == "陳記輪胎"))
    assert member.sponsor_member_id == sponsor.id and member.category == "汽車維修"


async def test_directory_search_paging_and_cards(harness: Harness) -> None:
    _lin, chen, group = await setup_group(harness)
    world = harness.world
    await seed_member(harness, group, chen, name="Chen Tyres", category="tyres", region="Banqiao",
                      services="Tyres, wheel alignment", contact="+886912000111")
    for number in range(20):
        await seed_member(harness, group, name=f"Shop {number:02d}", category="repair",
                          region="Taipei", services="engines")
    await harness.say(chen, group, "/members")
    listing = world.last(group)
    assert "Members of “Taipei Auto <Repair> Alliance”: 21" in listing.text
    assert "Page 1 of 2" in listing.text and "Chen Tyres" not in listing.text  # repair < tyres
    await chen.press(listing, "Next ›")
    assert "Chen Tyres — Banqiao" in listing.text and "Page 2 of 2" in listing.text
    await harness.say(chen, group, "/members wheel")
    found = world.last(group).text
    assert "matching “wheel”: 1" in found and "Chen Tyres" in found and "Shop" not in found
    await harness.say(chen, group, "/members nothing-like-this")
    assert "No member matches" in world.last(group).text
    # In private, members get cards; the contact shows to active members only.
    await harness.say(chen, chen, "/members tyres")
    await chen.press(world.last(chen), "Chen Tyres")
    card = world.last(chen).text
    assert "Services: Tyres, wheel alignment" in card and "+886 912 000 111" in card  # grouped
    assert "Referrals: 0 given (0 of them won), 0 received, 0 won" in card  # the ledger's figures
    assert "Customer rating" not in card  # shown from 3 ratings on
    outsider = world.user("Olga", lang="en")
    await harness.say(outsider, outsider, "/members")
    assert "not in an alliance yet" in world.last(outsider).text


async def test_lifecycle_suspend_reinstate_promote_demote_leave(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    chen_id = await seed_member(harness, group, chen, name="Chen Tyres", category="tyres")
    # Not a coordinator: refused. Anonymous admin: asked to speak as themselves.
    await harness.say(chen, group, f"/suspend #{chen_id} no reason")
    assert world.last(group).text == "Only the alliance's coordinators can do that."
    await harness.say(lin, group, f"/suspend #{chen_id} unpaid", anonymous=True)
    assert "anonymous admin" in world.last(group).text
    await harness.say(lin, group, f"/suspend #{chen_id}")
    assert "Please give a reason" in world.last(group).text
    await harness.say(lin, group, f"/suspend #{chen_id} unpaid <fees>")
    assert world.last(group).text == "“Chen Tyres” is suspended. Reason: unpaid <fees>"
    assert "Your membership in “Taipei Auto <Repair> Alliance” is suspended" in world.last(chen).text
    await harness.say(chen, group, "/members")
    assert "Chen Tyres — Taipei (suspended)" in world.last(group).text
    await harness.say(chen, group, "/joinlink")
    assert "Your membership is suspended" in world.last(group).text
    await harness.say(lin, group, "/reinstate Chen")
    assert world.last(group).text == "“Chen Tyres” is active again."
    # The last coordinator cannot step down; after promoting Chen, Lin can.
    await harness.say(lin, group, "/demote @lin")
    assert "at least one coordinator" in world.last(group).text
    reply_to = await chen.send(group, "hello")
    await harness.say(lin, group, "/promote", reply_to=reply_to)
    assert world.last(group).text == "Chen is now a coordinator."
    await harness.say(chen, group, "/demote @lin")
    assert world.last(group).text == "Lin is no longer a coordinator."
    await harness.say(chen, group, "/demote @lin")
    assert world.last(group).text == "That person is not a coordinator."
    # Leaving asks first and keeps the record.
    await harness.say(chen, chen, "/leave")
    await chen.press(world.last(chen), "Yes, leave")
    assert "has left the alliance" in world.last(chen).text
    member = await db(harness, select(Member).where(Member.id == chen_id))
    assert member.status == "left"
    actions = await db(harness, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(("member.suspended", "member.reinstated", "coordinator.promoted",
                               "coordinator.demoted", "member.left"))))
    assert actions == 5


async def test_remove_with_ban_and_team_colleague(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    mei = world.user("Mei", lang="zh-hans")
    await harness.say(chen, group, "/join")
    await chen.start(payload_in(world.last(group).button("Apply to join").url))
    await world.settle()
    await answer_all(harness, chen)
    await lin.press(world.last(lin), "✅ Approve")
    # Chen, the owner, invites Mei as a colleague.
    await harness.say(chen, chen, "/team")
    await chen.press(world.last(chen), "Invite a colleague")
    team_url = world.last(chen).text.split()[-1]
    await mei.start(team_url.split("start=")[1])
    await world.settle()
    joined = "你现在在“Taipei Auto <Repair> Alliance”中代表“Mei's <b>Garage</b> & Co”。"
    assert world.last(mei).text == joined
    await mei.start(team_url.split("start=")[1])
    await world.settle()
    assert world.last(mei).text == "该链接无效或已过期。"
    await harness.say(mei, mei, "/team")
    assert "只有登记" in world.last(mei).text
    await world.add_member(group, mei, by=lin)
    await world.settle()
    assert not [m for m in world.messages_in(group) if "introduce your business" in m.text]
    await world.set_bot_rights(group, BotRights(can_invite_users=True, can_restrict_members=True),
                               by=lin)
    await harness.say(lin, group, "/remove Garage ban spam")
    assert "was removed from the alliance" in world.last(group).text
    assert group.chat.member(chen.user).status == "kicked"
    assert group.chat.member(mei.user).status == "kicked"


async def test_approval_mode_picker_and_join_link_rotation(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(lin, group, "/approval")
    picker = world.last(group)
    assert picker.text == "New members are approved by the coordinators."
    alert = await chen.press(picker, "a members' vote")
    assert alert.show_alert and alert.text == "Only the alliance's coordinators can do that."
    await lin.press(picker, "a members' vote")
    assert picker.text == "New members are approved by a members' vote."
    await harness.say(lin, group, "/joinlink")
    old = payload_in(world.last(group).text)
    await harness.say(lin, group, "/joinlink new")
    new = payload_in(world.last(group).text)
    assert new != old
    mei = world.user("Mei", lang="en")
    await mei.start(old)
    await world.settle()
    assert world.last(mei).text == "This link is not valid or has expired."
    await mei.start(new)
    await world.settle()
    assert "What is your business called?" in world.last(mei).text


async def test_profile_edits_each_field_validated(harness: Harness) -> None:
    _lin, chen, group = await setup_group(harness, "zh-hant", language_button="繁體中文")
    world = harness.world
    await seed_member(harness, group, chen, name="陳記輪胎", category="輪胎", contact="+886912000111")
    await harness.say(chen, chen, "/profile")
    card = world.last(chen)
    assert "您在「Taipei Auto <Repair> Alliance」的名片：" in card.text and "陳記輪胎" in card.text
    await chen.press(card, "聯絡方式")
    assert world.last(chen).text == "請傳送「聯絡方式」的新內容，或傳送 /cancel。"
    await harness.say(chen, chen, "12345")
    assert world.last(chen).text.startswith("這個電話號碼無效")
    await harness.say(chen, chen, "chen@tyres.example.com")
    saved = world.last(chen).text
    assert saved.startswith("已儲存。") and "chen@tyres.example.com" in saved
    await chen.press(world.last(chen), "商家名稱")
    await harness.say(chen, chen, "/cancel")
    assert world.last(chen).text == "已取消。"
    await harness.say(chen, chen, "不該被存")
    member = await db(harness, select(Member).where(Member.name == "陳記輪胎"))
    assert member.contact == "chen@tyres.example.com" and member.contact_kind == "email"
    stranger = world.user("Olga", lang="en")
    await harness.say(stranger, stranger, "/profile")
    assert "not in an alliance yet" in world.last(stranger).text


async def test_rejecting_mid_own_questionnaire_resumes_it(harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(lin, lin, "/join")
    await harness.say(lin, lin, "Lin Garage")
    await harness.say(chen, group, "/join")
    await chen.start(payload_in(world.last(group).button("Apply to join").url))
    await world.settle()
    await answer_all(harness, chen)
    await lin.press(world.last(lin), "❌ Reject")
    await harness.say(lin, lin, "/cancel")
    assert texts(harness, lin)[-2:] == ["Cancelled.", world.last(lin).text]
    assert world.last(lin).text.startswith("Step 2 of 7")
    card = next(m for m in world.messages_to(lin) if "New application" in m.text)
    await lin.press(card, "❌ Reject")
    await harness.say(lin, lin, "Duplicate")
    assert world.last(lin).text.startswith("Step 2 of 7")
    assert "Duplicate" in world.last(chen).text
    await harness.say(lin, lin, "repair")
    assert world.last(lin).text.startswith("Step 3 of 7")


async def test_telegram_errors_after_approval_do_not_stop_the_rest(harness: Harness) -> None:
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    link = world.invite_link(group, by=lin, creates_join_request=True)
    mei = world.user("Mei", lang="en", started=False)
    await mei.request_join(group, link)
    await world.settle()
    await answer_all(harness, mei)
    # Telegram fails to approve the request: Mei gets a one-person invite link instead.
    harness.emulator.faults.add("approveChatJoinRequest", 500, times=10)
    await lin.press(world.last(lin), "✅ Approve")
    harness.emulator.faults.clear()
    assert "Please welcome our new member" in world.last(group).text
    welcome = world.last(mei).text
    assert "is now a member" in welcome and "https://t.me/+" in welcome
    # Bo blocked the bot after applying: the group still welcomes him, the card still updates.
    bo = world.user("Bo", lang="en")
    await harness.say(lin, group, "/joinlink")
    await bo.start(payload_in(world.last(group).text))
    await world.settle()
    await answer_all(harness, bo, ["Bo Tyres", *ANSWERS[1:]])
    await bo.block_bot()
    await world.settle()
    card = world.last(lin)
    await lin.press(card, "✅ Approve")
    assert "approved by Lin" in card.text
    assert "Please welcome our new member: Bo Tyres" in world.last(group).text


async def test_unreachable_coordinators_are_asked_in_the_group_then_use_applications(
        harness: Harness) -> None:
    lin, chen, group = await setup_group(harness)
    world = harness.world
    await lin.block_bot()
    await world.settle()
    await harness.say(chen, group, "/join")
    await chen.start(payload_in(world.last(group).button("Apply to join").url))
    await world.settle()
    await answer_all(harness, chen)
    assert "I cannot write to any coordinator" in world.last(group).text
    await lin.unblock_bot()
    await harness.say(lin, lin, "/applications")
    card = world.last(lin)
    assert "New application" in card.text
    await lin.press(card, "✅ Approve")
    assert "approved by Lin" in card.text
    await harness.say(lin, lin, "/applications")
    assert world.last(lin).text == "No applications are waiting."
    await harness.say(chen, chen, "/applications")
    assert world.last(chen).text == "Only the alliance's coordinators can do that."


async def test_join_request_from_an_active_member_or_a_waiting_applicant(harness: Harness) -> None:
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    link = world.invite_link(group, by=lin, creates_join_request=True)
    ann = world.user("Ann", lang="zh-hans", started=False)
    await seed_member(harness, group, ann, name="安记")
    await ann.request_join(group, link)
    await world.settle()
    assert group.chat.member(ann.user).active
    welcome_back = "欢迎回来！你已是“Taipei Auto <Repair> Alliance”的成员（“安记”），我已让你入群。"
    assert world.last(ann).text == welcome_back
    # Bo applied by link, then asks to join the group: told to wait; approval lets him in.
    bo = world.user("Bo", lang="en")
    await harness.say(lin, group, "/joinlink")
    await bo.start(payload_in(world.last(group).text))
    await world.settle()
    await answer_all(harness, bo, ["Bo Tyres", *ANSWERS[1:]])
    await bo.request_join(group, link)
    await world.settle()
    assert "still waiting for a decision" in world.last(bo).text
    await lin.press(world.last(lin), "✅ Approve")
    assert group.chat.member(bo.user).active
    assert "https://t.me/+" not in world.last(bo).text  # the request was approved: no link needed


async def test_the_welcome_card_survives_a_telegram_failure_and_goes_once(
        harness: Harness) -> None:
    """The welcome card is queued with the decision (the outbox retries a 502), not sent on the
    side where a failure or a crash after the commit lost it."""
    lin, _chen, group = await setup_group(harness)
    world = harness.world
    await harness.say(lin, group, "/joinlink")
    bo = world.user("Bo", lang="en")
    await bo.start(payload_in(world.last(group).text))
    await world.settle()
    await answer_all(harness, bo)
    # Telegram fails longer than a direct reply's retries last; the outbox keeps trying.
    harness.emulator.faults.add("sendMessage", 502, chat_id=group, times=4)
    await lin.press(world.last(lin), "✅ Approve", wait=False)
    for _ in range(40):  # the outbox's backoff passes on the bot's clock
        await asyncio.sleep(0.1)
        harness.clock.advance(timedelta(seconds=30))
    await world.settle(timeout=30)
    welcomes = [m for m in world.messages_in(group) if "Please welcome our new member" in m.text]
    assert len(welcomes) == 1
