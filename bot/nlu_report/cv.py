"""``rasa test nlu --cross-validation`` with reproducible folds and timed fold trainings.

Rasa draws the folds with ``StratifiedKFold(shuffle=True)`` and no seed, so two runs (or
two pipelines) see different splits. This wrapper runs Rasa's own CLI command in-process
after giving ``StratifiedKFold`` a fixed ``random_state`` (``NLU_CV_SEED``, default 42)
when it shuffles without one, so every pipeline compared on the same data gets the same
folds; it also times each fold's ``train_nlu`` and writes ``fold_times.json`` beside
Rasa's reports::

    python -m bot.nlu_report.cv --config config.yml --nlu data/nlu --folds 5 --out DIR

Everything after the known options is passed to ``rasa test nlu`` unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

DEFAULT_SEED = 42


def seed_folds(seed: int) -> None:
    import sklearn.model_selection as ms

    original = ms.StratifiedKFold
    if getattr(original, "_fashionistas_seeded", False):
        return

    class SeededStratifiedKFold(original):  # type: ignore[misc, valid-type]
        _fashionistas_seeded = True

        def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
            if shuffle and random_state is None:
                random_state = seed
            super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    SeededStratifiedKFold.__name__ = "StratifiedKFold"
    ms.StratifiedKFold = SeededStratifiedKFold


def time_fold_trainings(times: list[float]) -> None:
    import rasa.model_training

    original = rasa.model_training.train_nlu

    def timed(*args, **kwargs):
        started = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            times.append(round(time.monotonic() - started, 1))
            print(
                f"cv: fold {len(times)} trained in {times[-1]:.0f} s", file=sys.stderr, flush=True
            )

    rasa.model_training.train_nlu = timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_report.cv")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--nlu", default="data/nlu")
    parser.add_argument("--folds", type=int, default=int(os.environ.get("NLU_FOLDS", "5")))
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("NLU_CV_SEED", DEFAULT_SEED))
    )
    args, rest = parser.parse_known_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    seed_folds(args.seed)
    times: list[float] = []
    time_fold_trainings(times)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    from rasa.__main__ import main as rasa_main

    sys.argv = [
        "rasa", "test", "nlu", "--config", args.config, "--nlu", args.nlu,
        "--cross-validation", "--folds", str(args.folds), "--out", str(out),
        "--no-plot", *rest,
    ]  # fmt: skip
    rasa_main()
    meta = {
        "config": args.config,
        "nlu": args.nlu,
        "folds": args.folds,
        "seed": args.seed,
        "fold_train_s": times,
        "total_s": round(time.monotonic() - started, 1),
    }
    (out / "fold_times.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
