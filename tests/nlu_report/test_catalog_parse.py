"""Parsing the intent table of INTENTS.md (the design file itself is checked elsewhere)."""

from __future__ import annotations

from pathlib import Path

from bot.nlu_report.catalog import design_catalog, parse_intents_table

MD = """# Intent catalog

Some prose | with a pipe.

| intent | who | what the user means |
|---|---|---|
| greet, goodbye, thank | all | small talk |
| `bot_challenge` | all | bot or person |
| ask_price | attendee | how much |
| greet | all | repeated: listed once |

| other | table |
|---|---|
| not_an_intent | x |
"""


def test_parse_intents_table() -> None:
    assert parse_intents_table(MD) == ["greet", "goodbye", "thank", "bot_challenge", "ask_price"]


def test_parse_without_table_is_empty() -> None:
    assert parse_intents_table("# nothing here\n") == []


def test_design_catalog_missing_file(tmp_path: Path) -> None:
    assert design_catalog(tmp_path / "INTENTS.md") is None
    (tmp_path / "INTENTS.md").write_text(MD, encoding="utf-8")
    assert design_catalog(tmp_path / "INTENTS.md")[:2] == ["greet", "goodbye"]
