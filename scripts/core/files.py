"""Writing a file so that it is either the old one or the new one, never half: one implementation for every
command. The temporary file is made new (a link planted under its name is removed, never followed), and
the rename replaces a link at the target instead of writing through it."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the checkout: corpus/, annotations/, the release


def write_atomic(path: Path, text: str | bytes, private: bool = False, durable: bool = False) -> None:
    """Text (UTF-8) or bytes. `private`: readable by its owner only. `durable`: flushed to disk, with its
    folder, before it counts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if durable:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
