"""/export and /audit end to end (PRODUCT.md §7, §8): the CSV files a coordinator gets privately
parse back and match the database (BOM, headers in the reader's language, times in the alliance's
zone, no customer, secret ballots as counts), the audit log as sentences paged with buttons — in
English, Traditional and Simplified Chinese — and a plain member, a group or a forged button gets
a refusal and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

import handlers.reports
from bot.services import reports
from bot.views.reports import AuditCb, ExportCb
from storage.models import (
    Alliance as AllianceRow,
)
from storage.models import (
    Member,
    Person,
    Pledge,
    Proposal,
    Referral,
    ResourceOffer,
)
from tests.e2e.harness import Harness, make_harness, press_forged
from tests.e2e.referral_stories import CONTACT, CUSTOMER, Alliance, alliance, t
from tests.e2e.report_stories import alliance_id, documents, read_csv, seed_audit, seed_everything

TABLES = {"members": "Members", "referrals": "Referrals", "decisions": "Decisions",
          "meetings": "Meetings", "requests": "Requests", "offers": "Offers",
          "pledges": "Pledges", "bookings": "Bookings"}


async def _export(harness: Harness, a: Alliance, kind: str, label: str | None = None
                  ) -> list[list[str]]:
    world = harness.world
    await harness.say(a.lin, a.lin, "/export")
    menu = world.last(a.lin)
    before = len(documents(harness, a.lin))
    await a.lin.press(menu, label or a.t(TABLES[kind]))
    files = documents(harness, a.lin)
    assert len(files) == before + 1, f"no file for {kind}"
    name, data, _caption = files[-1]
    assert name.startswith(f"{kind}-") and name.endswith(".csv")
    return read_csv(data)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_every_export_parses_back_and_matches_the_database(harness: Harness,
                                                                 locale: str) -> None:
    a = await alliance(harness, locale)
    await seed_everything(a)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        members = list(await session.scalars(select(Member).order_by(Member.id)))
        [referral] = list(await session.scalars(select(Referral)))
        zone_name = (await session.scalar(select(AllianceRow.timezone)))
    assert zone_name == "Asia/Taipei"

    rows = await _export(harness, a, "members")
    assert rows[0][:3] == [a.t("ID"), a.t("Name"), a.t("Category")]
    assert [(int(r[0]), r[1], r[6]) for r in rows[1:]] == [(m.id, m.name, m.status)
                                                           for m in members]

    rows = await _export(harness, a, "referrals")
    header, [line] = rows[0], rows[1:]
    assert header[2:4] == [a.t("Referred by"), a.t("Referred to")]
    assert (int(line[0]), line[2], line[3], line[4], line[6], line[8]) == (
        referral.id, "Lin Garage", "Chen Tyres", "four winter tyres", "12000", "sent")
    assert not any(CUSTOMER in cell or CONTACT in cell for row in rows for cell in row)

    rows = await _export(harness, a, "decisions")
    by_title = {row[1]: row for row in rows[1:]}
    yes, no, abstain = a.t("Yes"), a.t("No"), a.t("Abstain")
    column = {name: rows[0].index(a.t(label)) for name, label in
              (("tally", "Votes per option"), ("voted", "Members who voted"),
               ("secret", "Secret ballot"), ("opened", "Opened"))}
    secret = by_title["Shared van"]
    # The tally is written in the reader's punctuation: "Yes: 2; No: 1" / "贊成：2；反對：1".
    label, clause = a.t("{label}: {value}"), a.t("; ")
    assert secret[column["tally"]] == clause.join(
        label.format(label=name, value=count) for name, count in ((yes, 2), (no, 1), (abstain, 0)))
    assert secret[column["voted"]] == "3" and secret[column["secret"]] == a.t("yes")
    assert secret[column["opened"]] == "2025-03-01 14:30"  # the alliance's zone, Asia/Taipei
    assert by_title["Picnic"][column["tally"]] == clause.join(
        (label.format(label="Park", value=1), label.format(label="Beach", value=2)))
    assert by_title["Logo"][column["tally"]] == a.t("hidden until the vote closes")

    rows = await _export(harness, a, "meetings")
    assert sorted((row[5], row[6]) for row in rows[1:]) == [("Chen Tyres", "maybe"),
                                                            ("Lin Garage", "yes")]
    assert rows[1][3] == "2025-03-08 14:30"

    rows = await _export(harness, a, "requests")
    assert sorted(row[4] for row in rows[1:]) == ["Oil", "Tyre changer"]
    rows = await _export(harness, a, "offers")
    assert rows[1][3:5] == ["Wang Tyres", "'=SUM(A1)"]  # never run as a formula
    rows = await _export(harness, a, "pledges")
    assert rows[1][2:9] == ["Engine oil", "Wang Tyres", "12", "litre", "pledged", "3600.50",
                            "TWD"]
    rows = await _export(harness, a, "bookings")
    assert rows[1][1:5] == ["Balancer", "Chen Tyres", "2025-03-01 14:30", "2025-03-02 14:30"]
    async with harness.app.sessions() as session:  # nothing was changed by exporting
        assert (await session.scalar(select(Pledge.status))) == "pledged"
        assert (await session.scalar(select(ResourceOffer.note))) == "=SUM(A1)"
    if locale == "zh_Hant":
        assert a.t("Members") != "Members" and a.t("Referred by") != "Referred by"


async def test_headers_in_simplified_chinese_and_the_file_stays_under_the_limit(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers.reports, "CHUNK", 1)  # every row its own worker-thread write
    a = await alliance(harness, "en")
    assert harness.app is not None
    async with harness.app.sessions() as session:
        await session.execute(update(Person).where(Person.id == a.lin.id).values(locale="zh_Hans"))
        await session.commit()
    full = await _export(harness, a, "members", t("zh_Hans", "Members"))
    assert full[0][:2] == [t("zh_Hans", "ID"), t("zh_Hans", "Name")] and full[0][1] != "Name"
    assert len(full) == 5  # the header and four members
    size = len("\ufeff".encode() + b"".join(
        (",".join(row) + "\r\n").encode() for row in full[:3]))
    monkeypatch.setattr(handlers.reports, "DOCUMENT_LIMIT", size)
    await harness.say(a.lin, a.lin, "/export")
    await a.lin.press(harness.world.last(a.lin), t("zh_Hans", "Members"))
    _name, data, caption = documents(harness, a.lin)[-1]
    assert len(data) <= size and len(read_csv(data)) == 3
    assert t("zh_Hans", "The file stops there: it has to stay under Telegram's limit for files. "
             "Ask a developer for the rest.") in caption


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_plain_member_a_group_and_forged_buttons_get_nothing(harness: Harness,
                                                                    locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    refusal = a.t("Only the alliance's coordinators can do that.")
    for command in ("/export", "/audit"):
        assert refusal in (await harness.say(a.chen, a.chen, command)).text
        assert refusal in (await harness.say(a.chen, a.group, command)).text
        assert refusal in (await harness.say(a.sue, a.sue, command)).text
    # The coordinator in the group: a deep link, nothing else in the group.
    reply = await harness.say(a.lin, a.group, "/export")
    aid = await alliance_id(harness)
    assert reply.button_rows[0][0].url.endswith(f"?start=export-{aid}")
    reply = await harness.say(a.lin, a.group, "/audit")
    assert reply.button_rows[0][0].url.endswith(f"?start=audit-{aid}")
    await harness.say(a.lin, a.lin, f"/start export-{aid}")
    menu = world.last(a.lin)
    assert sum(len(row) for row in menu.buttons) == len(TABLES)
    # A plain member sending a coordinator's button data on a message of their own.
    own = await harness.say(a.chen, a.chen, "/help")
    answer = await press_forged(harness, a.chen, own,
                                ExportCb(alliance_id=aid, kind="referrals").pack())
    await world.settle()
    assert answer.text == refusal
    answer = await press_forged(harness, a.chen, own, AuditCb(alliance_id=aid, offset=0,
                                                              size=10).pack())
    await world.settle()
    assert answer.text == refusal
    # The coordinator forging a table that does not exist, or another alliance.
    answer = await press_forged(harness, a.lin, menu, ExportCb(alliance_id=aid,
                                                               kind="customers").pack())
    await world.settle()
    assert answer.text == a.t("That export does not exist. Send /export for the list.")
    answer = await press_forged(harness, a.lin, menu, ExportCb(alliance_id=aid + 7,
                                                               kind="members").pack())
    await world.settle()
    assert answer.text == a.t("That alliance no longer exists.")
    assert documents(harness, a.chen) == [] and documents(harness, a.lin) == []
    assert documents(harness, a.sue) == []
    bad = await harness.say(a.lin, a.lin, "/start export-x")
    assert bad is not None and not bad.document


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_the_audit_log_paged_in_the_readers_language(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    await seed_audit(a, 12)
    world = harness.world
    page = await harness.say(a.lin, a.lin, "/audit 5")
    assert page is not None
    heading = a.t("Audit log of “{alliance}”: {first}–{last} of {total}, newest first")
    name = "Alliance"
    assert harness.app is not None
    async with harness.app.sessions() as session:
        name = await session.scalar(select(AllianceRow.name)) or ""
    # Newest first: the set-up of the alliance, then the twelve seeded a minute apart.
    assert heading.format(alliance=name, first=1, last=5, total=13) in page.text
    assert a.t("{who} set up the alliance.").format(who="Lin") in page.text
    assert page.buttons == [[a.t("Older ▶")]]
    assert page.text.count(a.t("{who} changed the charter.").format(who="Lin")) == 4
    await a.lin.press(page, a.t("Older ▶"))
    assert heading.format(alliance=name, first=6, last=10, total=13) in page.text
    assert a.t("{who}: {action}").format(who="Lin", action="future.thing") in page.text
    assert page.buttons == [[a.t("◀ Newer"), a.t("Older ▶")]]
    await harness.restart()  # the pages hold no state: a restart between presses changes nothing
    await a.lin.press(page, a.t("Older ▶"))
    assert heading.format(alliance=name, first=11, last=13, total=13) in page.text
    assert a.t("{who} suspended {member}: {reason}").format(
        who="Lin", member="Sue Tyres", reason="unpaid dues") in page.text
    assert a.t("{who} made {person} a coordinator.").format(who="Lin", person="Chen") in page.text
    assert a.t("{who} changed the charter.").format(who=a.t("a former member")) in page.text
    assert "2025" in page.text and "2:30" in page.text  # 06:30 UTC, in Asia/Taipei
    assert page.buttons == [[a.t("◀ Newer")]]
    await a.lin.press(page, a.t("◀ Newer"))
    assert heading.format(alliance=name, first=6, last=10, total=13) in page.text
    # A bad page size: said, nothing sent but the explanation.
    bad = await harness.say(a.lin, a.lin, "/audit lots")
    assert bad.text == a.t(
        "Send /audit, or /audit with how many entries to show per page (1 to {maximum})."
    ).format(maximum=reports.AUDIT_MAX_PAGE)
    assert (await harness.say(a.lin, a.lin, "/audit 500")).text == bad.text
    # A forged size on a real page: refused, the page unchanged.
    shown = page.text
    answer = await press_forged(harness, a.lin, page, AuditCb(
        alliance_id=await alliance_id(harness), offset=0, size=999).pack())
    await world.settle()
    assert answer.text == bad.text and page.text == shown


async def test_proposal_titles_in_the_log(harness: Harness) -> None:
    """An entry names the proposal by its title, looked up when the page is read."""
    a = await alliance(harness, "en")
    await seed_everything(a)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        proposal = await session.scalar(select(Proposal).where(Proposal.title == "Shared van"))
        assert proposal is not None
        from bot.services import audit
        audit.record(session, alliance_id=proposal.alliance_id, actor_id=None,
                     action="proposal.close", subject=str(proposal.id), now=proposal.closes_at)
        await session.commit()
    page = await harness.say(a.lin, a.lin, "/audit")
    assert "The proposal “Shared van” closed." in page.text


async def test_every_export_and_the_audit_log_on_both_engines(database_url: str) -> None:
    """Rows are streamed (a server-side cursor on PostgreSQL): every export on SQLite and, when
    CI provides one, PostgreSQL."""
    harness = await make_harness(database_url)
    try:
        await harness.start_bot()
        a = await alliance(harness, "zh_Hant")
        await seed_everything(a)
        counts = {}
        for kind in TABLES:
            counts[kind] = len(await _export(harness, a, kind)) - 1
        assert counts == {"members": 4, "referrals": 1, "decisions": 3, "meetings": 2,
                          "requests": 2, "offers": 1, "pledges": 1, "bookings": 1}
        page = await harness.say(a.lin, a.lin, "/audit")
        assert a.t("{who} set up the alliance.").format(who="Lin") in page.text
        assert not harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()
