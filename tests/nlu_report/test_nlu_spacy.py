"""The offline spaCy pipeline of configs/pipelines/spacy.yml: blank Spanish + lookup lemmas."""

from __future__ import annotations

from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")
pytest.importorskip("spacy_lookups_data")

from bot.nlu_spacy import build  # noqa: E402


def test_build_writes_a_loadable_pipeline_with_lemmas(tmp_path: Path) -> None:
    path = build(tmp_path / "es_blank_lemma")
    assert (path / "meta.json").is_file()
    nlp = spacy.load(path)
    assert nlp.lang == "es"
    assert nlp.pipe_names == ["lemmatizer"]
    lemmas = {t.text: t.lemma_ for t in nlp("quiero dos boletas para el desfile")}
    assert lemmas["quiero"] == "querer"
    assert lemmas["boletas"] == "boleta"
    # only when missing: an existing directory is kept as it is
    marker = path / "marker"
    marker.write_text("x")
    assert build(path, only_if_missing=True) == path
    assert marker.exists()
