"""The venvs made from a lock file: .venv (scripts/venv.sh links it here), Label Studio's, Spark's and the
tests' own. Each lives in the user's cache folder (`$XDG_CACHE_HOME`, else ~/.cache), keyed by the sha256 of its
lock, the Python making it and pip's arguments, so a new checkout (every CI run) finds it made and a change makes a new one (venvs are not relocatable: they stay where made).
A venv counts only once its stamp exists, written last and by a rename: one cut off mid-install is made
anew; a lock file keeps two processes (two pytest workers, two checkouts) from making the same one at once.

    python3 -m scripts.core.venvs NAME LOCK [PIP-INSTALL-ARGS...]   # prints the venv's folder
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "syria-news-spans"
STAMP = ".complete"


def venv_path(name: str, lock: Path, *install: str) -> Path:
    """Keyed by the lock, the interpreter making it and pip's arguments: a change of any makes a new venv."""
    key = hashlib.sha256(Path(lock).read_bytes())
    key.update("\0".join([sys.version, *("<lock>" if arg == str(lock) else arg for arg in install)]).encode())  # not the checkout's path
    return CACHE / f"{name}-{key.hexdigest()[:16]}"


def locked_venv(name: str, lock: Path, *install: str) -> Path:
    """The folder of venv `name` for this version of `lock`, made first if missing or half-made.
    `install`: pip's arguments, by default exactly what the lock lists."""
    venv = venv_path(name, lock, *install)
    if (venv / STAMP).exists() and (venv / "bin" / "python").exists():  # the interpreter it links to still there
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # released when closed, also when the process dies
        if not ((venv / STAMP).exists() and (venv / "bin" / "python").exists()):  # else made meanwhile by whoever held the lock
            print(f"making {venv} from {lock} (a minute or more, once per version of the lock)", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            *(install or ("--no-deps", "-r", str(lock)))], check=True, stdout=sys.stderr)
            (venv / f"{STAMP}.tmp").write_text(f"{lock}\n")
            os.replace(venv / f"{STAMP}.tmp", venv / STAMP)
    return venv


if __name__ == "__main__":
    try:
        print(locked_venv(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:]))
    except (subprocess.CalledProcessError, OSError) as err:
        sys.exit(f"could not make the venv {sys.argv[1]} from {sys.argv[2]}: {err} (pip's own message is above)")
