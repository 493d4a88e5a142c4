"""A spaCy pipeline for Rasa's ``SpacyNLP`` built offline: blank Spanish + lookup lemmatizer.

No pretrained spaCy pipeline can be downloaded here, so the spaCy variant of the NLU
pipeline (``configs/pipelines/spacy.yml``) uses ``spacy.blank("es")`` (spaCy's Spanish
tokenizer rules) plus the ``lemmatizer`` component in ``lookup`` mode, initialised from
the ``es`` tables of ``spacy-lookups-data`` (pinned in ``requirements.lock``). It has no
vectors, tagger or parser: it gives Rasa Spanish tokens and their lemmas ("quiero" ->
"querer", "boletas" -> "boleta"), which the word ``CountVectorsFeaturizer`` uses
(``use_lemma`` is on by default). Rasa's ``SpacyNLP`` lowercases the text before spaCy
sees it (``case_sensitive: false``), which suits the lowercase lookup table.

``SpacyNLP`` resolves ``model:`` against the working directory at load time, so the
pipeline is saved to an absolute path, ``~/.cache/fashionistas/spacy/es_blank_lemma``, which
``configs/pipelines/spacy.yml`` names as ``${HOME}/.cache/fashionistas/spacy/es_blank_lemma``
(Rasa expands environment variables in config files). No network is needed.

    python -m bot.nlu_spacy build            # (re)build it, prints the path
    python -m bot.nlu_spacy build --check    # build only when missing
    python -m bot.nlu_spacy lemmas "quiero dos boletas"
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

MODEL_NAME = "es_blank_lemma"


def default_path() -> Path:
    return Path(os.path.expanduser("~")) / ".cache" / "fashionistas" / "spacy" / MODEL_NAME


def make_nlp():  # -> spacy.Language (imported lazily: spaCy pulls in thinc)
    import spacy

    nlp = spacy.blank("es")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Loads the `lemma_lookup` table for "es" from spacy-lookups-data; raises when absent.
    nlp.initialize()
    nlp.meta["name"] = MODEL_NAME
    nlp.meta["description"] = "spacy.blank('es') + lookup lemmatizer (spacy-lookups-data)"
    return nlp


def build(path: Path | None = None, *, only_if_missing: bool = False) -> Path:
    """Write the pipeline to ``path`` atomically (a finished directory or nothing)."""
    path = path or default_path()
    if only_if_missing and (path / "meta.json").is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        make_nlp().to_disk(tmp)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_spacy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the blank Spanish + lemmatizer pipeline")
    b.add_argument("--path", type=Path, default=None)
    b.add_argument("--check", action="store_true", help="build only when missing")
    lem = sub.add_parser("lemmas", help="print token/lemma pairs of a text")
    lem.add_argument("text")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build(args.path, only_if_missing=args.check))
        return 0
    import spacy

    path = default_path()
    nlp = spacy.load(path) if (path / "meta.json").is_file() else make_nlp()
    print(" ".join(f"{t.text}/{t.lemma_}" for t in nlp(args.text.lower())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
