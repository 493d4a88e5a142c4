"""Session-wide fixtures: the real assistant started once, shared by the e2e and browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.stack import RunningStack, start_stack


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """rasa server + action server + Wappbíz sandbox as processes on free ports."""
    state_dir = tmp_path_factory.mktemp("stack")
    stack = start_stack(state_dir, {"WAPPBIZ_BACKOFF_BASE_S": "0.05"})
    try:
        yield stack
    finally:
        stack.stack.stop()
