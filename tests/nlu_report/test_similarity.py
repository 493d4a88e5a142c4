"""How close held-out messages are to the training data (near copies inflate a test score)."""

from __future__ import annotations

import pytest

from bot.nlu_report.heldout import nearest_similarity

TRAIN = ["cuanto vale la boleta vip", "quiero comprar dos entradas", "hola parce"]


def test_same_text_is_one_and_unrelated_is_low() -> None:
    sims = nearest_similarity(["Cuanto vale la boleta VIP", "el clima en bogota mañana"], TRAIN)
    assert sims[0] == pytest.approx(1.0)
    assert sims[1] < 0.3


def test_near_copy_scores_between() -> None:
    (near,) = nearest_similarity(["cuanto vale la boleta general"], TRAIN)
    assert 0.5 < near < 1.0


def test_empty_inputs() -> None:
    assert nearest_similarity([], TRAIN) == []
    assert nearest_similarity(["hola"], []) == [0.0]
