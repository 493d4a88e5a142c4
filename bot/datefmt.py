"""A moment written the way people read it, relative to now, in Bogotá time.

"hoy a las 3:00 p. m." / "mañana martes 1 de diciembre a las 8:00 a. m." /
"el lunes 30 de noviembre a las 8:00 a. m." (and the English equivalents). Day and
month names and the a. m./p. m. marks come from CLDR through Babel (``es_CO`` /
``en``), the same way :mod:`bot.privacy` writes legal due dates; the patterns are copy
(``dates.*``) like every other user-facing text.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from bot.calendar import to_bogota
from bot.i18n import t

__all__ = ["BABEL_LOCALES", "format_moment"]

BABEL_LOCALES = {"es": "es_CO", "en": "en"}


def format_moment(lang: str, moment: datetime, now: datetime) -> str:
    """``moment`` relative to ``now``: today, tomorrow, or the weekday and date."""
    lang = lang if lang in BABEL_LOCALES else "es"
    local = to_bogota(moment)
    days_ahead = (local.date() - to_bogota(now).date()).days
    if days_ahead == 0:
        pattern = t(lang, "dates.today_at")
    elif days_ahead == 1:
        pattern = t(lang, "dates.tomorrow_at")
    else:
        pattern = t(lang, "dates.day_at")
    # Babel renders in the datetime's own zone when tzinfo is passed explicitly.
    text = format_datetime(local, pattern, tzinfo=local.tzinfo, locale=BABEL_LOCALES[lang])
    # CLDR puts no-break spaces in "8:00 a. m." / "8:00 AM"; plain spaces match the copy.
    return text.replace("\u202f", " ").replace("\u00a0", " ")
