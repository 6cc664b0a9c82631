"""`sockscope --help` is the map of the command line; `--version` says which one this is."""

from __future__ import annotations

import pytest

from sockscope import __version__
from sockscope.cli import main
from sockscope.cli.parsing import SUBCOMMANDS


def _printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_help_names_every_sub_command_with_what_it_does(capsys) -> None:
    out = _printed(capsys, "--help")
    names = ("send", "connect", "listen", "relay", "lab", "templates", "open", "compare", "export")
    for name in names:
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert SUBCOMMANDS[name] in line
    assert set(SUBCOMMANDS) == {*names}


def test_version_prints_the_package_version(capsys) -> None:
    assert _printed(capsys, "--version").strip() == f"sockscope {__version__}"
