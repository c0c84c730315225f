"""The tables every feature stands on; feature tables come with their features.

Telegram ids (users, chats, updates, messages) are 64-bit: BigInteger throughout.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import DecimalText, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Person(Base):
    """A Telegram user. Personal fields are nulled by /forget; the row stays for history."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(35))
    locale: Mapped[str | None] = mapped_column(String(8))
    menu: Mapped[str | None] = mapped_column(String(32))  # bot.runtime.menus: the chat's own menu
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_at: Mapped[datetime | None]
    forgotten_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Alliance(Base):
    __tablename__ = "alliances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    charter: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Chat(Base):
    """A group the bot is in. ``role`` is home (one per alliance) or linked; none if unattached."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(255))
    is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliances.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    menu: Mapped[str | None] = mapped_column(String(32))  # bot.runtime.menus: the chat's own menu
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Member(Base):
    """A business in an alliance: one member, one vote, however many people act for it."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_alliance_status", "alliance_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(255))
    services: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # --- membership (issue #3): who owns the card, how to reach it, who vouched, its standing ---
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    contact_kind: Mapped[str | None] = mapped_column(String(16))  # phone | email | website
    sponsor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    joined_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime | None]


class Role(Base):
    """A person's place in an alliance: coordinator or member, and which business they act for."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("alliance_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    # Indexed: a notice to a member's people, and a member leaving, look its roles up by member.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_alliance_created", "alliance_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliances.id"))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Claimed in the same transaction as the update's effects, so a crash re-processes it."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class ReceivedUpdate(Base):
    """An update taken from ``getUpdates``, kept until its handling commits.

    In polling mode asking for the next batch confirms the previous one to Telegram, which will
    never send it again: each batch is stored here first, and what a crash interrupted (no
    claim in ``processed_updates``) is handled at the next start. Rows go once claimed.
    """

    __tablename__ = "received_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[str] = mapped_column(Text)


class OutboxItem(Base):
    """A message owed to a chat: stored before it is sent, its state saved around each attempt."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),
                      Index("ix_outbox_purpose", "purpose", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliances.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="message")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_name: Mapped[str | None] = mapped_column(String(255))
    dedup_key: Mapped[str | None] = mapped_column(String(191), unique=True)
    purpose: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A private notice that waits out the alliance's quiet hours: its own queue per chat, so a
    # held notice never blocks what must go at once (bot.services.outgoing).
    quiet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(512))


class FsmRecord(Base):
    """aiogram FSM state and data, so a wizard survives a restart of the bot."""

    __tablename__ = "fsm_states"
    __table_args__ = (Index("ix_fsm_states_state_updated", "state", "updated_at"),)  # drafts

    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(191), index=True)  # forms under way, by form
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class JobRun(Base):
    """One row per scheduled run that happened: the second guard against doing a job twice."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(index=True)


# --- membership ---


class Application(Base):
    """A request to join an alliance: the questionnaire's answers and the decision on them.

    The decision is one conditional UPDATE (``WHERE status = 'submitted'``), so two coordinators
    pressing at once make one decision.
    """

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_alliance_status", "alliance_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    via: Mapped[str] = mapped_column(String(16), default="command")  # request | link | command
    approval_mode: Mapped[str] = mapped_column(String(16), default="coordinators")
    join_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    join_user_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    cards: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"messages": [[chat, id]]}
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class JoinCode(Base):
    """The code in ``?start=join-<code>`` (per alliance, rotatable) or ``?start=team-<code>``."""

    __tablename__ = "join_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="join")  # join | team
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
# --- meetings ---


class MeetingSeries(Base):
    """A recurring meeting kept as a rule (RRULE, local wall-clock time and zone), never as a list
    of dates: the scheduler derives each poll from it."""

    __tablename__ = "meeting_series"
    __table_args__ = (Index("ix_meeting_series_alliance_status", "alliance_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(500))
    rule: Mapped[str] = mapped_column(String(255))
    anchor: Mapped[date] = mapped_column(Date)
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    offsets: Mapped[list[int]] = mapped_column(JSON)
    duration_min: Mapped[int] = mapped_column(Integer, default=60)
    open_days: Mapped[int] = mapped_column(Integer)
    poll_hours: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Meeting(Base):
    """One availability poll and, once decided, the meeting it chose."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_alliance_status", "alliance_id", "status"),
                      # the scheduler's reads: open polls by deadline, decided meetings by start
                      Index("ix_meetings_status_deadline", "status", "deadline"),
                      Index("ix_meetings_status_starts", "status", "starts_at"),
                      UniqueConstraint("series_id", "occurrence_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"))
    occurrence_at: Mapped[datetime | None]
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(500))
    duration_min: Mapped[int] = mapped_column(Integer, default=60)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    winner_slot_id: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class MeetingSlot(Base):
    __tablename__ = "meeting_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    starts_at: Mapped[datetime]


class Availability(Base):
    """One answer per member and slot (any of the member's people may set it): yes, maybe, no."""

    __tablename__ = "meeting_availability"
    __table_args__ = (UniqueConstraint("slot_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    answer: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]
# --- referrals ---


# A referral whose customer is not forgotten yet (the partial index the purge read uses).
HOLDS_CUSTOMER = "customer_contact IS NOT NULL OR customer_name IS NOT NULL"


class Referral(Base):
    """A customer passed from one member to another (PRODUCT.md §3).

    The customer's name and contact live here and nowhere else; they are nulled
    (``purged_at``) a set time after the referral closes, and the row stays for the ledger.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_alliance_created", "alliance_id", "created_at"),
        Index("ix_referrals_receiver_status", "receiver_id", "status"),
        Index("ix_referrals_referrer_status", "referrer_id", "status"),
        Index("ix_referrals_status", "status"),
        # the scheduler's window (migration 0013): reminders and expiries of sent referrals,
        # nudges of those in hand, the purge of closed ones still holding a customer
        Index("ix_referrals_status_created", "status", "created_at"),
        Index("ix_referrals_status_touched", "status", "touched_at"),
        Index("ix_referrals_purge", "closed_at", postgresql_where=text(HOLDS_CUSTOMER),
              sqlite_where=text(HOLDS_CUSTOMER)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    referrer_person_id: Mapped[int | None] = mapped_column(BigInteger)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    passed_from_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(255))
    customer_contact: Mapped[str | None] = mapped_column(String(255))
    need: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(8))
    expected_value: Mapped[Decimal | None] = mapped_column(DecimalText())
    expected_currency: Mapped[str | None] = mapped_column(String(3))
    won_value: Mapped[Decimal | None] = mapped_column(DecimalText())
    won_currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="sent")
    reason: Mapped[str | None] = mapped_column(String(500))
    accepted_by: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    touched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReferralEvent(Base):
    """Every change of a referral, with who and when. Never holds customer data."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class ReferralCard(Base):
    """A private card about a referral (chat, message), so every copy is edited on a change."""

    __tablename__ = "referral_cards"
    __table_args__ = (UniqueConstraint("referral_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


# --- decisions ---


class Proposal(Base):
    """A proposal and its rules; its outcome is stored when it closes (the decision log)."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_alliance_status", "alliance_id", "status"),
        Index("ix_proposals_subject", "subject_kind", "subject_ref"),
        Index("ix_proposals_status_closes", "status", "closes_at"),  # the scheduler's read
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    quorum_pct: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[str] = mapped_column(String(16))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    results_while_open: Mapped[bool] = mapped_column(Boolean, default=True)
    electorate: Mapped[str] = mapped_column(String(16), default="members")
    subject_kind: Mapped[str | None] = mapped_column(String(32))
    subject_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(16))
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Ballot(Base):
    """One per member and proposal, replaced when changed. ``choices``: option indexes, "0,2".

    No person id is kept: for a secret ballot nothing links a choice to who pressed.
    """

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    choices: Mapped[str] = mapped_column(String(64))
    cast_at: Mapped[datetime]
    changed: Mapped[int] = mapped_column(Integer, default=0)


# --- shared resources (PRODUCT.md §4) ---


class ResourceRequest(Base):
    """Something a member asks the alliance for: equipment to borrow, space, expertise, a joint
    purchase (then a ``Purchase`` row carries its terms) or anything else.

    ``open → matched | fulfilled | cancelled | expired`` (and ``matched → fulfilled |
    cancelled``), each move one conditional UPDATE and one ``ResourceEvent``.
    """

    __tablename__ = "resource_requests"
    __table_args__ = (
        Index("ix_resource_requests_alliance_status", "alliance_id", "status", "kind"),
        Index("ix_resource_requests_requester_status", "requester_id", "status"),
        Index("ix_resource_requests_status_needed_by", "status", "needed_by"),  # expiries
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    requester_person_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(32))
    needed_by: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    accepted_offer_id: Mapped[int | None] = mapped_column(Integer)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RequestCard(Base):
    """A copy of a request's card in one of the alliance's linked chats (the home card is on the
    request itself), so every change edits every copy."""

    __tablename__ = "request_cards"
    __table_args__ = (UniqueConstraint("request_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ResourceEvent(Base):
    """Every change of a request (and of its joint purchase and pledges), with who and when."""

    __tablename__ = "resource_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class ResourceOffer(Base):
    """A member's answer to a request: one per member and request (offering again edits it).

    ``open → accepted | declined | withdrawn``; at most one offer of a request is accepted.
    """

    __tablename__ = "resource_offers"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),
                      Index("ix_resource_offers_member_status", "member_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Equipment(Base):
    """A shared item: where it stays, which member holds it, on what conditions.

    ``booking_seq`` is bumped by every booking: that UPDATE takes the item's row lock, so two
    bookings of one item are checked for overlap one after the other (see
    ``bot.services.equipment.book``).
    """

    __tablename__ = "equipment"
    __table_args__ = (Index("ix_equipment_alliance_retired", "alliance_id", "retired_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    holder_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the alliance's
    deposit: Mapped[Decimal | None] = mapped_column(DecimalText())
    fee: Mapped[Decimal | None] = mapped_column(DecimalText())
    currency: Mapped[str | None] = mapped_column(String(3))
    booking_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EquipmentBooking(Base):
    """A member's booking of an item for ``[starts_at, ends_at)`` (UTC).

    ``booked → picked_up → returned``, or ``booked → cancelled``. Each notice is stored as sent
    (``*_sent_at``) in the transaction that queues it, so a restart never sends one twice.
    """

    __tablename__ = "equipment_bookings"
    __table_args__ = (Index("ix_equipment_bookings_item_status", "equipment_id", "status",
                            "starts_at"),
                      Index("ix_equipment_bookings_member_status", "member_id", "status"),
                      Index("ix_equipment_bookings_status_ends", "status", "ends_at"))  # notices

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("resource_requests.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="booked")
    picked_up_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger)
    reminder_sent_at: Mapped[datetime | None]
    overdue_borrower_sent_at: Mapped[datetime | None]
    overdue_holder_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Purchase(Base):
    """The terms of a joint purchase (its request carries title, card and events).

    ``open → go | failed``, ``go → fulfilled``. Priced either per unit (``unit_price``, optional
    ``tiers`` ``[[min_quantity, "price"], …]``) or as one ``total_price`` split pro rata by the
    quantities pledged (an even split: everyone pledges one share). ``pledge_seq`` is bumped by
    every pledge, taking the row lock that makes the maximum hold under concurrency.
    """

    __tablename__ = "purchases"
    __table_args__ = (Index("ix_purchases_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), unique=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    pricing: Mapped[str] = mapped_column(String(8))  # unit | split
    unit_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    total_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    currency: Mapped[str] = mapped_column(String(3))
    tiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    moq: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    pledge_seq: Mapped[int] = mapped_column(Integer, default=0)
    settled_total: Mapped[int | None] = mapped_column(Integer)
    settled_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    settled_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Pledge(Base):
    """One per member and purchase (changing it edits the row): ``pledged → withdrawn |
    confirmed``; a withdrawn pledge may be pledged again until the deadline. ``cost`` is set
    when the purchase goes ahead."""

    __tablename__ = "purchase_pledges"
    __table_args__ = (UniqueConstraint("purchase_id", "member_id"),
                      Index("ix_purchase_pledges_member_status", "member_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pledged")
    cost: Mapped[Decimal | None] = mapped_column(DecimalText())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Announcement(Base):
    """A coordinator's /announce: a draft until *Send* (its alliance is chosen then, for someone
    who coordinates several), then delivered through the outbox (purpose ``announce:<id>``) and
    ``done`` once every item is sent or failed and the author has the delivery report."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliances.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    text: Mapped[str] = mapped_column(Text)
    privately: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft|cancelled|sending|done
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
