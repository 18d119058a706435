"""The venv cache of scripts/core/venvs.py: one venv per version of a lock, counted only once its stamp exists."""
from __future__ import annotations

from scripts.core import venvs


def test_a_venv_is_made_once_per_lock_and_a_half_made_one_anew(tmp_path, monkeypatch):
    monkeypatch.setattr(venvs, "CACHE", tmp_path / "cache")
    lock = tmp_path / "x.lock"
    lock.write_text("# nothing to install\n")
    made = venvs.locked_venv("x", lock)
    assert made == venvs.venv_path("x", lock) and (made / venvs.STAMP).exists() and (made / "bin" / "python").exists()
    (made / "marker").touch()
    assert venvs.locked_venv("x", lock) == made and (made / "marker").exists()  # the stamp is there: used as it is
    (made / venvs.STAMP).unlink()  # as if pip had been killed: no stamp
    assert venvs.locked_venv("x", lock) == made and not (made / "marker").exists() and (made / venvs.STAMP).exists()
    lock.write_text("# another version\n")
    assert venvs.locked_venv("x", lock) != made and (venvs.venv_path("x", lock) / venvs.STAMP).exists()
    other = venvs.locked_venv("x", lock, "--no-deps", "-r", str(lock))  # other pip arguments: another venv
    assert other != venvs.venv_path("x", lock) and (other / venvs.STAMP).exists()
    (other / "bin" / "python").unlink()  # its interpreter gone (a new Python on the machine): made anew
    assert venvs.locked_venv("x", lock, "--no-deps", "-r", str(lock)) == other and (other / "bin" / "python").exists()
