"""Resolve Spanish and English date and time expressions to Bogotá time.

Used by :class:`bot.nlu_entities.EntityNormalizer` for the ``date`` entity. A small
grammar handles what people write to us ("el sábado", "mañana a las 8", "pasado
mañana", "esta noche", "this Friday", "del 10 al 20 de diciembre", "el finde",
"diciembre", "sabado 23"...); ``dateparser`` 1.2.0 is the fallback for anything else.
Measured on the forms above, dateparser alone fails on "el sábado", "pasado mañana",
"esta noche", "this Friday", "el 12 de diciembre", "this weekend" and ranges, reads
"mañana a las 8" as 15:00 and "a las 8" as 8 November, and reads "11/12" month first.

Value formats (docs/decisions/entities.md):

- a day: ``"2026-11-28"`` (ISO date), grain ``day``;
- a moment: ``"2026-11-26T20:00:00-05:00"`` (ISO datetime with Bogotá's offset), grain
  ``hour`` or ``minute``;
- a range: ``{"from": ..., "to": ..., "grain": ...}``, both ends inclusive; with grain
  ``day``, ``week``, ``month`` or ``year`` the ends are ISO dates, with grain
  ``part_of_day`` ("esta noche") they are ISO datetimes.

Bogotá is UTC−5 all year (no DST since 1993), so a fixed offset is exact; ``zoneinfo``
is used when the system has tzdata.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

__all__ = [
    "BOGOTA",
    "NUMBER_WORDS",
    "Resolved",
    "fold",
    "has_date_word",
    "is_month_name",
    "resolve_date",
    "words_to_number",
]


def _bogota() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Bogota")
    except Exception:  # no tzdata on the system: the offset is fixed anyway
        return timezone(timedelta(hours=-5), "America/Bogota")


BOGOTA = _bogota()


def fold(text: str) -> str:
    """Lowercase without accents: "Sábado" -> "sabado", "mañana" -> "manana"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- numbers --------------------------------------------------------------------------
_UNITS = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_VEINTI = {
    "veintiun": 21, "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27,
    "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip

#: Single words that are a number (Spanish and English, accents folded).
NUMBER_WORDS: dict[str, int] = {**_UNITS, **_TEENS, **_TENS, **_VEINTI}


def words_to_number(words: list[str]) -> int | None:
    """``["treinta", "y", "dos"]`` -> 32, ``["twenty", "one"]`` -> 21, ``["ocho"]`` -> 8."""
    if not words:
        return None
    if len(words) == 1:
        return NUMBER_WORDS.get(words[0])
    tens, rest = words[0], [w for w in words[1:] if w != "y"]
    if (tens in _TENS or tens == "diez") and len(rest) == 1 and rest[0] in _UNITS:
        return (_TENS.get(tens) or 10) + _UNITS[rest[0]]
    return None


# --- vocabulary -------------------------------------------------------------------------
_MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1,
    "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "abril": 4, "abr": 4, "april": 4, "apr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "june": 6,
    "julio": 7, "jul": 7, "july": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "september": 9,
    "octubre": 10, "oct": 10, "october": 10,
    "noviembre": 11, "nov": 11, "november": 11,
    "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "lunes": 0, "lun": 0, "monday": 0, "mon": 0,
    "martes": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "miercoles": 2, "mie": 2, "wednesday": 2, "wed": 2,
    "jueves": 3, "jue": 3, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "viernes": 4, "vie": 4, "friday": 4, "fri": 4,
    "sabado": 5, "sab": 5, "saturday": 5, "sat": 5,
    "domingo": 6, "dom": 6, "sunday": 6, "sun": 6,
}  # fmt: skip
_RELATIVE_DAYS = {
    "hoy": 0, "today": 0, "manana": 1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "pasado manana": 2, "day after tomorrow": 2, "ayer": -1, "yesterday": -1,
    "antier": -2, "anteayer": -2, "antes ayer": -2, "day before yesterday": -2,
    "after tomorrow": 2, "before yesterday": -2,
}  # fmt: skip
#: (month, day) of dates people name.
_NAMED_DAYS = {
    "navidad": (12, 25), "christmas": (12, 25), "christmas day": (12, 25),
    "nochebuena": (12, 24), "christmas eve": (12, 24),
    "nochevieja": (12, 31), "fin ano": (12, 31), "new years eve": (12, 31),
    "new year eve": (12, 31), "ano nuevo": (1, 1), "new year": (1, 1),
    "new years": (1, 1), "new years day": (1, 1),
}  # fmt: skip
#: Words with no meaning for the date (articles, prepositions), dropped before matching.
_FILLERS = frozenset(
    "el la lo los del de para pa pal en on in the for of a al at by desde from dia day "
    "durante during hasta around about como tipo sobre".split()
)
_THIS = frozenset({"este", "esta", "this", "coming"})
_NEXT = frozenset({"proximo", "proxima", "next", "siguiente", "entrante", "que viene", "que sigue"})
_AFTER = frozenset({"otro", "otra", "after next"})
_LAST = frozenset({"pasado", "pasada", "last", "anterior", "previous"})
_MODIFIER_RE = re.compile(
    r"\b(que viene|que sigue|after next|este|esta|this|coming|proximo|proxima|next|siguiente|"
    r"entrante|otro|otra|pasado|pasada|last|anterior|previous)\b"
)

#: Part of the day -> (first hour, last hour) inclusive.
_PARTS = {"madrugada": (0, 5), "manana": (6, 11), "tarde": (12, 17), "noche": (18, 23)}
_PARTS_EN = {"morning": "manana", "afternoon": "tarde", "evening": "noche", "night": "noche"}

_DAY = r"(\d{1,2})(?:st|nd|rd|th|ro|ero|o|°|º)?"
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_HOUR_WORDS = {w: n for w, n in NUMBER_WORDS.items() if 1 <= n <= 12 and w not in ("un",)}
_HOUR_WORD_RE = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))

_TIME_RE = re.compile(
    rf"""
    (?:(?P<prefix>\b(?:a\s+las?|las?|at|@|tipo|como\s+a\s+las?|sobre\s+las?|around|by)\s+))?
    (?<![\d/:.-])\b(?P<h>\d{{1,2}}(?!\d)|(?:{_HOUR_WORD_RE})\b)
    (?:(?::|h)(?P<m>\d{{2}}))?
    (?:\s*(?P<ap>am|pm|hrs|hr|h)\b)?
    (?:\s+(?:oclock|en\s+punto))?
    (?:\s+y\s+(?P<frac>media|cuarto|\d{{1,2}}))?
    (?:\s+(?:de|en|por)\s+la\s+(?P<pod>manana|tarde|noche|madrugada))?
    (?![/:.-]?\d)(?!\s+(?:de\s+)?(?:{_MONTH_RE})\b)
    """,
    re.VERBOSE,
)
_NOON_RE = re.compile(
    r"\b(?:al?\s+|at\s+)?(?:las\s+12\s+del?\s+)?(mediodia|medio\s+dia|noon|midday|medianoche|"
    r"media\s+noche|midnight)\b"
)
_PART_RES: tuple[tuple[re.Pattern[str], str | None, str | None], ...] = (
    # pattern, part of day (group 1 when None), day word that replaces it
    (re.compile(r"\besta\s+(manana|tarde|noche|madrugada)\b"), None, "hoy"),
    (re.compile(r"\banoche\b"), "noche", "ayer"),
    (re.compile(r"\blast\s+night\b"), "noche", "yesterday"),
    (re.compile(r"\btonight\b"), "noche", "today"),
    (re.compile(r"\bthis\s+(morning|afternoon|evening)\b"), None, "today"),
    (re.compile(r"\b(?:en|por|de|a)\s+la\s+(manana|tarde|noche|madrugada)\b"), None, ""),
    (re.compile(r"\b(?:in\s+the\s+)?(morning|afternoon|evening|night)\b"), None, ""),
    (re.compile(r"(?<=\w)\s+(tarde|noche|madrugada)\b"), None, ""),
)
_RANGE_LEAD_RE = re.compile(r"^(?:del|desde(?:\s+el)?|entre(?:\s+el)?|from|between|de)\s+")
_RANGE_SPLIT_RE = re.compile(
    r"\s+(?:al|a(?!\s+las?\b)|hasta(?:\s+el)?|y(?:\s+el)?|to|through|thru|till|until|and)\s+"
    r"|\s*[-–]\s*"
)
_UNTIL_RE = re.compile(r"^(?:hasta|until|till|through|thru)\s+(.+)$")
_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_IN_N_RE = re.compile(
    r"^(?:en|dentro|in|within)?\s*(\d{1,3}|[a-z]+(?:\s+y\s+[a-z]+)?)\s+"
    r"(dias?|days?|semanas?|weeks?)(?:\s+(?:mas|from\s+now|later))?$"
)


@dataclass(frozen=True)
class Resolved:
    """A resolved date: ``value`` as documented above, plus details for the dialogue."""

    value: str | dict[str, str]
    grain: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Time:
    hour: int
    minute: int
    explicit_minutes: bool
    meridiem: str  # "explicit", "24h" or "assumed"
    next_day: bool = False


# --- helpers ------------------------------------------------------------------------------
def _clean(text: str) -> str:
    t = fold(text)
    t = re.sub(r"(\d)\s*([ap])\s*\.?\s*m\b\.?", r"\1\2m", t)  # 8 p. m. -> 8pm
    t = re.sub(r"\b([ap])\.\s*m\.", r"\1m", t)
    t = t.replace("'", "").replace("’", "")  # o'clock, new year's
    t = re.sub(r"[¿?¡!,;\"()\[\]{}]+", " ", t)
    t = re.sub(r"(?<=[a-z])\.(?=\s|$)", "", t)  # abbreviations: "dic." -> "dic"
    return re.sub(r"\s+", " ", t).strip()


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_year_date(month: int, day: int, today: date) -> date | None:
    """The first ``day``/``month`` on or after today (or None when the day never exists)."""
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        candidate = _safe_date(year, month, day)
        if candidate and candidate >= today:
            return candidate
    return None


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return words_to_number(token.split())


class _Resolver:
    def __init__(self, now: datetime, *, morning: bool) -> None:
        self.now = now.astimezone(BOGOTA)
        self.today = self.now.date()
        self.morning = morning
        #: True when the text has the shape of a date or time with impossible values
        #: ("a las 25", "31 de febrero"): unresolved, and no fallback to guess.
        self.rejected = False
        self._bare_weekday = False  # the day came from "el miércoles" alone

    # --- entry point ------------------------------------------------------------------
    def resolve(self, text: str) -> Resolved | None:
        cleaned = _clean(text)
        if not cleaned or len(cleaned) > 80:
            return None
        return self._range(cleaned) or self._point(cleaned)

    # --- ranges ("del 10 al 20 de diciembre", "hasta el 15") -------------------------------
    def _range(self, t: str) -> Resolved | None:
        until = _UNTIL_RE.match(t)
        if until:
            end = self._day_only(until.group(1))
            if isinstance(end, date) and end >= self.today:
                return self._range_value(self.today, end, "day")
            return None
        if _NUMERIC_DATE_RE.match(t) or _ISO_DATE_RE.match(t):
            return None
        led = _RANGE_LEAD_RE.match(t)
        body = t[led.end() :] if led else t
        for split in _RANGE_SPLIT_RE.finditer(body):
            left, right = body[: split.start()].strip(), body[split.end() :].strip()
            if not left or not right:
                continue
            resolved = self._range_of(left, right, lead=bool(led))
            if resolved:
                return resolved
        return None

    def _range_of(self, left: str, right: str, *, lead: bool) -> Resolved | None:
        if self._find_time(left) or self._find_time(right):
            return None
        left_day, right_day = _bare_day(left), _bare_day(right)
        if right_day is not None and _has_month(left):  # "december 10-20"
            start = self._day_only(left)
            if not isinstance(start, date):
                return None
            end = _safe_date(start.year, start.month, right_day)
            if end is None or end < start:
                year, month = _add_months(start, 1)
                end = _safe_date(year, month, right_day)
            return self._range_value(start, end, "day") if end else None
        end = self._day_only(right)
        if end is None:
            return None
        if isinstance(end, tuple):  # "entre enero y marzo"
            start = self._day_only(left)
            if not isinstance(start, tuple):
                return None
            first, last = start[0], end[1]
            if first > last:
                first = first.replace(year=first.year - 1)
            return self._range_value(first, last, end[2])
        if left_day is not None:  # "del 10 al 20 de diciembre", "10-20 dic"
            if not lead and not _has_month(right):
                return None
            year, month = end.year, end.month
            if left_day > end.day:
                year, month = _add_months(end, -1)
            first = _safe_date(year, month, left_day)
            return self._range_value(first, end, "day") if first else None
        start = self._day_only(left)
        if not isinstance(start, date):
            return None
        if start > end:
            if _has_weekday(right) and not _has_month(right):  # "del viernes al domingo"
                end += timedelta(days=((start - end).days + 6) // 7 * 7)
            else:  # "del 20 de diciembre al 5 de enero", asked on 25 December
                start = _safe_date(start.year - 1, start.month, start.day) or start
        return self._range_value(start, end, "day") if start <= end else None

    def _range_value(self, first: date | datetime, last: date | datetime, grain: str) -> Resolved:
        value = {"from": first.isoformat(), "to": last.isoformat(), "grain": grain}
        return Resolved(value, grain)

    def _day_only(self, t: str) -> date | tuple[date, date, str] | None:
        if self._find_time(t):
            return None
        return self._day(t)

    # --- points: a day, a time, or both -------------------------------------------------
    def _point(self, t: str) -> Resolved | None:
        clock, t = self._take_time(t)
        part, t = self._take_part(t)
        day = self._day(t) if _words(t) else None
        if _words(t) and day is None:
            return None  # words we do not understand: better unresolved than wrong
        if isinstance(day, tuple):
            return self._range_value(*day)
        if clock is not None:
            if part is not None:
                clock = self._apply_part(clock, part)
            return self._moment(day, clock)
        if part is not None:
            return self._part_of_day(day, part)
        if day is not None:
            return Resolved(day.isoformat(), "day")
        return None

    def _moment(self, day: date | None, clock: _Time) -> Resolved:
        details = {"meridiem": clock.meridiem}
        if day is None:
            moment = datetime.combine(self.today, time(clock.hour, clock.minute), BOGOTA)
            if clock.next_day:
                moment += timedelta(days=1)
            if moment <= self.now:
                moment += timedelta(days=1)
        else:
            moment = datetime.combine(day, time(clock.hour, clock.minute), BOGOTA)
            if clock.next_day:
                moment += timedelta(days=1)
            if self._bare_weekday and moment <= self.now:  # "el miércoles a las 2" said
                moment += timedelta(days=7)  # on Wednesday at 3 pm: next Wednesday
        grain = "minute" if clock.explicit_minutes else "hour"
        return Resolved(moment.isoformat(timespec="seconds"), grain, details)

    def _part_of_day(self, day: date | None, part: str) -> Resolved:
        first_hour, last_hour = _PARTS[part]
        if day is None:
            day = self.today
            if self.now.hour > last_hour:
                day += timedelta(days=1)
        first = datetime.combine(day, time(first_hour), BOGOTA)
        last = datetime.combine(day, time(last_hour, 59, 59), BOGOTA)
        value = {
            "from": first.isoformat(timespec="seconds"),
            "to": last.isoformat(timespec="seconds"),
            "grain": "part_of_day",
        }
        return Resolved(value, "part_of_day", {"part_of_day": part})

    # --- time of day -------------------------------------------------------------------
    def _find_time(self, t: str) -> re.Match[str] | None:
        for match in _TIME_RE.finditer(t):
            if self._is_time(match):
                return match
        return _NOON_RE.search(t)

    @staticmethod
    def _is_time(match: re.Match[str]) -> bool:
        h = match.group("h")
        marked = any(match.group(g) for g in ("m", "ap", "frac", "pod"))
        if not h.isdigit():
            return bool(match.group("prefix")) or bool(match.group("ap") or match.group("pod"))
        return bool(match.group("prefix")) or marked

    def _take_time(self, t: str) -> tuple[_Time | None, str]:
        noon = _NOON_RE.search(t)
        if noon:
            word = noon.group(1).replace(" ", "")
            midnight = word in ("medianoche", "midnight")
            clock = _Time(0 if midnight else 12, 0, False, "explicit", next_day=midnight)
            return clock, (t[: noon.start()] + " " + t[noon.end() :]).strip()
        for match in _TIME_RE.finditer(t):
            if not self._is_time(match):
                continue
            clock = self._clock(match)
            if clock is None:
                self.rejected = True
                return None, t
            return clock, (t[: match.start()] + " " + t[match.end() :]).strip()
        return None, t

    def _clock(self, match: re.Match[str]) -> _Time | None:
        raw_h = match.group("h")
        hour = int(raw_h) if raw_h.isdigit() else _HOUR_WORDS[raw_h]
        minute = int(match.group("m") or 0)
        frac = match.group("frac")
        if frac:
            minute = {"media": 30, "cuarto": 15}.get(frac) or int(frac)
        if hour > 24 or minute > 59:
            return None
        explicit_minutes = bool(match.group("m") or frac)
        ap, pod = match.group("ap"), match.group("pod")
        if hour == 24:
            return _Time(0, minute, explicit_minutes, "24h", next_day=True)
        if ap in ("am", "pm"):
            if hour > 12:
                return _Time(hour, minute, explicit_minutes, "24h")
            hour = hour % 12 + (12 if ap == "pm" else 0)
            return _Time(hour, minute, explicit_minutes, "explicit")
        clock = _Time(hour, minute, explicit_minutes, "24h")
        if pod:
            return self._apply_part(clock, pod)
        if ap in ("h", "hr", "hrs") or hour == 0 or hour >= 13 or (raw_h.startswith("0")):
            return clock
        if hour == 12:
            clock.meridiem = "explicit"
            return clock
        # 1-11 with no am/pm: the rule of docs/decisions/entities.md.
        clock.meridiem = "assumed"
        if hour <= 6 or not self.morning:
            clock.hour += 12
        return clock

    @staticmethod
    def _apply_part(clock: _Time, part: str) -> _Time:
        """ "a las 8 de la noche" -> 20:00; "12 de la noche" -> midnight; "8pm" stays."""
        if clock.meridiem == "explicit" and clock.hour != 12:
            return clock
        if clock.meridiem == "24h" and clock.hour >= 13:
            return clock
        hour, late = clock.hour % 12, False
        if part == "noche" and hour <= 3:  # "12 de la noche", "a la 1 de la noche"
            late = True
        elif part in ("tarde", "noche"):
            hour += 12
        elif part == "manana" and clock.hour == 12:
            hour = 12
        return _Time(hour, clock.minute, clock.explicit_minutes, "explicit", next_day=late)

    @staticmethod
    def _take_part(t: str) -> tuple[str | None, str]:
        for pattern, part, day_word in _PART_RES:
            match = pattern.search(t)
            if not match:
                continue
            found = part or match.group(1)
            found = _PARTS_EN.get(found, found)
            rest = f"{t[: match.start()]} {day_word} {t[match.end() :]}"
            return found, re.sub(r"\s+", " ", rest).strip()
        return None, t

    # --- days ------------------------------------------------------------------------
    def _day(self, t: str) -> date | tuple[date, date, str] | None:
        modifiers = set(_MODIFIER_RE.findall(t)) if "pasado manana" not in t else set()
        words = [w for w in _words(_MODIFIER_RE.sub(" ", t) if modifiers else t)]
        s = " ".join(words)
        if not s:
            return None
        if s in _RELATIVE_DAYS or t.strip() in _RELATIVE_DAYS:
            offset = _RELATIVE_DAYS.get(s, _RELATIVE_DAYS.get(t.strip(), 0))
            return self.today + timedelta(days=offset)
        if s in _NAMED_DAYS:
            month, day = _NAMED_DAYS[s]
            return _next_year_date(month, day, self.today)
        in_n = _IN_N_RE.match(s)
        count = _number(in_n.group(1)) if in_n else None
        if in_n and count is not None:
            days = count * (7 if in_n.group(2).startswith(("semana", "week")) else 1)
            return self.today + timedelta(days=days)
        return (
            self._period(s, modifiers)
            or self._explicit(s)
            or self._weekday(s, modifiers)
            or self._month(s)
        )

    def _period(self, s: str, modifiers: set[str]) -> tuple[date, date, str] | None:
        nxt = bool(modifiers & (_NEXT | _AFTER))
        last = bool(modifiers & _LAST)
        today = self.today
        if s in ("fin semana", "finde", "fds", "weekend", "fin semana largo", "puente"):
            saturday = today + timedelta(days=(5 - today.weekday()) % 7)
            if today.weekday() == 6:  # on Sunday "este finde" is today
                saturday = today - timedelta(days=1)
            if last:
                saturday -= timedelta(days=7)
            elif modifiers & _AFTER or (nxt and today.weekday() >= 5):
                saturday += timedelta(days=7)
            first = max(saturday, today) if not last else saturday
            return first, saturday + timedelta(days=1), "day"
        if s in ("semana", "week", "mes", "month", "ano", "year") and not modifiers:
            return None  # "in a month" is a month from now: dateparser knows that one
        if s in ("semana", "week"):
            monday = today - timedelta(days=today.weekday())
            if nxt:
                monday += timedelta(days=7)
                return monday, monday + timedelta(days=6), "week"
            if last:
                monday -= timedelta(days=7)
                return monday, monday + timedelta(days=6), "week"
            return today, monday + timedelta(days=6), "week"
        if s in ("mes", "month"):
            shift = 1 if nxt else -1 if last else 0
            year, month = _add_months(today, shift)
            first, end = _month_range(year, month)
            return first, end, "month"
        if s in ("ano", "year"):
            year = today.year + (1 if nxt else -1 if last else 0)
            return date(year, 1, 1), date(year, 12, 31), "year"
        year_only = re.fullmatch(r"(20\d\d)", s)
        if year_only:
            year = int(year_only.group(1))
            return date(year, 1, 1), date(year, 12, 31), "year"
        return None

    def _month(self, s: str) -> tuple[date, date, str] | None:
        match = re.fullmatch(rf"(?:mes\s+|month\s+)?({_MONTH_RE})(?:\s+(\d{{4}}))?", s)
        if not match:
            return None
        month = _MONTHS[match.group(1)]
        if match.group(2):
            year = int(match.group(2))
        else:
            year = self.today.year + (1 if month < self.today.month else 0)
        first, last = _month_range(year, month)
        return first, last, "month"

    def _explicit(self, s: str) -> date | None:
        iso = _ISO_DATE_RE.fullmatch(s)
        if iso:
            return _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        weekday = None
        words = s.split()
        if len(words) > 1 and words[0] in _WEEKDAYS:
            weekday, s = _WEEKDAYS[words[0]], " ".join(words[1:])
        numeric = _NUMERIC_DATE_RE.fullmatch(s)
        if numeric:  # day first, as written in Colombia
            day, month = int(numeric.group(1)), int(numeric.group(2))
            year = numeric.group(3)
            if year:
                full = int(year) + (2000 if len(year) == 2 else 0)
                return _safe_date(full, month, day)
            return _next_year_date(month, day, self.today) if 1 <= month <= 12 else None
        day_month = re.fullmatch(rf"(?:{_DAY}|primero)\s+({_MONTH_RE})(?:\s+(\d{{4}}))?", s)
        month_day = re.fullmatch(rf"({_MONTH_RE})\s+{_DAY}(?:\s+(\d{{4}}))?", s)
        if day_month:
            day = int(day_month.group(1) or 1)
            month, year = _MONTHS[day_month.group(2)], day_month.group(3)
        elif month_day:
            day = int(month_day.group(2))
            month, year = _MONTHS[month_day.group(1)], month_day.group(3)
        else:
            only_day = re.fullmatch(_DAY, s)
            if not only_day:
                return None
            return self._day_of_month(int(only_day.group(1)), weekday)
        found = (
            _safe_date(int(year), month, day) if year else _next_year_date(month, day, self.today)
        )
        self.rejected = found is None
        return found

    def _day_of_month(self, day: int, weekday: int | None) -> date | None:
        """ "el 12" / "sabado 23": the next date with that day (and weekday), within a year."""
        if not 1 <= day <= 31:
            return None
        for shift in range(13):
            year, month = _add_months(self.today, shift)
            candidate = _safe_date(year, month, day)
            if candidate is None or candidate < self.today:
                continue
            if weekday is None or candidate.weekday() == weekday:
                return candidate
        return None

    def _weekday(self, s: str, modifiers: set[str]) -> date | None:
        if s not in _WEEKDAYS:
            return None
        target = _WEEKDAYS[s]
        ahead = (target - self.today.weekday()) % 7
        if modifiers & _LAST:
            return self.today - timedelta(days=(7 - ahead) % 7 or 7)
        if modifiers & _NEXT and ahead == 0:
            ahead = 7
        if modifiers & _AFTER:
            ahead = (ahead or 7) + 7
        self._bare_weekday = ahead == 0
        return self.today + timedelta(days=ahead)


def is_month_name(text: str) -> bool:
    """ "diciembre", "en diciembre", "Dec.": a month and nothing else."""
    words = _words(_clean(text))
    return len(words) == 1 and words[0] in _MONTHS


def has_date_word(text: str) -> bool:
    """A month or weekday name in ``text`` ("11 de diciembre", "el sábado")."""
    return any(w in _MONTHS or w in _WEEKDAYS for w in _clean(text).split())


def _words(t: str) -> list[str]:
    return [w for w in t.split() if w not in _FILLERS]


def _bare_day(t: str) -> int | None:
    """The day number when ``t`` is only a day ("10", "el 10", "the 10th")."""
    match = re.fullmatch(_DAY, " ".join(_words(t)))
    return int(match.group(1)) if match else None


def _has_month(t: str) -> bool:
    return bool(re.search(rf"\b({_MONTH_RE})\b", t))


def _has_weekday(t: str) -> bool:
    return bool(re.search(rf"\b({_WEEKDAY_RE})\b", t))


# --- dateparser fallback ----------------------------------------------------------------
_DATEPARSER_SETTINGS: dict[str, Any] = {
    "TIMEZONE": "America/Bogota",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "future",
    "DATE_ORDER": "DMY",
}


#: Texts dateparser could not read ("vacaciones", "this season"): they will not become
#: readable with another "now", and each try costs 3-10 ms.
_DATEPARSER_MISSES: dict[str, None] = {}
_DATEPARSER_MISSES_MAX = 4096


def _dateparser(text: str, now: datetime) -> Resolved | None:
    """dateparser for what the grammar does not know; None when it is not sure either."""
    cleaned = re.sub(r"^(?:el|la|los|del|de|para|on|the|for)\s+", "", fold(text).strip())
    if len(cleaned) > 60 or not re.search(r"[a-z]{3}", cleaned):
        return None  # a bare number is a quantity or a price, not a date
    if cleaned in _DATEPARSER_MISSES:
        return None
    import dateparser  # local: its import and first call are slow; warm() runs it once

    base = now.astimezone(BOGOTA).replace(tzinfo=None)
    settings = {**_DATEPARSER_SETTINGS, "RELATIVE_BASE": base}
    try:
        parsed = dateparser.parse(cleaned, languages=["es", "en"], settings=settings)
    except Exception:  # dateparser raises odd errors on odd input
        parsed = None
    if parsed is None:
        if len(_DATEPARSER_MISSES) >= _DATEPARSER_MISSES_MAX:
            _DATEPARSER_MISSES.clear()
        _DATEPARSER_MISSES[cleaned] = None
        return None
    parsed = parsed.astimezone(BOGOTA)
    if abs((parsed.date() - base.date()).days) > 800:
        return None
    moment = (parsed.hour, parsed.minute, parsed.second)
    if moment in ((0, 0, 0), (base.hour, base.minute, base.second)):
        if parsed.date() == base.date() and not re.search(r"\b(hoy|today|ahora|now)\b", cleaned):
            _DATEPARSER_MISSES[cleaned] = None  # "año" alone comes back as today:
            return None  # dateparser did not understand it
        return Resolved(parsed.date().isoformat(), "day", {"source": "dateparser"})
    value = parsed.replace(second=0, microsecond=0).isoformat(timespec="seconds")
    return Resolved(value, "minute", {"source": "dateparser"})


def warm() -> None:
    """Load dateparser's language data now rather than on the first message (~0.1 s)."""
    _dateparser("next tuesday", datetime.now(timezone.utc))


def resolve_date(
    text: str, now: datetime, *, morning: bool = False, use_dateparser: bool = True
) -> Resolved | None:
    """Resolve ``text`` relative to ``now`` (aware); None when it cannot be resolved.

    ``morning``: an hour from 7 to 11 written without am/pm is read as morning (castings,
    fittings) instead of evening (shows).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone aware")
    resolver = _Resolver(now, morning=morning)
    resolved = resolver.resolve(text)
    if resolved is None and use_dateparser and not resolver.rejected:
        resolved = _dateparser(text, now)
    return resolved
