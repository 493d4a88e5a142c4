"""The intent catalog of ``../shared/design/INTENTS.md``, kept in the repository.

CI runs on a clone where ``../shared`` may be missing, so the list lives here too;
``tests/conversation/test_catalog.py`` compares it with the design file when that file
exists, and checks the training data and the domain against it.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import PROJECT_ROOT

INTENTS_MD = PROJECT_ROOT.parent / "shared" / "design" / "INTENTS.md"

CATALOG: tuple[str, ...] = (
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
    "list_events", "event_info", "ask_directions", "ask_dress_code", "buy_ticket",
    "ask_price", "payment_methods", "payment_status", "resend_ticket", "request_refund",
    "check_schedule", "check_in_help", "give_feedback", "human_handoff", "opt_out",
    "opt_in", "delete_my_data", "change_language", "casting_apply", "casting_confirm",
    "casting_decline", "share_portfolio", "payout_status", "sales_report",
    "attendance_report", "report_issue",
)  # fmt: skip

# The confusable pairs named in issue 3 (ask_price vs buy_ticket, payment_status vs
# resend_ticket vs payout_status, casting_confirm vs affirm, opt_in vs affirm,
# check_schedule vs event_info, report_issue vs human_handoff) need more examples.
CONFUSABLE: frozenset[str] = frozenset(
    {
        "ask_price", "buy_ticket", "payment_status", "resend_ticket", "payout_status",
        "casting_confirm", "affirm", "opt_in", "check_schedule", "event_info",
        "report_issue", "human_handoff",
    }
)  # fmt: skip

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_intents_table(markdown: str) -> list[str]:
    """Intent names from the first column of the ``| intent | who | ... |`` table.

    A cell may list several intents separated by commas ("greet, goodbye, thank").
    The header row and the ``|---|`` separator are skipped; order is kept.
    """
    names: list[str] = []
    in_table = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        first = cells[0].strip("` ").lower()
        if first == "intent":
            in_table = True
            continue
        if not in_table or set(first) <= set("-: "):
            continue
        for part in cells[0].split(","):
            name = part.strip().strip("`").strip()
            if _NAME.match(name) and name not in names:
                names.append(name)
    return names


def design_catalog(path: Path = INTENTS_MD) -> list[str] | None:
    """The catalog as the design file states it, or None when the file is not there."""
    if not path.is_file():
        return None
    return parse_intents_table(path.read_text(encoding="utf-8"))
