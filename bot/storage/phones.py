"""WhatsApp ids and E.164 phone numbers.

WhatsApp identifies a user by ``wa_id``: the phone number's digits with the country
code and without ``+``. It is *not* always the E.164 number (Mexican ids carry a
legacy ``1`` after ``52``, some Brazilian ids lack the ninth digit), so storage keeps
the ``wa_id`` exactly as WhatsApp sends it and computes ``phone_e164`` beside it.

Temporary home: this module moves to a shared localisation module later.
"""

from __future__ import annotations

import re

import phonenumbers

#: The business is in Medellín: a number typed without country code is Colombian.
DEFAULT_REGION = "CO"

# E.164 allows at most 15 digits; shorter than 7 cannot hold a country code and a number.
_WA_ID = re.compile(r"^\d{7,15}$")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_wa_id(value: str) -> str:
    """Return the digits-only WhatsApp id, tolerating ``+``, spaces, dashes and brackets.

    Raises ``ValueError`` for anything that is not 7–15 digits afterwards, so a malformed
    id never becomes a second contact for the same person.
    """
    if not isinstance(value, str):
        raise TypeError(f"wa_id must be a string, got {type(value).__name__}")
    digits = _SEPARATORS.sub("", value.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if not _WA_ID.match(digits):
        raise ValueError(f"wa_id must be 7-15 digits, got {value!r}")
    return digits


def to_e164(wa_id: str) -> str:
    """The E.164 form (``+573001234567``) of a WhatsApp id or a typed phone number.

    WhatsApp ids always carry a country code, so the international reading wins when
    it is a valid number; otherwise the digits are read as a Colombian national number
    (``3001234567`` → ``+573001234567``). When neither reading is valid (test or
    brand-new ranges) the digits are kept as given, prefixed with ``+``.

    The international reading wins on purpose even when both are valid: a typed
    Colombian landline without country code (``6042345678``) is also a valid Malaysian
    number (``+60 4 234 5678``), but a real wa_id must never be rewritten. Callers with
    a typed national number should prefix ``57`` themselves.
    """
    digits = normalize_wa_id(wa_id)
    for candidate, region in ((f"+{digits}", None), (digits, DEFAULT_REGION)):
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"+{digits}"
