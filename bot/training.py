"""Train the Rasa model only when its inputs changed, with a cache outside the clone.

``rasa train`` always writes a new archive, even when its component cache makes
training itself fast, and its cache lives in the working directory. We key the
finished archive by a fingerprint of everything that shapes it (config, domain,
data, Rasa's version) and keep it in ``MODEL_CACHE_DIR``, so a fresh clone on the
same machine gets its model in a second.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings

TRAINING_INPUTS = ("config.yml", "domain.yml", "domain", "data")


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".txt")
            )
    return sorted(files)


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    import rasa  # local: importing rasa is slow and only needed here

    digest = hashlib.sha256(f"rasa=={rasa.__version__}\n".encode())
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def ensure_model(settings: Settings, root: Path = PROJECT_ROOT, *, force: bool = False) -> Path:
    """Return ``models/<fingerprint>.tar.gz``, training only on a cache miss."""
    fp = fingerprint(root)
    cache_dir = settings.model_cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"fashionistas-{fp}.tar.gz"
    models_dir = root / "models"
    models_dir.mkdir(exist_ok=True)
    target = models_dir / cached.name
    with open(cache_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one training at a time per machine
        if force or not cached.exists():
            _train(root, cached, fp)
        else:
            print(f"model: cached {cached.name} (data and config unchanged)", file=sys.stderr)
    if not target.exists():
        shutil.copy2(cached, target)
    os.utime(target)  # the newest archive in models/ is the one `rasa run` picks
    return target


def _train(root: Path, cached: Path, fp: str) -> None:
    rasa = Path(sys.executable).with_name("rasa")
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(cached.parent.parent / "rasa-cache"),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",  # third-party deprecation noise, not ours
    }
    print(f"model: training {fp} (data or config changed)...", file=sys.stderr)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cached.parent) as out:
        subprocess.run(  # noqa: S603 - fixed argv, our own venv's rasa
            [
                str(rasa),
                "train",
                "--config",
                "config.yml",
                "--domain",
                _domain(root),
                "--data",
                "data",
                "--out",
                out,
                "--fixed-model-name",
                fp,
                "--quiet",
            ],
            cwd=root,
            env=env,
            check=True,
        )
        produced = Path(out) / f"{fp}.tar.gz"
        os.replace(produced, cached)
    print(f"model: trained in {time.monotonic() - started:.0f} s -> {cached}", file=sys.stderr)


def _domain(root: Path) -> str:
    return "domain" if (root / "domain").is_dir() else "domain.yml"
