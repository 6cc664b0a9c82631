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


def test_a_mistyped_sub_command_is_named_with_the_one_meant(cli) -> None:
    result = cli("sned", "127.0.0.1", "7", "extra")
    assert result.code == 2
    assert result.err.startswith("sockscope: error: ")
    assert result.err.rstrip().endswith("did you mean `sockscope send`?")


def test_a_host_that_resembles_no_sub_command_gets_no_suggestion(cli) -> None:
    result = cli("example.test", "7", "extra")
    assert result.code == 2 and "did you mean" not in result.err
