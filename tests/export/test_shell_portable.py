"""A pasted ncat, socat or curl line reads the same in bash, dash, zsh and fish.

Every export runs in each of the four shells with stub `ncat`, `socat` and `curl` first on
PATH (a small sh script that records its name, its arguments and its standard input), so
the tests prove what each shell would hand the real tool. Each shell runs the exports
twice: as `shell -c TEXT`, and fed to an interactive `shell -i` as a paste would be (bash
and zsh then expand `!` history references, and zsh reads `#` as a command unless
interactive_comments is set). The cases run batched: one shell process runs them all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.model import Exchange, Target, TlsOptions, Transport
from sockscope.export import ExportError
from sockscope.export.shell import to_shell
from sockscope.export.shell_words import quote
from tests.export.conftest import made_exchange

SHELLS = ("bash", "dash", "zsh", "fish")

# Strings that POSIX quoting, fish's quoting or one of the shells' expansions treat
# specially; each goes into every string field an export writes.
EDGES = [
    "'",
    "\\",
    "\\\\'",
    "a\\",
    "\\'",
    "'\\''",
    "a'b\\c\\\\d",
    '"',
    "$(touch pwned)",
    "`touch pwned`",
    "; touch pwned",
    "%s %% %d",
    "\\n\\t\\x41\\101",
    "-leading dash",
    "",
    "two  spaces",
    "*",
    "~",
    "~/x",
    "{a,b}",
    "#hash",
    "!!",
    "=ls",
    "$HOME ${HOME}",
    "|&<>",
    "bücher €中",
]
# Characters a pasted line cannot carry alike (or shows other than it runs): refused.
REFUSED = ["\n", "\t", "\x1b]0;title\x07", "\x7f", "\x9b", "\u202e", "\u200b", "\udcff", "\xa0"]

PAYLOAD = bytes(range(256)) + "".join(EDGES).encode("utf-8") + b"\\"
SOCAT_SPECIAL = set(":,!\"'\\()[]{}")
STUB = """#!/bin/sh
# Records one run of the tool: its name and arguments (NUL after each), its input when
# that is a pipe (not the script an interactive shell is reading).
n=0
while [ -e "$STUB_LOG/$n.args" ]; do n=$((n + 1)); done
printf '%s\\000' "${0##*/}" "$@" > "$STUB_LOG/$n.args"
if [ -p /dev/stdin ]; then cat; fi > "$STUB_LOG/$n.stdin"
"""


@dataclass(frozen=True)
class Case:
    """An export, and what the tool it runs must be handed."""

    name: str
    exchange: Exchange
    tool: str
    stdin: bytes
    argv: list[str] | None = None  # the whole argument list, when stated
    runs: tuple[tuple[str, ...], ...] = ()  # argument runs that must appear in order

    @property
    def text(self) -> str:
        return to_shell(self.exchange, self.tool)


def _tls(host: str = "h", **options: object) -> Target:
    return Target(host, 443, Transport.TLS, tls=TlsOptions(**options))  # type: ignore[arg-type]


def _http(head: str, body: bytes = b"") -> bytes:
    return head.encode("utf-8") + b"\r\n\r\n" + body


def _cases() -> list[Case]:
    cases = [
        Case("payload ncat", made_exchange([PAYLOAD]), "ncat", PAYLOAD),
        Case("payload socat", made_exchange([PAYLOAD]), "socat", PAYLOAD),
        Case("two sends", made_exchange([PAYLOAD[:99], PAYLOAD[99:]]), "ncat", PAYLOAD),
        Case("empty payload", made_exchange([b""]), "ncat", b""),
        Case(
            "curl body",
            made_exchange([_http(f"POST / HTTP/1.1\r\nContent-Length: {len(PAYLOAD)}", PAYLOAD)]),
            "curl",
            PAYLOAD,
            runs=(("--data-binary", "@-"),),
        ),
    ]
    method = "'`$|~!#%&*"
    path = "/'\\\\'$(touch_pwned)`x`;*~{a,b}%25\"!!"
    cases.append(
        Case(
            "curl method and path",
            made_exchange([_http(f"{method} {path} HTTP/1.1")]),
            "curl",
            b"",
            runs=(("--request", method), (f"http://192.0.2.7:8080{path}",)),
        )
    )
    for i, edge in enumerate(EDGES):
        port = ["1"]
        dash = ["--"] if edge.startswith("-") else []
        cases.append(
            Case(
                f"ncat host {i}",
                made_exchange([b"x"], target=Target(edge, 1)),
                "ncat",
                b"x",
                argv=["ncat", "--no-shutdown", "-i", "2s", *dash, edge, *port],
            )
        )
        cases.append(
            Case(
                f"curl unix socket {i}",
                made_exchange([_http("GET / HTTP/1.1")], target=Target(edge, None, Transport.UNIX)),
                "curl",
                b"",
                runs=(("--unix-socket", edge),),
            )
        )
        if edge:  # an empty TLS option means "not set"
            target = _tls(ca_file=edge, server_name=edge, alpn=(edge,))
            cases.append(
                Case(
                    f"ncat tls {i}",
                    made_exchange([b"x"], target=target),
                    "ncat",
                    b"x",
                    runs=(
                        ("--ssl-trustfile", edge),
                        ("--ssl-servername", edge),
                        ("--ssl-alpn", edge),
                    ),
                )
            )
            cases.append(
                Case(
                    f"curl ca file {i}",
                    made_exchange([_http("GET / HTTP/1.1")], target=_tls(ca_file=edge)),
                    "curl",
                    b"",
                    runs=(("--cacert", edge),),
                )
            )
        if edge.isascii():  # curl sends header lines of printable ASCII only
            header = f"X-Edge: {edge}" if edge else "X-Edge;"
            cases.append(
                Case(
                    f"curl header {i}",
                    made_exchange([_http(f"GET / HTTP/1.1\r\nX-Edge: {edge}")]),
                    "curl",
                    b"",
                    runs=(("--header", header),),
                )
            )
        if edge and not set(edge) & SOCAT_SPECIAL:  # socat's address syntax refuses the rest
            cases.append(
                Case(
                    f"socat host {i}",
                    made_exchange([b"x"], target=Target(edge, 1)),
                    "socat",
                    b"x",
                    argv=["socat", "-T", "2", "-t", "30", "-", f"TCP:{edge}:1,shut-none"],
                )
            )
            cases.append(
                Case(
                    f"socat tls {i}",
                    made_exchange([b"x"], target=_tls(ca_file=edge, server_name=edge)),
                    "socat",
                    b"x",
                    runs=(
                        (
                            "-",
                            f"OPENSSL:h:443,cafile={edge},snihost={edge},"
                            f"commonname={edge},shut-none",
                        ),
                    ),
                )
            )
    return cases


CASES = _cases()


@dataclass(frozen=True)
class Run:
    argv: list[str]
    stdin: bytes


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/install-servers installs it)")
    return path


def _run_in(shell: str, script: str, directory: Path, pasted: bool) -> list[Run]:
    """Run `script` in `shell` with the tools stubbed; each tool run, in order."""
    stubs, log, home = directory / "bin", directory / "log", directory / "home"
    for folder in (stubs, log, home):
        folder.mkdir()
    for tool in ("ncat", "socat", "curl"):
        (stubs / tool).write_text(STUB)
        (stubs / tool).chmod(0o755)
    (home / ".zshrc").write_text("")  # no first-run menu in an interactive zsh
    (directory / "script").write_text(script, encoding="utf-8")
    with (directory / "script").open("rb") as script_file:
        done = subprocess.run(
            [shell, "-i"] if pasted else [shell, "-c", script],
            cwd=home,
            # HOME is the test's own directory, so a ~ the shell expanded shows in argv.
            env={"HOME": str(home), "PATH": f"{stubs}:/usr/bin:/bin", "STUB_LOG": str(log)},
            stdin=script_file if pasted else subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert not list(directory.rglob("pwned*")), "a quoted value ran a command"
    runs = []
    for n in range(len(list(log.glob("*.args")))):
        argv = (log / f"{n}.args").read_bytes().split(b"\0")[:-1]
        runs.append(Run([a.decode("utf-8") for a in argv], (log / f"{n}.stdin").read_bytes()))
    return runs


Record = Callable[[str, bool], list[Run]]
_recorded: dict[tuple[str, bool], list[Run]] = {}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Record:
    """Every case's tool run in `shell`, pasted or not (run once each, then reused)."""

    def record(shell: str, pasted: bool) -> list[Run]:
        if (shell, pasted) not in _recorded:
            script = "".join(case.text for case in CASES)
            directory = tmp_path_factory.mktemp(shell)
            _recorded[shell, pasted] = _run_in(_shell(shell), script, directory, pasted)
        return _recorded[shell, pasted]

    return record


def _holds_in_order(argv: list[str], runs: tuple[tuple[str, ...], ...]) -> bool:
    at = 0
    for run in runs:
        while at + len(run) <= len(argv) and tuple(argv[at : at + len(run)]) != run:
            at += 1
        if at + len(run) > len(argv):
            return False
        at += len(run)
    return True


@pytest.mark.parametrize("pasted", [False, True], ids=["-c", "pasted"])
@pytest.mark.parametrize("shell", SHELLS)
def test_each_shell_hands_every_tool_the_recorded_bytes_and_the_fields_as_given(
    recorded: Record, shell: str, pasted: bool
) -> None:
    runs = recorded(shell, pasted)
    assert len(runs) == len(CASES)
    for case, run in zip(CASES, runs, strict=True):
        assert run.argv[0] == case.tool, case.name
        assert run.stdin == case.stdin, case.name
        if case.argv is not None:
            assert run.argv == case.argv, case.name
        assert _holds_in_order(run.argv, case.runs), (case.name, run.argv)


def test_the_four_shells_hand_the_tools_identical_arguments_and_input(recorded: Record) -> None:
    present = [shell for shell in SHELLS if shutil.which(shell)]
    if len(present) < 2:
        pytest.skip(f"only {present} installed; nothing to compare")
    first = recorded(present[0], False)
    for shell in present:
        for pasted in (False, True):
            assert recorded(shell, pasted) == first, (shell, "pasted" if pasted else "-c")


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c[0]):04X}")
@pytest.mark.parametrize(
    ("field", "tool", "target"),
    [
        ("target.host", "ncat", lambda v: Target(f"h{v}", 1)),
        ("target.host", "socat", lambda v: Target(f"h{v}", 1)),
        ("target.host", "curl", lambda v: Target(f"/s{v}", None, Transport.UNIX)),
        ("target.tls.server_name", "ncat", lambda v: _tls(server_name=f"n{v}")),
        ("target.tls.ca_file", "curl", lambda v: _tls(ca_file=f"/ca{v}")),
        ("target.tls.alpn[1]", "ncat", lambda v: _tls(alpn=("h2", f"x{v}"))),
    ],
)
def test_a_field_holding_a_control_or_invisible_character_is_refused_by_name(
    field: str, tool: str, target: Callable[[str], Target], char: str
) -> None:
    exchange = made_exchange([_http("GET / HTTP/1.1")], target=target(char))
    with pytest.raises(ExportError) as caught:
        to_shell(exchange, tool)
    message = str(caught.value)
    assert message.startswith(f"{field} holds U+{ord(char[0]):04X} (")
    assert "bash, dash, zsh and fish" in message
    assert all(c.isprintable() for c in message), "the refusal must be safe to print"


def test_exported_text_holds_no_control_character() -> None:
    for case in CASES:
        lines = case.text.split("\n")
        assert lines[-1] == "", case.name
        for line in lines:
            bad = [f"U+{ord(c):04X}" for c in line if unicodedata.category(c)[0] == "C"]
            assert not bad, (case.name, bad)


def test_note_lines_hold_no_shell_syntax() -> None:
    # zsh without interactive_comments runs what follows a `;` in a pasted `# ...` line.
    exchange = made_exchange([b"a", b"b"], target=_tls(alpn=("h2",)))
    notes = [line for line in to_shell(exchange, "socat").splitlines() if line.startswith("#")]
    assert len(notes) == 2
    assert all(re.fullmatch(r"# [A-Za-z0-9 ,.]+", note) for note in notes), notes


_WORD_CHARS = st.sampled_from(list("'\\\"$`;&|<>(){}[]*?~#!%=^ -_.:,/aé€\u4e2d"))


@settings(max_examples=15, deadline=None)
@given(words=st.lists(st.text(_WORD_CHARS, max_size=8), min_size=1, max_size=40))
def test_any_quoted_word_reads_back_unchanged_in_every_shell(
    tmp_path_factory: pytest.TempPathFactory, words: list[str]
) -> None:
    command = "printf '%s\\000' " + " ".join(quote(word) for word in words)
    for shell in SHELLS:
        path = shutil.which(shell)
        if path is None:
            continue
        directory = tmp_path_factory.mktemp(shell)
        out = subprocess.run(
            [path, "-c", command],
            cwd=directory,
            env={"HOME": str(directory), "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.decode("utf-8").split("\0")[:-1] == words, shell
