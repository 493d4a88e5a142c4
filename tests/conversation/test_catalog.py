"""The intent catalog of ``../shared/design/INTENTS.md`` is complete in the data and the domain.

The catalog is kept in the repository (``bot/nlu_report/catalog.py``) because CI may run
on a clone without ``../shared``; it is compared with the design file whenever that file
exists. Floors: 50 examples for the confusable intents named in issue 3, 40 for the rest.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.nlu_report.catalog import CATALOG, CONFUSABLE, INTENTS_MD, design_catalog

ROOT = Path(__file__).resolve().parents[2]
FLOOR_CONFUSABLE = 50
FLOOR_OTHER = 40


def _example_counts() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" not in block:
                continue
            examples = block.get("examples") or ""
            if isinstance(examples, str):
                lines = [x for x in examples.splitlines() if x.strip().startswith("- ")]
            else:  # the long form: a list of {text: ..., metadata: ...}
                lines = list(examples)
            counts[block["intent"]] += len(lines)
    return counts


COUNTS = _example_counts()


def _domain_intents() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}


def test_catalog_copy_has_no_duplicates() -> None:
    assert len(CATALOG) == len(set(CATALOG))
    assert set(CONFUSABLE) <= set(CATALOG)


@pytest.mark.skipif(
    not INTENTS_MD.is_file(), reason="../shared/design/INTENTS.md not beside the clone"
)
def test_catalog_copy_matches_the_design_file() -> None:
    design = design_catalog()
    assert design, f"no intent table found in {INTENTS_MD}"
    assert sorted(set(design) - set(CATALOG)) == [], "intents in INTENTS.md missing from CATALOG"
    assert sorted(set(CATALOG) - set(design)) == [], "CATALOG lists intents INTENTS.md does not"


@pytest.mark.parametrize("intent", CATALOG)
def test_catalog_intent_has_enough_training_examples(intent: str) -> None:
    floor = FLOOR_CONFUSABLE if intent in CONFUSABLE else FLOOR_OTHER
    assert COUNTS[intent] >= floor, (
        f"{intent}: {COUNTS[intent]} examples in data/nlu, floor {floor}"
    )


def test_every_catalog_intent_is_in_the_domain() -> None:
    assert sorted(set(CATALOG) - _domain_intents()) == []
