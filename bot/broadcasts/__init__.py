"""Broadcasts for organizers (issue 5, item 6): a template to an audience segment.

* :mod:`bot.broadcasts.service`: create, preview, dry-run, send, progress, cancel;
* :mod:`bot.broadcasts.guard`: STOP before the next message (the worker's and the
  opt-out's hooks);
* the admin API: ``bot/http/broadcasts.py``; the CLI: ``python -m bot broadcasts``.

Choices and usage: ``docs/decisions/broadcasts.md``.
"""

from bot.broadcasts.guard import cancel_marketing_for, still_allowed

__all__ = ["cancel_marketing_for", "still_allowed"]
