"""The command lines the stack starts, where argparse could misread a value."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import Settings
from bot.stack import Stack


def test_a_rasa_token_that_begins_with_a_dash_is_one_argument(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "rasa_api_token").write_text("-Xq3_token-that-looks-like-an-option")
    stack = Stack(Settings(), tmp_path / "model.tar.gz", with_sandbox=False)
    [rasa] = [p for p in stack.processes if p.name == "rasa"]
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token")
    known, _ = parser.parse_known_args(rasa.argv[2:])
    assert known.auth_token == "-Xq3_token-that-looks-like-an-option"
