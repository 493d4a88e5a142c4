"""bot.proactive.policy: consent per purpose, Ley 2300 contact hours, daily cap, STOP.

Every test pins the clock: the policy never reads it. Moments are written in Bogotá
wall time (``bogota(...)``) or in UTC (``utc(...)``) when the zone is the point.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.calendar import BOGOTA
from bot.consent import DEFAULT_OPT_IN, opt_out_purposes
from bot.proactive import policy
from bot.proactive.policy import (
    CASTING,
    EMERGENCY,
    MARKETING,
    MESSAGE_PURPOSES,
    PRIORITY,
    REASON_DAILY_CAP,
    REASON_NO_CASTING_CONSENT,
    REASON_NO_MARKETING_CONSENT,
    REASON_NO_TRANSACTIONAL_RELATIONSHIP,
    REASON_OPTED_OUT,
    REASON_OUTSIDE_CONTACT_HOURS,
    REASON_WINDOW_CLOSED_NEEDS_TEMPLATE,
    REFUSE,
    REMINDER,
    SEND_NOW,
    TRANSACTIONAL,
    WAIT_UNTIL,
    Decision,
    contact_hours,
    decide,
    has_consent,
    is_contact_day,
    marketing_window,
    next_marketing_slot,
)
from bot.storage.consent import ConsentRecord

# Festivos written out from the rules (COMPLIANCE.md §6: fixed dates, Easter-based days,
# Ley Emiliani moves), independently of the `holidays` package the code uses.
FESTIVOS_2026 = [
    date(2026, 1, 1), date(2026, 1, 12), date(2026, 3, 23), date(2026, 4, 2),
    date(2026, 4, 3), date(2026, 5, 1), date(2026, 5, 18), date(2026, 6, 8),
    date(2026, 6, 15), date(2026, 6, 29), date(2026, 7, 20), date(2026, 8, 7),
    date(2026, 8, 17), date(2026, 10, 12), date(2026, 11, 2), date(2026, 11, 16),
    date(2026, 12, 8), date(2026, 12, 25),
]  # fmt: skip
# Easter 2027 is 28 March: Jueves/Viernes Santo 25/26 March, Ascensión 6 May → Mon 10,
# Corpus 27 May → 31, Sagrado Corazón 4 Jun → 7; Reyes Wed 6 Jan → Mon 11; San José
# Fri 19 Mar → Mon 22; San Pedro Tue 29 Jun → Mon 5 Jul; Asunción Sun 15 Aug → 16;
# 12 Oct (Tue) → 18; 1 Nov is a Monday; 11 Nov (Thu) → 15. 1 May, 7 Aug and 25 Dec 2027
# fall on Saturdays.
FESTIVOS_2027 = [
    date(2027, 1, 1), date(2027, 1, 11), date(2027, 3, 22), date(2027, 3, 25),
    date(2027, 3, 26), date(2027, 5, 1), date(2027, 5, 10), date(2027, 5, 31),
    date(2027, 6, 7), date(2027, 7, 5), date(2027, 7, 20), date(2027, 8, 7),
    date(2027, 8, 16), date(2027, 10, 18), date(2027, 11, 1), date(2027, 11, 15),
    date(2027, 12, 8), date(2027, 12, 25),
]  # fmt: skip
FESTIVOS = frozenset(FESTIVOS_2026 + FESTIVOS_2027 + [date(2028, 1, 1)])

MARKETING_OK = {TRANSACTIONAL: True, MARKETING: True}
EVERYTHING = {TRANSACTIONAL: True, MARKETING: True, CASTING: True}
PARIS_WINTER = timezone(timedelta(hours=1))


def bogota(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]


def record(purpose: str, granted: bool, at: datetime | None = None) -> ConsentRecord:
    """A consent-log row as ``Store.consent_state`` returns it."""
    return ConsentRecord(
        id=1,
        wa_id="573001234567",
        purpose=purpose,
        granted=granted,
        policy_version="2026-11",
        policy_hash=None,
        source="button",
        channel="whatsapp",
        inbound_wamid="wamid.x",
        created_at=at or utc(2026, 11, 1, 15),
    )


def marketing(
    now: datetime,
    *,
    last: datetime | None = None,
    consents: object = MARKETING_OK,
    opted_out: bool = False,
    window_open: bool = False,
    purpose: str = MARKETING,
) -> Decision:
    return decide(
        purpose,
        now=now,
        consents=consents,  # type: ignore[arg-type]
        opted_out=opted_out,
        last_marketing_sent_at=last,
        window_open=window_open,
    )


# --------------------------------------------------------------- the hours (oracle)


def allowed_by_the_law(moment: datetime) -> bool:
    """COMPLIANCE.md §4.2 read literally, with the end exclusive: an independent oracle."""
    local = moment.astimezone(BOGOTA)
    if local.date() in FESTIVOS:
        return False
    hour = local.hour
    if local.weekday() < 5:
        return 7 <= hour < 19
    if local.weekday() == 5:
        return 8 <= hour < 15
    return False


def oracle_windows(first: date, last: date) -> list[tuple[datetime, datetime]]:
    windows = []
    day = first
    while day <= last:
        if day not in FESTIVOS and day.weekday() < 6:
            start, end = (7, 19) if day.weekday() < 5 else (8, 15)
            windows.append(
                (
                    datetime.combine(day, time(start), tzinfo=BOGOTA),
                    datetime.combine(day, time(end), tzinfo=BOGOTA),
                )
            )
        day += timedelta(days=1)
    return windows


WINDOWS = oracle_windows(date(2026, 1, 1), date(2028, 1, 31))
WINDOW_ENDS = [end for _, end in WINDOWS]


def oracle_next_slot(moment: datetime) -> datetime:
    start, _ = WINDOWS[bisect_right(WINDOW_ENDS, moment)]
    return max(moment.astimezone(BOGOTA), start)


def every(step: timedelta, first: datetime, last: datetime):  # type: ignore[no-untyped-def]
    moment = first
    while moment < last:
        yield moment
        moment += step


def test_the_festivos_of_2026_and_2027_are_not_contact_days() -> None:
    days = [date(2026, 1, 1) + timedelta(n) for n in range(730)]
    closed = [d for d in days if d.weekday() != 6 and not is_contact_day(d)]
    assert closed == FESTIVOS_2026 + FESTIVOS_2027
    assert all(not is_contact_day(d) for d in days if d.weekday() == 6)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        # weekday bounds (Wednesday 9 Dec 2026): 07:00 inclusive, 19:00 exclusive
        (bogota(2026, 12, 9, 6, 59), False),
        (bogota(2026, 12, 9, 6, 59, 59, 999999), False),
        (bogota(2026, 12, 9, 7, 0), True),
        (bogota(2026, 12, 9, 12, 0), True),
        (bogota(2026, 12, 9, 18, 59), True),
        (bogota(2026, 12, 9, 18, 59, 59, 999999), True),
        (bogota(2026, 12, 9, 19, 0), False),
        (bogota(2026, 12, 9, 23, 0), False),
        (bogota(2026, 12, 9, 0, 0), False),
        # Saturday 12 Dec 2026: 08:00–15:00
        (bogota(2026, 12, 12, 7, 0), False),
        (bogota(2026, 12, 12, 7, 59), False),
        (bogota(2026, 12, 12, 8, 0), True),
        (bogota(2026, 12, 12, 14, 59), True),
        (bogota(2026, 12, 12, 15, 0), False),
        (bogota(2026, 12, 12, 18, 0), False),
        # Sunday 13 Dec 2026: never
        (bogota(2026, 12, 13, 10, 0), False),
        (bogota(2026, 12, 13, 7, 0), False),
        # festivos
        (bogota(2026, 12, 8, 10, 0), False),  # Inmaculada Concepción (Tuesday)
        (bogota(2026, 12, 25, 10, 0), False),  # Navidad (Friday)
        (bogota(2027, 1, 1, 10, 0), False),  # Año Nuevo (Friday)
        (bogota(2027, 1, 11, 10, 0), False),  # Reyes, moved to Monday (Ley Emiliani)
        (bogota(2027, 1, 6, 10, 0), True),  # ... so 6 January is a working Wednesday
        (bogota(2027, 3, 22, 10, 0), False),  # San José, moved to Monday
        (bogota(2027, 3, 25, 10, 0), False),  # Jueves Santo
        (bogota(2027, 3, 26, 10, 0), False),  # Viernes Santo
        (bogota(2027, 3, 24, 10, 0), True),  # Holy Wednesday is an ordinary day
        (bogota(2027, 3, 27, 10, 0), True),  # Holy Saturday is not a festivo
        (bogota(2027, 8, 7, 10, 0), False),  # Batalla de Boyacá on a Saturday
        (bogota(2027, 12, 25, 10, 0), False),  # Navidad on a Saturday
        # 24 and 31 December are ordinary days
        (bogota(2026, 12, 24, 10, 0), True),
        (bogota(2026, 12, 31, 18, 0), True),
        # the zone of the input does not matter: 12:00 UTC is 07:00 in Bogotá
        (utc(2026, 12, 9, 11, 59), False),
        (utc(2026, 12, 9, 12, 0), True),
        (utc(2026, 12, 9, 23, 59), True),  # 18:59 Bogotá
        (utc(2026, 12, 10, 0, 0), False),  # 19:00 Bogotá on the 9th, not the 10th
        (utc(2026, 12, 13, 2, 0), False),  # Saturday 21:00 in Bogotá
        (datetime(2026, 12, 9, 9, 0, tzinfo=PARIS_WINTER), False),  # 03:00 in Bogotá
        (datetime(2026, 12, 9, 13, 0, tzinfo=PARIS_WINTER), True),  # 07:00 in Bogotá
    ],
)
def test_marketing_window(moment: datetime, allowed: bool) -> None:
    assert marketing_window(moment) is allowed
    assert allowed_by_the_law(moment) is allowed


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        marketing_window(datetime(2026, 12, 9, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        next_marketing_slot(datetime(2026, 12, 9, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        marketing(datetime(2026, 12, 9, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        marketing(bogota(2026, 12, 9, 10, 0), last=datetime(2026, 12, 9, 9, 0))


def test_contact_hours_by_day() -> None:
    assert contact_hours(date(2026, 12, 9)) == (bogota(2026, 12, 9, 7), bogota(2026, 12, 9, 19))
    assert contact_hours(date(2026, 12, 12)) == (
        bogota(2026, 12, 12, 8),
        bogota(2026, 12, 12, 15),
    )
    assert contact_hours(date(2026, 12, 13)) is None  # Sunday
    assert contact_hours(date(2026, 12, 8)) is None  # festivo
    assert contact_hours(date(2027, 8, 7)) is None  # festivo on a Saturday


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        # allowed: the moment itself
        (bogota(2026, 12, 9, 10, 15, 30), bogota(2026, 12, 9, 10, 15, 30)),
        (bogota(2026, 12, 9, 18, 59, 59, 999999), bogota(2026, 12, 9, 18, 59, 59, 999999)),
        (bogota(2026, 12, 12, 8, 0), bogota(2026, 12, 12, 8, 0)),
        # before opening: the same day
        (bogota(2026, 12, 9, 5, 0), bogota(2026, 12, 9, 7, 0)),
        (bogota(2026, 12, 9, 6, 59, 59), bogota(2026, 12, 9, 7, 0)),
        (bogota(2026, 12, 12, 7, 30), bogota(2026, 12, 12, 8, 0)),
        # a broadcast scheduled Friday 20:00 waits until Saturday 08:00
        (bogota(2026, 12, 11, 20, 0), bogota(2026, 12, 12, 8, 0)),
        (bogota(2026, 12, 11, 19, 0), bogota(2026, 12, 12, 8, 0)),
        # Saturday 16:00 waits until Monday 07:00
        (bogota(2026, 12, 12, 16, 0), bogota(2026, 12, 14, 7, 0)),
        (bogota(2026, 12, 12, 15, 0), bogota(2026, 12, 14, 7, 0)),
        # Sunday 02:00: Monday 07:00
        (bogota(2026, 12, 13, 2, 0), bogota(2026, 12, 14, 7, 0)),
        # ... or Tuesday when Monday is a festivo (puentes festivos)
        (bogota(2026, 11, 14, 16, 0), bogota(2026, 11, 17, 7, 0)),  # Mon 16 Nov: Cartagena
        (bogota(2027, 1, 9, 16, 0), bogota(2027, 1, 12, 7, 0)),  # Mon 11 Jan: Reyes
        (bogota(2027, 3, 20, 15, 0), bogota(2027, 3, 23, 7, 0)),  # Mon 22 Mar: San José
        (bogota(2026, 8, 15, 12, 0), bogota(2026, 8, 15, 12, 0)),  # Sat before a puente: open
        (bogota(2026, 8, 15, 15, 0), bogota(2026, 8, 18, 7, 0)),  # Mon 17 Aug: Asunción
        # a festivo on a weekday: the next day
        (bogota(2026, 12, 7, 19, 0), bogota(2026, 12, 9, 7, 0)),  # Tue 8 Dec
        (bogota(2026, 12, 8, 10, 0), bogota(2026, 12, 9, 7, 0)),
        # Semana Santa 2027: Holy Wednesday evening → Holy Saturday 08:00
        (bogota(2027, 3, 24, 19, 0), bogota(2027, 3, 27, 8, 0)),
        (bogota(2027, 3, 25, 9, 0), bogota(2027, 3, 27, 8, 0)),
        # Semana Santa 2026: Holy Wednesday 1 April evening → Saturday 4 April
        (bogota(2026, 4, 1, 19, 30), bogota(2026, 4, 4, 8, 0)),
        # Christmas and New Year 2026/27: 25 Dec and 1 Jan are Fridays
        (bogota(2026, 12, 24, 19, 0), bogota(2026, 12, 26, 8, 0)),
        (bogota(2026, 12, 31, 19, 0), bogota(2027, 1, 2, 8, 0)),
        (bogota(2027, 1, 1, 0, 0), bogota(2027, 1, 2, 8, 0)),
        # ... and 2027/28: 25 Dec and 1 Jan are Saturdays, so the weekend is lost too
        (bogota(2027, 12, 24, 19, 0), bogota(2027, 12, 27, 7, 0)),
        (bogota(2027, 12, 31, 19, 30), bogota(2028, 1, 3, 7, 0)),
        # a Saturday festivo: Friday evening waits for Monday
        (bogota(2027, 8, 6, 19, 0), bogota(2027, 8, 9, 7, 0)),
        # 8 Dec 2026 from UTC: 2026-12-08 00:30Z is Monday 7 Dec 19:30 in Bogotá
        (utc(2026, 12, 8, 0, 30), bogota(2026, 12, 9, 7, 0)),
    ],
)
def test_next_marketing_slot(moment: datetime, slot: datetime) -> None:
    found = next_marketing_slot(moment)
    assert found == slot
    assert found.tzinfo is BOGOTA
    assert found.utcoffset() == timedelta(hours=-5)
    assert found == oracle_next_slot(moment)


def test_every_half_hour_of_2026_and_2027_matches_the_oracle() -> None:
    checked = 0
    for moment in every(timedelta(minutes=30), utc(2026, 1, 1, 5), utc(2028, 1, 1, 5)):
        allowed = marketing_window(moment)
        assert allowed is allowed_by_the_law(moment), moment
        slot = next_marketing_slot(moment)
        assert slot == oracle_next_slot(moment), moment
        assert slot >= moment
        assert marketing_window(slot)
        assert (slot == moment) is allowed
        assert next_marketing_slot(slot) == slot  # idempotent
        if not allowed:  # a window start: 07:00 on weekdays, 08:00 on Saturday
            assert slot.time() == (time(8) if slot.weekday() == 5 else time(7))
            assert slot - moment < timedelta(days=6)
        checked += 1
    assert checked == 2 * 365 * 48


def test_the_day_loop_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # a calendar of festivos only (not a real one) would loop forever: the guard stops it
    monkeypatch.setattr(policy, "is_holiday", lambda day: True)
    with pytest.raises(RuntimeError, match="no contact window"):
        next_marketing_slot(bogota(2026, 12, 9, 10))


# -------------------------------------------------------------------- decisions


def test_decision_invariants() -> None:
    with pytest.raises(ValueError):
        Decision(SEND_NOW, MARKETING, 3, "MARKETING", False, wait_until=bogota(2026, 12, 9, 7))
    with pytest.raises(ValueError):
        Decision(WAIT_UNTIL, MARKETING, 3, "MARKETING", False)
    with pytest.raises(ValueError):
        Decision(REFUSE, MARKETING, 3, "MARKETING", False)
    with pytest.raises(ValueError):
        Decision(REFUSE, MARKETING, 3, "MARKETING", False, reason="because")
    with pytest.raises(ValueError):
        Decision("later", MARKETING, 3, "MARKETING", False)
    decision = Decision(REFUSE, MARKETING, 3, "MARKETING", True, reason=REASON_OPTED_OUT)
    assert decision.refused and not decision.send_now and not decision.waits
    with pytest.raises(AttributeError):
        decision.action = SEND_NOW  # type: ignore[misc]


def test_unknown_purpose_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown purpose"):
        decide(
            "newsletter",
            now=bogota(2026, 12, 9, 10),
            consents=EVERYTHING,
            opted_out=False,
            last_marketing_sent_at=None,
            window_open=True,
        )


def test_priorities_order_the_purposes_and_match_the_outbox() -> None:
    from bot.storage import outbox

    assert PRIORITY[EMERGENCY] == outbox.PRIORITY_EMERGENCY == 0
    assert PRIORITY[TRANSACTIONAL] == outbox.PRIORITY_TRANSACTIONAL
    assert PRIORITY[REMINDER] == outbox.PRIORITY_REMINDER
    assert PRIORITY[MARKETING] == outbox.PRIORITY_MARKETING
    assert PRIORITY[CASTING] == PRIORITY[MARKETING]  # a casting call is promotional
    assert PRIORITY[EMERGENCY] < PRIORITY[TRANSACTIONAL] < PRIORITY[REMINDER] < PRIORITY[MARKETING]
    assert set(MESSAGE_PURPOSES) == set(PRIORITY)


# emergency


@pytest.mark.parametrize(
    "now",
    [
        bogota(2026, 12, 13, 2, 0),  # 2 a.m. on a Sunday
        bogota(2026, 12, 25, 23, 0),  # Christmas night
        bogota(2026, 12, 9, 10, 0),
    ],
)
@pytest.mark.parametrize("opted_out", [False, True])
@pytest.mark.parametrize("consents", [{}, {MARKETING: False, CASTING: False}, EVERYTHING])
def test_an_emergency_always_goes_now(now: datetime, opted_out: bool, consents: dict) -> None:
    decision = decide(
        EMERGENCY,
        now=now,
        consents=consents,
        opted_out=opted_out,
        last_marketing_sent_at=now - timedelta(minutes=5),
        window_open=False,
    )
    assert decision.send_now
    assert decision.reason is None
    assert decision.priority == 0
    assert decision.category == "UTILITY"
    assert decision.template  # the window is closed: as a template


def test_an_emergency_inside_the_window_may_be_free_text() -> None:
    decision = decide(
        EMERGENCY,
        now=bogota(2026, 12, 13, 2),
        consents={},
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=True,
        template_available=False,
    )
    assert decision.send_now and not decision.template


def test_an_emergency_without_a_template_cannot_go_outside_the_window() -> None:
    decision = decide(
        EMERGENCY,
        now=bogota(2026, 12, 13, 2),
        consents=EVERYTHING,
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=False,
        template_available=False,
    )
    assert decision.refused and decision.reason == REASON_WINDOW_CLOSED_NEEDS_TEMPLATE


# transactional and reminders


@pytest.mark.parametrize("purpose", [TRANSACTIONAL, REMINDER])
@pytest.mark.parametrize(
    "now",
    [
        bogota(2026, 12, 13, 2, 0),  # Sunday night
        bogota(2026, 12, 8, 21, 0),  # festivo evening
        bogota(2026, 12, 9, 10, 0),
    ],
)
def test_utility_messages_are_not_bound_by_the_hours_or_the_cap(
    purpose: str, now: datetime
) -> None:
    decision = decide(
        purpose,
        now=now,
        consents={TRANSACTIONAL: record(TRANSACTIONAL, True)},
        opted_out=False,
        last_marketing_sent_at=now - timedelta(hours=1),
        window_open=False,
    )
    assert decision.send_now
    assert decision.category == "UTILITY"
    assert decision.template
    assert decision.priority == PRIORITY[purpose]


def test_opted_out_still_gets_transactional_but_not_reminders() -> None:
    # STOP revoked marketing and casting; transactional stays (docs/decisions/consent.md §2)
    state = {TRANSACTIONAL: record(TRANSACTIONAL, True)}
    state.update({p: record(p, False) for p in opt_out_purposes("STOP")})
    assert TRANSACTIONAL not in opt_out_purposes("STOP")
    now = bogota(2026, 12, 9, 10)
    common = {"now": now, "consents": state, "opted_out": True, "last_marketing_sent_at": None}
    assert decide(TRANSACTIONAL, window_open=False, **common).send_now  # type: ignore[arg-type]
    assert decide(TRANSACTIONAL, window_open=True, **common).send_now  # type: ignore[arg-type]
    assert decide(EMERGENCY, window_open=False, **common).send_now  # type: ignore[arg-type]
    for purpose in (REMINDER, MARKETING, CASTING):
        decision = decide(purpose, window_open=True, **common)  # type: ignore[arg-type]
        assert decision.refused and decision.reason == REASON_OPTED_OUT, purpose


def test_transactional_needs_a_relationship() -> None:
    now = bogota(2026, 12, 9, 10)
    # refused the notice: marketing and casting refused, nothing for transactional
    refused_notice = {MARKETING: record(MARKETING, False), CASTING: record(CASTING, False)}
    for purpose in (TRANSACTIONAL, REMINDER):
        # ... a reply in the chat the person opened is fine
        inside = decide(
            purpose,
            now=now,
            consents=refused_notice,
            opted_out=False,
            last_marketing_sent_at=None,
            window_open=True,
        )
        assert inside.send_now and not inside.template
        # ... a business-initiated template is not (WhatsApp opt-in, Ley 1581)
        outside = decide(
            purpose,
            now=now,
            consents=refused_notice,
            opted_out=False,
            last_marketing_sent_at=None,
            window_open=False,
        )
        assert outside.refused and outside.reason == REASON_NO_TRANSACTIONAL_RELATIONSHIP
        # "Acepto" grants transactional
        accepted = decide(
            purpose,
            now=now,
            consents=set(DEFAULT_OPT_IN),
            opted_out=False,
            last_marketing_sent_at=None,
            window_open=False,
        )
        assert accepted.send_now and accepted.template


def test_transactional_without_a_template_outside_the_window_is_refused() -> None:
    decision = decide(
        TRANSACTIONAL,
        now=bogota(2026, 12, 9, 10),
        consents={TRANSACTIONAL: True},
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=False,
        template_available=False,
    )
    assert decision.refused and decision.reason == REASON_WINDOW_CLOSED_NEEDS_TEMPLATE
    inside = decide(
        TRANSACTIONAL,
        now=bogota(2026, 12, 9, 10),
        consents={TRANSACTIONAL: True},
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=True,
        template_available=False,
    )
    assert inside.send_now and not inside.template


# marketing and casting: consent


@pytest.mark.parametrize(
    "consents",
    [
        {},
        {TRANSACTIONAL: True},
        {TRANSACTIONAL: True, MARKETING: False},
        {TRANSACTIONAL: record(TRANSACTIONAL, True), MARKETING: record(MARKETING, False)},
        {MARKETING: None},
        {TRANSACTIONAL, CASTING},
        frozenset(),
    ],
)
def test_no_marketing_consent_is_refused(consents: object) -> None:
    for window_open in (False, True):
        decision = marketing(bogota(2026, 12, 9, 10), consents=consents, window_open=window_open)
        assert decision.refused
        assert decision.reason == REASON_NO_MARKETING_CONSENT
        assert decision.wait_until is None


def test_an_opt_out_wins_over_a_grant_the_log_has_not_caught_up_with() -> None:
    decision = marketing(bogota(2026, 12, 9, 10), consents=EVERYTHING, opted_out=True)
    assert decision.refused and decision.reason == REASON_OPTED_OUT
    # ... also outside the hours: refused, not delayed
    night = marketing(bogota(2026, 12, 9, 23), consents=EVERYTHING, opted_out=True)
    assert night.refused and night.reason == REASON_OPTED_OUT


def test_a_casting_call_needs_casting_consent() -> None:
    now = bogota(2026, 12, 9, 10)
    no = marketing(now, consents=MARKETING_OK, purpose=CASTING)
    assert no.refused and no.reason == REASON_NO_CASTING_CONSENT
    yes = marketing(now, consents={CASTING: record(CASTING, True)}, purpose=CASTING)
    assert yes.send_now and yes.category == "MARKETING" and yes.priority == 3
    # a casting call is promotional: the hours apply ...
    night = marketing(bogota(2026, 12, 9, 20), consents=EVERYTHING, purpose=CASTING)
    assert night.waits and night.wait_until == bogota(2026, 12, 10, 7)
    # ... and it shares the daily cap with marketing
    capped = marketing(now, consents=EVERYTHING, purpose=CASTING, last=bogota(2026, 12, 9, 8))
    assert capped.waits and capped.reason == REASON_DAILY_CAP


def test_marketing_without_a_template_outside_the_window_is_refused() -> None:
    decision = decide(
        MARKETING,
        now=bogota(2026, 12, 9, 10),
        consents=MARKETING_OK,
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=False,
        template_available=False,
    )
    assert decision.refused and decision.reason == REASON_WINDOW_CLOSED_NEEDS_TEMPLATE


# marketing: hours


def test_marketing_inside_the_hours_goes_now() -> None:
    closed = marketing(bogota(2026, 12, 9, 10))
    assert closed.send_now and closed.template and closed.category == "MARKETING"
    assert closed.priority == 3 and closed.reason is None and closed.wait_until is None
    opened = marketing(bogota(2026, 12, 9, 10), window_open=True)
    assert opened.send_now and not opened.template


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (bogota(2026, 12, 11, 20, 0), bogota(2026, 12, 12, 8, 0)),  # Friday 20:00 → Sat 08:00
        (bogota(2026, 12, 12, 16, 0), bogota(2026, 12, 14, 7, 0)),  # Saturday 16:00 → Mon 07:00
        (bogota(2027, 1, 9, 16, 0), bogota(2027, 1, 12, 7, 0)),  # ... Tue when Mon is festivo
        (bogota(2026, 12, 9, 6, 59), bogota(2026, 12, 9, 7, 0)),
        (bogota(2026, 12, 9, 19, 0), bogota(2026, 12, 10, 7, 0)),
        (bogota(2026, 12, 12, 15, 0), bogota(2026, 12, 14, 7, 0)),
        (bogota(2026, 12, 13, 2, 0), bogota(2026, 12, 14, 7, 0)),  # Sunday 2 a.m.
        (bogota(2026, 12, 25, 10, 0), bogota(2026, 12, 26, 8, 0)),  # Navidad
        (bogota(2027, 1, 1, 10, 0), bogota(2027, 1, 2, 8, 0)),  # Año Nuevo
        (bogota(2027, 3, 25, 10, 0), bogota(2027, 3, 27, 8, 0)),  # Jueves Santo
    ],
)
def test_marketing_outside_the_hours_waits_for_the_next_slot(
    now: datetime, until: datetime
) -> None:
    decision = marketing(now)
    assert decision.waits
    assert decision.wait_until == until
    assert decision.reason == REASON_OUTSIDE_CONTACT_HOURS
    assert marketing_window(decision.wait_until)
    # asked again at that moment, it goes
    assert marketing(decision.wait_until).send_now


def test_marketing_at_the_edges_of_the_window() -> None:
    assert marketing(bogota(2026, 12, 9, 7, 0)).send_now
    assert marketing(bogota(2026, 12, 9, 18, 59)).send_now
    assert marketing(bogota(2026, 12, 9, 19, 0)).waits
    assert marketing(bogota(2026, 12, 12, 8, 0)).send_now
    assert marketing(bogota(2026, 12, 12, 14, 59)).send_now
    assert marketing(bogota(2026, 12, 12, 15, 0)).waits


# marketing: one per person per Bogotá day


def test_the_second_marketing_message_of_the_day_waits_for_the_next_day() -> None:
    decision = marketing(bogota(2026, 12, 9, 10), last=bogota(2026, 12, 9, 9))
    assert decision.waits
    assert decision.reason == REASON_DAILY_CAP
    assert decision.wait_until == bogota(2026, 12, 10, 7)
    # the first slot of the next *allowed* day: Friday → Saturday 08:00, Saturday → Monday
    friday = marketing(bogota(2026, 12, 11, 11), last=bogota(2026, 12, 11, 10))
    assert friday.wait_until == bogota(2026, 12, 12, 8)
    saturday = marketing(bogota(2026, 12, 12, 10), last=bogota(2026, 12, 12, 9))
    assert saturday.wait_until == bogota(2026, 12, 14, 7)
    # ... and Tuesday when Monday is a festivo (Sat 9 Jan 2027, Mon 11 is Reyes)
    puente = marketing(bogota(2027, 1, 9, 10), last=bogota(2027, 1, 9, 9))
    assert puente.wait_until == bogota(2027, 1, 12, 7)
    # Monday 7 Dec 2026: the next day is the 8 Dec festivo
    festivo = marketing(bogota(2026, 12, 7, 10), last=bogota(2026, 12, 7, 9))
    assert festivo.wait_until == bogota(2026, 12, 9, 7)


def test_yesterdays_message_does_not_count() -> None:
    assert marketing(bogota(2026, 12, 10, 7), last=bogota(2026, 12, 9, 18, 59)).send_now
    assert marketing(bogota(2026, 12, 10, 7), last=bogota(2026, 12, 9, 23, 59, 59)).send_now
    assert marketing(bogota(2026, 12, 14, 7), last=bogota(2026, 12, 12, 14)).send_now


def test_the_day_is_the_bogota_day_not_the_utc_day() -> None:
    # Sent (recorded late) on Wed 9 Dec at 20:00 Bogotá = Thu 10 Dec 01:00 UTC. At 07:00
    # Bogotá on the 10th (12:00 UTC, the same UTC day) it is a new day: it goes.
    last = utc(2026, 12, 10, 1, 0)
    now = utc(2026, 12, 10, 12, 0)
    assert last.date() == now.date()
    assert marketing(now, last=last).send_now
    # Sent Wed 9 Dec 18:30 Bogotá (23:30 UTC); asked at 00:30 UTC on the 10th, which is
    # still Wednesday 19:30 in Bogotá: the same day, so the cap holds until Thursday 07:00.
    last = utc(2026, 12, 9, 23, 30)
    now = utc(2026, 12, 10, 0, 30)
    assert last.date() != now.date()
    decision = marketing(now, last=last)
    assert decision.waits and decision.reason == REASON_DAILY_CAP
    assert decision.wait_until == bogota(2026, 12, 10, 7)
    # Just before Bogotá midnight vs just after
    assert marketing(bogota(2026, 12, 9, 23, 59), last=bogota(2026, 12, 9, 10)).reason == (
        REASON_DAILY_CAP
    )
    after_midnight = marketing(bogota(2026, 12, 10, 0, 1), last=bogota(2026, 12, 9, 10))
    assert after_midnight.reason == REASON_OUTSIDE_CONTACT_HOURS
    assert after_midnight.wait_until == bogota(2026, 12, 10, 7)


def test_a_last_send_in_the_future_counts_for_its_own_day() -> None:
    # clock skew between workers: the cap runs until the day after the recorded send
    decision = marketing(bogota(2026, 12, 9, 10), last=bogota(2026, 12, 10, 9))
    assert decision.waits and decision.reason == REASON_DAILY_CAP
    assert decision.wait_until == bogota(2026, 12, 11, 7)


# STOP before the next message


def test_stop_between_the_decision_and_the_send_wins() -> None:
    # Friday 20:00: the broadcast waits for Saturday 08:00
    first = marketing(bogota(2026, 12, 11, 20), consents=MARKETING_OK)
    assert first.waits and first.wait_until == bogota(2026, 12, 12, 8)
    # Saturday 07:40 the person writes STOP; at 08:00 the worker asks again
    after_stop = {TRANSACTIONAL: True, **{p: False for p in opt_out_purposes("stop")}}
    second = marketing(first.wait_until, consents=after_stop, opted_out=True, window_open=True)
    assert second.refused and second.reason == REASON_OPTED_OUT
    # even if only the flag (not yet the log) knows about it
    third = marketing(first.wait_until, consents=MARKETING_OK, opted_out=True)
    assert third.refused and third.reason == REASON_OPTED_OUT
    # an opt-out that names a purpose: "no más castings" keeps marketing
    only_casting = {TRANSACTIONAL: True, MARKETING: True, CASTING: False}
    assert opt_out_purposes("no más castings") == (CASTING,)
    assert marketing(first.wait_until, consents=only_casting).send_now
    assert marketing(first.wait_until, consents=only_casting, purpose=CASTING).refused


# properties over the year


def test_marketing_decisions_over_every_hour_of_2026_and_2027() -> None:
    for now in every(timedelta(hours=1), utc(2026, 1, 1, 5), utc(2028, 1, 1, 5)):
        local = now.astimezone(BOGOTA)
        free = marketing(now)
        if allowed_by_the_law(now):
            assert free.send_now, now
        else:
            assert free.waits and free.reason == REASON_OUTSIDE_CONTACT_HOURS, now
            assert free.wait_until == oracle_next_slot(now)
        # something went out earlier the same Bogotá day: never today
        midnight = datetime.combine(local.date(), time(0), tzinfo=BOGOTA)
        capped = marketing(now, last=midnight)
        assert capped.waits and capped.reason == REASON_DAILY_CAP, now
        assert capped.wait_until is not None
        assert capped.wait_until.date() > local.date()
        assert capped.wait_until == oracle_next_slot(midnight + timedelta(days=1))
        assert marketing_window(capped.wait_until)


def test_utility_and_emergency_over_every_hour_of_a_week_with_a_festivo() -> None:
    # Monday 7 Dec 2026 (Tuesday is a festivo) to Sunday 13 Dec
    for now in every(timedelta(hours=1), bogota(2026, 12, 7), bogota(2026, 12, 14)):
        for purpose in (EMERGENCY, TRANSACTIONAL, REMINDER):
            decision = decide(
                purpose,
                now=now,
                consents={TRANSACTIONAL: True},
                opted_out=False,
                last_marketing_sent_at=now,
                window_open=False,
            )
            assert decision.send_now, (purpose, now)


# consent state shapes


def test_has_consent_reads_every_shape() -> None:
    assert has_consent({MARKETING: record(MARKETING, True)}, MARKETING)
    assert not has_consent({MARKETING: record(MARKETING, False)}, MARKETING)
    assert has_consent({MARKETING: True}, MARKETING)
    assert not has_consent({MARKETING: False}, MARKETING)
    assert not has_consent({MARKETING: None}, MARKETING)
    assert not has_consent({}, MARKETING)
    assert has_consent({MARKETING, TRANSACTIONAL}, MARKETING)
    assert has_consent((MARKETING,), MARKETING)
    assert not has_consent(frozenset({TRANSACTIONAL}), MARKETING)
    with pytest.raises(TypeError):
        has_consent({MARKETING: "yes"}, MARKETING)
    with pytest.raises(TypeError):
        has_consent("marketing", MARKETING)
