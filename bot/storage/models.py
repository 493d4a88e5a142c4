"""SQLAlchemy models of the application database (the system of record).

Written for SQLAlchemy 1.4 in 2.0 style: ``Column`` declarations (1.4 has no
``Mapped[...]`` annotation mapping), Core ``select()``/``insert()`` in the store.
The schema itself is created by Alembic (``migrations/``), never by
``metadata.create_all``; ``tests/storage/test_migrations.py`` checks that the
migrations and these models agree.

Closed vocabularies are plain strings guarded by CHECK constraints rather than
database enums: adding a value is then a small migration on both SQLite and
PostgreSQL. Statuses reported by WhatsApp (``message_statuses.status``) are left
open on purpose, so a new status from Meta is recorded instead of failing the webhook.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

from bot.storage.types import IdType, JSONType, UTCDateTime

# Deterministic constraint names, so later migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base = declarative_base(metadata=metadata)

LANGUAGES = ("es", "en")
LANGUAGE_SOURCES = ("default", "detected", "explicit")
ROLES = ("attendee", "model", "designer", "organizer", "staff")
INBOUND_STATES = ("pending", "done", "failed", "skipped")
OUTBOUND_STATUSES = ("pending", "accepted", "sent", "delivered", "read", "failed", "window_closed")

# WhatsApp ids are at most 15 digits; message ids ("wamid.HBgM...") are ~60 characters.
WA_ID_LEN = 20
WAMID_LEN = 255


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Contact(Base):
    """A WhatsApp user: identity, language preference and role in the event."""

    __tablename__ = "contacts"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    phone_e164 = Column(String(WA_ID_LEN), nullable=False)
    profile_name = Column(String(256), nullable=True)
    language = Column(String(2), nullable=False, server_default="es")
    language_source = Column(String(16), nullable=False, server_default="default")
    role = Column(String(16), nullable=False, server_default="attendee")
    #: Last message *from* the user: opens WhatsApp's 24-hour customer-service window.
    last_inbound_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("wa_id"),
        Index(None, "phone_e164"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
        CheckConstraint(_one_of("language_source", LANGUAGE_SOURCES), name="language_source"),
        CheckConstraint(_one_of("role", ROLES), name="role"),
    )


class InboundMessage(Base):
    """Every inbound WhatsApp message, written before the webhook is acknowledged.

    Doubles as the de-duplication record (``wamid`` is unique; WhatsApp delivers at
    least once, for up to 7 days) and as the durable inbox (``pending`` rows are
    replayed after a crash).
    """

    __tablename__ = "inbound_messages"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wamid = Column(String(WAMID_LEN), nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    msg_type = Column(String(32), nullable=False)
    text = Column(Text, nullable=True)
    payload = Column(JSONType, nullable=False)
    wa_timestamp = Column(UTCDateTime(), nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)
    state = Column(String(16), nullable=False, server_default="pending")
    attempts = Column(Integer, nullable=False, server_default="0")
    error = Column(Text, nullable=True)
    processed_at = Column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("wamid"),
        Index(None, "wa_id"),
        Index(None, "received_at"),
        # The replay query only ever looks at pending rows: a partial index stays tiny.
        Index(
            "ix_inbound_messages_pending",
            "received_at",
            postgresql_where=state == "pending",
            sqlite_where=state == "pending",
        ),
        CheckConstraint(_one_of("state", INBOUND_STATES), name="state"),
    )


class OutboundMessage(Base):
    """A message we send (or tried to send) through the Cloud API."""

    __tablename__ = "outbound_messages"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    msg_type = Column(String(32), nullable=False)
    #: The Cloud API request body, as sent.
    payload = Column(JSONType, nullable=False)
    status = Column(String(16), nullable=False, server_default="pending")
    #: Set once the API accepted the message; unique when set (NULLs never collide).
    wamid = Column(String(WAMID_LEN), nullable=True)
    attempts = Column(Integer, nullable=False, server_default="0")
    error_code = Column(Integer, nullable=True)
    error_detail = Column(Text, nullable=True)
    reply_to_wamid = Column(String(WAMID_LEN), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("wamid"),
        Index(None, "wa_id", "id"),
        Index(None, "status", "id"),
        CheckConstraint(_one_of("status", OUTBOUND_STATUSES), name="status"),
    )


class MessageStatus(Base):
    """One status webhook (sent/delivered/read/failed/played) per message and status.

    ``UNIQUE(wamid, status)`` makes a re-delivered status webhook a no-op; the rows feed
    analytics (delivery funnel, conversation categories, billing).
    """

    __tablename__ = "message_statuses"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wamid = Column(String(WAMID_LEN), nullable=False)
    status = Column(String(16), nullable=False)
    # Lenient length: Meta is introducing business-scoped user ids beside phone numbers.
    recipient_id = Column(String(64), nullable=True)
    wa_timestamp = Column(UTCDateTime(), nullable=True)
    error_code = Column(Integer, nullable=True)
    error_title = Column(Text, nullable=True)
    error_detail = Column(Text, nullable=True)
    conversation_id = Column(String(WAMID_LEN), nullable=True)
    conversation_category = Column(String(32), nullable=True)
    pricing_category = Column(String(32), nullable=True)
    pricing_type = Column(String(32), nullable=True)
    billable = Column(Boolean, nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)
    #: The send's ``biz_opaque_callback_data``, echoed by WhatsApp: for outbox sends the
    #: row's idempotency key, so a worker restarted after a crash can find out that a send
    #: it has no record of was accepted (``accepted_wamid``; migration 0009_status_callback).
    callback_data = Column(String(512), nullable=True)

    __table_args__ = (
        UniqueConstraint("wamid", "status"),
        Index(None, "received_at"),
        Index(None, "callback_data"),
    )


# ---------------------------------------------------------------------------------------
# Hand-off to a person and incidents reported by staff (issue 3; migration 0003_handoff).

#: Why a conversation was handed to a person (what the user did just before).
HANDOFF_REASONS = (
    "user_request",  # asked for a person in their own words or with the menu button
    "fallback",  # accepted the person offered after the bot did not understand twice
    "bot_challenge",  # asked whether this is a bot and accepted the person offered
    "journey_pending",  # asked for something whose journey is not built yet
    "staff_request",  # an organizer/staff request the bot cannot answer yet (reports)
)
#: How an open hand-off ended: a person of the team released it, or the user opted out.
HANDOFF_RELEASE_REASONS = ("released", "opt_out")


class Handoff(Base):
    """A conversation flagged for a person; the bot stays quiet while it is open.

    Open means ``released_at IS NULL``; a partial unique index allows one open hand-off
    per person, so asking twice (or two racing requests) keeps the first one.
    """

    __tablename__ = "handoffs"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    reason = Column(String(32), nullable=False)
    #: The user's last typed text before the hand-off (truncated), so the person
    #: answering knows what it is about without reading the whole tracker.
    last_user_text = Column(Text, nullable=True)
    requested_at = Column(UTCDateTime(), nullable=False)
    released_at = Column(UTCDateTime(), nullable=True)
    #: Who ended it: ``admin-api``, ``cli`` or ``user`` (an opt-out).
    released_by = Column(String(64), nullable=True)
    release_reason = Column(String(16), nullable=True)

    __table_args__ = (
        Index(
            "uq_handoffs_open_wa_id",
            "wa_id",
            unique=True,
            postgresql_where=released_at.is_(None),
            sqlite_where=released_at.is_(None),
        ),
        Index(None, "requested_at"),
        CheckConstraint(_one_of("reason", HANDOFF_REASONS), name="reason"),
        CheckConstraint(
            "release_reason IS NULL OR " + _one_of("release_reason", HANDOFF_RELEASE_REASONS),
            name="release_reason",
        ),
    )


class Incident(Base):
    """An incident at a venue reported by an organizer or staff member (``report_issue``)."""

    __tablename__ = "incidents"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    text = Column(Text, nullable=False)
    #: The event named in the message (the ``event`` entity), when there was one.
    event = Column(String(256), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (Index(None, "created_at"),)


# ---------------------------------------------------------------------------------------
# Consent log and data-subject requests (issue 3; migration 0002_consent).
# Queries in bot/storage/consent.py, domain rules in bot/consent.py and bot/privacy.py.

#: What a person may authorise separately (WhatsApp best practice: one opt-in per
#: category; Ley 1581: a new purpose needs a new authorisation).
CONSENT_PURPOSES = ("transactional", "marketing", "casting")
#: How the decision reached us: a reply button, typed words, or a bare STOP/BAJA/PARAR.
CONSENT_SOURCES = ("button", "text", "keyword")
#: Ley 1581 art. 8 rights handled as requests with a legal deadline.
DSR_KINDS = ("erasure", "access", "rectification")
DSR_STATUSES = ("received", "in_progress", "completed", "rejected")


class ConsentEvent(Base):
    """One consent decision for one purpose: the accountability record (D.1377 arts. 26–27).

    Append-only: a revocation is a new row with ``granted = false``, never an update;
    database triggers refuse UPDATE and DELETE. The current state of a purpose is its
    latest row (highest ``id``). ``(inbound_wamid, purpose)`` is unique so that a
    replayed WhatsApp message (at-least-once turns) does not log the decision twice.
    """

    __tablename__ = "consent_log"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    purpose = Column(String(16), nullable=False)
    granted = Column(Boolean, nullable=False)
    policy_version = Column(String(32), nullable=False)
    #: SHA-256 of the notice text the person was shown, so the exact wording is provable.
    policy_hash = Column(String(64), nullable=True)
    source = Column(String(16), nullable=False)
    #: The Rasa input channel the message came through (``wappbiz``), when known.
    channel = Column(String(32), nullable=True)
    #: The wamid of the message that carried the decision (the "Acepto" tap, the "STOP").
    inbound_wamid = Column(String(WAMID_LEN), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        Index(None, "wa_id", "purpose", "id"),
        UniqueConstraint("inbound_wamid", "purpose"),
        CheckConstraint(_one_of("purpose", CONSENT_PURPOSES), name="purpose"),
        CheckConstraint(_one_of("source", CONSENT_SOURCES), name="source"),
    )


class DataSubjectRequest(Base):
    """A Habeas Data request (erasure today) with the date the law gives us to answer.

    ``due_at`` is the end (23:59:59 Bogotá) of the last business day of the legal term,
    computed by :mod:`bot.privacy`. ``inbound_wamid`` is unique so a replayed message
    does not file the request twice.
    """

    __tablename__ = "data_subject_requests"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    kind = Column(String(16), nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)
    due_at = Column(UTCDateTime(), nullable=False)
    status = Column(String(16), nullable=False, server_default="received")
    inbound_wamid = Column(String(WAMID_LEN), nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        Index(None, "wa_id", "kind", "status"),
        Index(None, "status", "due_at"),
        UniqueConstraint("inbound_wamid"),
        CheckConstraint(_one_of("kind", DSR_KINDS), name="kind"),
        CheckConstraint(_one_of("status", DSR_STATUSES), name="status"),
    )


# ---------------------------------------------------------------------------------------
# Ticket purchases, payments, QR tickets, check-in and refunds (migration 0004_purchases).
# Queries in bot/storage/purchases.py.

#: Life of a purchase. ``awaiting_payment``: a payment link exists (or is being made);
#: ``paid``: the provider confirmed the money, the order is to be completed in Hi.Events
#: and the tickets sent (the fulfilment worker); ``fulfilled``: tickets issued;
#: ``expired``: the link lapsed unpaid; ``flagged``: needs a person (amount mismatch,
#: fulfilment given up); ``cancelled``: the buyer or the team called it off.
PURCHASE_STATES = ("awaiting_payment", "paid", "fulfilled", "expired", "flagged", "cancelled")
PAYMENT_PROVIDERS = ("wompi", "mercadopago")
#: What the webhook handler did with a payment event. Open on purpose (no CHECK): a new
#: outcome is a code change, not a migration.
PAYMENT_OUTCOMES = ("applied", "duplicate", "mismatch", "unknown_purchase", "late", "ignored")
#: Ley 1480 art. 47 (retracto: 5 business days) or a request outside it (organizer policy).
REFUND_BASES = ("retracto", "outside_retracto")
REFUND_STATUSES = ("pending", "approved", "rejected")

#: 64-bit integers (pesos, Hi.Events ids): BIGINT on PostgreSQL; SQLite's INTEGER is
#: already 64-bit. The same type as the surrogate keys, under a name that says why.
Int64 = IdType


class Purchase(Base):
    """A ticket purchase made in WhatsApp: the system of record of the money.

    ``reference`` is our id handed to the payment provider (it comes back in its
    webhooks); ``(provider, link_id)`` identifies the payment link. Money is in whole
    Colombian pesos (COP has no cents in practice) as BIGINT.
    """

    __tablename__ = "purchases"

    id = Column(IdType, primary_key=True, autoincrement=True)
    reference = Column(String(40), nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    language = Column(String(2), nullable=False)
    event_id = Column(Int64, nullable=False)
    event_title = Column(String(256), nullable=False)
    event_starts_at = Column(UTCDateTime(), nullable=False)
    product_id = Column(Int64, nullable=False)
    price_id = Column(Int64, nullable=False)
    ticket_type = Column(String(64), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_cop = Column(Int64, nullable=False)
    total_cop = Column(Int64, nullable=False)
    currency = Column(String(3), nullable=False, server_default="COP")
    buyer_name = Column(String(128), nullable=False)
    buyer_email = Column(String(254), nullable=False)
    #: The Hi.Events order reserved for this purchase (short id shown to people).
    hi_order_short_id = Column(String(32), nullable=True)
    hi_order_public_id = Column(String(16), nullable=True)
    hi_order_id = Column(Int64, nullable=True)
    hi_session = Column(String(64), nullable=True)
    #: Set with the payment link.
    provider = Column(String(16), nullable=True)
    link_id = Column(String(64), nullable=True)
    link_url = Column(Text, nullable=True)
    link_expires_at = Column(UTCDateTime(), nullable=True)
    state = Column(String(16), nullable=False, server_default="awaiting_payment")
    payment_transaction_id = Column(String(64), nullable=True)
    payment_method = Column(String(32), nullable=True)
    paid_at = Column(UTCDateTime(), nullable=True)
    fulfilled_at = Column(UTCDateTime(), nullable=True)
    #: Fulfilment attempts (reset when paid); the worker's lease and back-off live in
    #: ``next_attempt_at``.
    attempts = Column(Integer, nullable=False, server_default="0")
    next_attempt_at = Column(UTCDateTime(), nullable=True)
    last_error = Column(Text, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("reference"),
        UniqueConstraint("provider", "link_id"),
        Index(None, "wa_id", "id"),
        Index(None, "state", "next_attempt_at"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
        CheckConstraint(_one_of("state", PURCHASE_STATES), name="state"),
        CheckConstraint(
            "provider IS NULL OR " + _one_of("provider", PAYMENT_PROVIDERS), name="provider"
        ),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price_cop >= 0 AND total_cop >= 0", name="amounts"),
    )


class PaymentEvent(Base):
    """One payment notification (webhook or poll) per provider transaction and status.

    ``UNIQUE(provider, transaction_id, status)`` makes a re-delivered webhook a no-op;
    ``purchase_id`` is a plain column (no foreign key) so an event for an unknown
    purchase is still recorded, then reconciled by a person.
    """

    __tablename__ = "payment_events"

    id = Column(IdType, primary_key=True, autoincrement=True)
    provider = Column(String(16), nullable=False)
    transaction_id = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False)
    purchase_id = Column(IdType, nullable=True)
    amount_cop = Column(Int64, nullable=True)
    currency = Column(String(3), nullable=True)
    reference = Column(String(64), nullable=True)
    link_id = Column(String(64), nullable=True)
    method = Column(String(32), nullable=True)
    outcome = Column(String(32), nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)
    raw = Column(JSONType, nullable=False)

    __table_args__ = (
        UniqueConstraint("provider", "transaction_id", "status"),
        Index(None, "purchase_id"),
        CheckConstraint(_one_of("provider", PAYMENT_PROVIDERS), name="provider"),
    )


class Ticket(Base):
    """A QR ticket (a Hi.Events attendee) issued for a purchase, and its check-in."""

    __tablename__ = "tickets"

    id = Column(IdType, primary_key=True, autoincrement=True)
    purchase_id = Column(IdType, nullable=False)
    #: Hi.Events attendee public id: what the QR code carries.
    attendee_public_id = Column(String(16), nullable=False)
    attendee_id = Column(Int64, nullable=True)
    holder_name = Column(String(128), nullable=False)
    ticket_type = Column(String(64), nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    #: The uploaded QR image and the message that carried it.
    media_id = Column(String(128), nullable=True)
    wamid = Column(String(WAMID_LEN), nullable=True)
    sent_at = Column(UTCDateTime(), nullable=True)
    checked_in_at = Column(UTCDateTime(), nullable=True)
    welcomed_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    #: Hi.Events cancelled this attendee (``attendee.cancelled``): no door, no resend.
    cancelled_at = Column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("attendee_public_id"),
        Index(None, "purchase_id"),
        Index(None, "wa_id", "id"),
    )


class RefundRequest(Base):
    """A refund asked for by the buyer, and the team's decision.

    A partial unique index allows one pending request per purchase, so asking twice
    (or two racing requests) keeps the first.
    """

    __tablename__ = "refund_requests"

    id = Column(IdType, primary_key=True, autoincrement=True)
    purchase_id = Column(IdType, nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    reason = Column(Text, nullable=True)
    basis = Column(String(32), nullable=False)
    eligible = Column(Boolean, nullable=False)
    retracto_deadline = Column(UTCDateTime(), nullable=True)
    refund_due_by = Column(UTCDateTime(), nullable=True)
    status = Column(String(16), nullable=False, server_default="pending")
    requested_at = Column(UTCDateTime(), nullable=False)
    decided_at = Column(UTCDateTime(), nullable=True)
    decided_by = Column(String(64), nullable=True)
    decision_note = Column(Text, nullable=True)
    notified_at = Column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "uq_refund_requests_pending_purchase_id",
            "purchase_id",
            unique=True,
            postgresql_where=status == "pending",
            sqlite_where=status == "pending",
        ),
        Index(None, "wa_id", "id"),
        Index(None, "status", "id"),
        CheckConstraint(_one_of("basis", REFUND_BASES), name="basis"),
        CheckConstraint(_one_of("status", REFUND_STATUSES), name="status"),
    )


class WebhookReceipt(Base):
    """A webhook already handled, by source and idempotency key (insert-or-ignore)."""

    __tablename__ = "webhook_receipts"

    id = Column(IdType, primary_key=True, autoincrement=True)
    source = Column(String(32), nullable=False)
    key = Column(String(128), nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("source", "key"),
        Index(None, "received_at"),
    )


# --- outbox: proactive messages and their delivery (issue 5) ------------------------------

OUTBOX_STATUSES = ("queued", "sending", "sent", "dead", "cancelled")
OUTBOX_PURPOSES = ("transactional", "marketing", "casting", "emergency")
OUTBOX_KINDS = ("message", "template")
#: 0 emergency, 1 transactional, 2 reminder, 3 marketing: lower is sent first.
OUTBOX_PRIORITIES = (0, 1, 2, 3)
OUTBOX_KEY_LEN = 200


class OutboxMessage(Base):
    """A proactive message to send, written with the business state that caused it.

    ``idempotency_key`` (the caller's, e.g. ``ticket:A-XY98ZT1``) is unique, so enqueueing
    twice keeps the first row. The delivery worker claims ``queued`` rows in priority
    order (``sending`` with ``claimed_by``/``claimed_until`` as its lease), and every
    transition is one conditional ``UPDATE`` (``bot/storage/outbox.py``).
    """

    __tablename__ = "outbox"

    id = Column(IdType, primary_key=True, autoincrement=True)
    idempotency_key = Column(String(OUTBOX_KEY_LEN), nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    priority = Column(Integer, nullable=False)
    purpose = Column(String(16), nullable=False)
    #: ``message``: a Cloud API body without ``to``/``messaging_product``;
    #: ``template``: the ``template`` object (name, language, components).
    kind = Column(String(16), nullable=False)
    payload = Column(JSONType, nullable=False)
    #: A template object sent instead when the 24-hour window is closed (131047).
    template_fallback = Column(JSONType, nullable=True)
    status = Column(String(16), nullable=False, server_default="queued")
    #: Claims so far (a claim counts as an attempt, so a crash loop ends too).
    attempts = Column(Integer, nullable=False, server_default="0")
    #: NULL: the worker's policy decides (6 by default).
    max_attempts = Column(Integer, nullable=True)
    next_attempt_at = Column(UTCDateTime(), nullable=False)
    claimed_by = Column(String(64), nullable=True)
    claimed_until = Column(UTCDateTime(), nullable=True)
    last_error = Column(Text, nullable=True)
    last_error_code = Column(Integer, nullable=True)
    wamid = Column(String(WAMID_LEN), nullable=True)
    broadcast_id = Column(Int64, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    sent_at = Column(UTCDateTime(), nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index(None, "status", "priority", "next_attempt_at"),
        Index(None, "wa_id", "id"),
        Index(None, "broadcast_id", "status"),
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_one_of("purpose", OUTBOX_PURPOSES), name="purpose"),
        CheckConstraint(_one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint("priority BETWEEN 0 AND 3", name="priority"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts"),
    )


# --- message templates: the library's review status at Wappbíz (issue 5) ------------------

TEMPLATE_CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
TEMPLATE_NAME_LEN = 512


class MessageTemplate(Base):
    """One library template in one language, as Wappbíz holds it, and its review status.

    Written by ``python -m bot templates sync`` (``bot/templates/sync.py``); read by the
    sender, which sends only ``APPROVED`` rows whose ``content_hash`` is the library's.
    ``content_hash`` is the SHA-256 of the create body (category + components) Wappbíz
    holds as far as we know: a different hash in the library means "edit it". ``status``
    is open (no CHECK), like ``message_statuses.status``: Meta has more template statuses
    than we act on (contract §6), and a new one must be recorded, not refused.
    """

    __tablename__ = "message_templates"

    id = Column(IdType, primary_key=True, autoincrement=True)
    name = Column(String(TEMPLATE_NAME_LEN), nullable=False)
    language = Column(String(16), nullable=False)
    category = Column(String(16), nullable=False)
    wappbiz_id = Column(String(32), nullable=False)
    status = Column(String(32), nullable=False)
    rejected_reason = Column(String(64), nullable=True)
    content_hash = Column(String(64), nullable=False)
    submitted_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("name", "language"),
        Index(None, "wappbiz_id"),
        CheckConstraint(_one_of("category", TEMPLATE_CATEGORIES), name="category"),
    )


# --- broadcasts: organizer campaigns through the outbox (issue 5) -------------------------

BROADCAST_PURPOSES = ("marketing", "utility")
BROADCAST_STATUSES = ("draft", "scheduled", "sending", "done", "cancelled")


class Broadcast(Base):
    """A message from the template library to an audience segment (``bot/broadcasts``).

    ``variables`` are the template values by name (flat, or per language ``{"es": {..},
    "en": {..}}``); ``segment`` the audience filter (event, ticket type, role, language,
    marketing opt-in). Sending writes one outbox row per recipient with
    ``outbox.broadcast_id = id``; ``counts`` caches the audience found at send time.
    """

    __tablename__ = "broadcasts"

    id = Column(IdType, primary_key=True, autoincrement=True)
    name = Column(String(128), nullable=False)
    template = Column(String(TEMPLATE_NAME_LEN), nullable=False)
    variables = Column(JSONType, nullable=False)
    segment = Column(JSONType, nullable=False)
    purpose = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, server_default="draft")
    scheduled_for = Column(UTCDateTime(), nullable=True)
    created_by = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    started_at = Column(UTCDateTime(), nullable=True)
    finished_at = Column(UTCDateTime(), nullable=True)
    counts = Column(JSONType, nullable=True)

    __table_args__ = (
        Index(None, "status", "id"),
        CheckConstraint(_one_of("purpose", BROADCAST_PURPOSES), name="purpose"),
        CheckConstraint(_one_of("status", BROADCAST_STATUSES), name="status"),
    )


# --- feedback after an event (issue 5) ----------------------------------------------------

#: How an opinion arrived: a tap on the request's rating buttons, or typed words.
FEEDBACK_SOURCES = ("button", "text")


class Feedback(Base):
    """An opinion about an event (``give_feedback``): a rating 1–5, a comment, or both.

    ``inbound_wamid`` is unique so that a replayed WhatsApp message (at-least-once
    turns) stores the opinion once; the comment asked for after a bare rating is
    added to the same row.
    """

    __tablename__ = "feedback"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    #: Hi.Events event id, when the event is known (the request, or a past ticket).
    event_id = Column(Int64, nullable=True)
    event_title = Column(String(256), nullable=True)
    rating = Column(Integer, nullable=True)
    comment = Column(Text, nullable=True)
    source = Column(String(16), nullable=False)
    language = Column(String(2), nullable=False)
    inbound_wamid = Column(String(WAMID_LEN), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("inbound_wamid"),
        Index(None, "event_id", "id"),
        Index(None, "wa_id", "id"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint(_one_of("source", FEEDBACK_SOURCES), name="source"),
    )
