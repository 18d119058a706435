"""Every command's --help prints its usage (argparse formats help texts with %: a stray one crashed --help)."""
from __future__ import annotations

import re

import pytest

from scripts.__main__ import main


def _commands(capsys) -> list[str]:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    return re.search(r"\{([a-z,-]+)\}", capsys.readouterr().out).group(1).split(",")


def test_every_command_has_a_help_that_prints(capsys):
    commands = _commands(capsys)
    assert {"build", "evaluate", "benchmark", "publish"} <= set(commands)
    for command in commands:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0, command
        assert capsys.readouterr().out.startswith("usage:"), command
