"""Shell exports: `printf ... | ncat/socat/curl` lines that send exactly the recorded bytes.

The commands run in a real bash with the tool replaced by a stub that keeps its
arguments and its input, so the tests need neither ncat nor socat nor a network, and
prove what the pasted line would hand the tool.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockscope.core.model import ReadPolicy, Target, TlsOptions, Transport
from sockscope.export import ExportError
from sockscope.export.printf import printf_command
from sockscope.export.shell import to_shell
from tests.export.conftest import made_exchange

HOSTILE = [
    b'it\'s "quoted"',
    b"NUL\x00in the middle\x00",
    b"lines\nand\r\nmore\n\n",
    b"$(rm -rf ~) `rm -rf ~` ${HOME} !! \\ %s %d %%",
    b"-n leading dash",
    bytes(range(256)),
]


def _stub_run(command: str, directory: Path) -> tuple[list[str], bytes]:
    """Run `command` in bash with the tools stubbed; return the tool's argv and input."""
    stub = 'printf "%s\\0" "$@" > args; cat > stdin'
    script = f"ncat() {{ {stub}; }}\nsocat() {{ {stub}; }}\ncurl() {{ {stub}; }}\n{command}"
    subprocess.run(
        ["bash", "-c", script],
        cwd=directory,
        # A quoting mistake would run `rm -rf ~`: let ~ be the test's own directory.
        env={"HOME": str(directory), "PATH": os.environ["PATH"]},
        timeout=30,
        check=True,
    )
    args = (directory / "args").read_bytes().split(b"\0")[:-1]
    stdin = directory / "stdin"
    return [a.decode() for a in args], stdin.read_bytes() if stdin.exists() else b""


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=300))
def test_printf_prints_exactly_the_bytes_for_any_payload(tmp_path_factory, data: bytes) -> None:
    directory = tmp_path_factory.mktemp("p")
    out = subprocess.run(
        ["bash", "-c", printf_command(data)], cwd=directory, capture_output=True, check=True
    )
    assert out.stdout == data


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("tool", ["ncat", "socat"])
def test_hostile_payload_reaches_the_tool_byte_for_byte_and_runs_nothing(
    tmp_path: Path, tool: str, payload: bytes
) -> None:
    (tmp_path / "keep").write_text("still here")
    command = to_shell(made_exchange([payload]), tool)
    argv, stdin = _stub_run(command, tmp_path)
    assert stdin == payload
    assert (tmp_path / "keep").exists()
    assert "192.0.2.7" in " ".join(argv)


def test_ncat_line_for_tcp_keeps_the_connection_open_after_sending() -> None:
    command = to_shell(made_exchange([b"GET / HTTP/1.0\r\n\r\n"]), "ncat")
    assert (
        command == "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ncat --no-shutdown -i 2s 192.0.2.7 8080\n"
    )


def test_ncat_half_closes_when_the_original_did() -> None:
    command = to_shell(made_exchange([b"x"], policy=ReadPolicy(half_close=True)), "ncat")
    assert "--no-shutdown" not in command


@pytest.mark.parametrize(
    ("target", "flags"),
    [
        (Target("h", 53, Transport.UDP), ["-u"]),
        (Target("/run/app.sock", None, Transport.UNIX), ["-U", "/run/app.sock"]),
        (Target("/run/d.sock", None, Transport.UNIX_DGRAM), ["-u", "-U"]),
        (Target("::1", 80, family=6), ["-6", "::1", "80"]),
        (
            Target("h", 443, Transport.TLS, tls=TlsOptions(ca_file="/ca.pem", alpn=("h2",))),
            ["--ssl", "--ssl-verify", "--ssl-trustfile", "/ca.pem", "--ssl-alpn", "h2"],
        ),
        (
            Target("h", 443, Transport.TLS, tls=TlsOptions(verify=False, server_name="n")),
            ["--ssl", "--ssl-servername", "n"],
        ),
    ],
)
def test_ncat_flags_follow_the_transport_and_tls_choices(
    tmp_path: Path, target: Target, flags: list[str]
) -> None:
    argv, _ = _stub_run(to_shell(made_exchange([b"x"], target=target), "ncat"), tmp_path)
    assert all(flag in argv for flag in flags), argv
    if target.transport is Transport.TLS and not target.tls.verify:
        assert "--ssl-verify" not in argv


def test_a_host_that_looks_like_an_option_is_not_read_as_one(tmp_path: Path) -> None:
    target = Target("-e/bin/sh", 1)
    argv, _ = _stub_run(to_shell(made_exchange([b"x"], target=target), "ncat"), tmp_path)
    assert argv[-3:] == ["--", "-e/bin/sh", "1"]


def test_a_hostile_host_is_one_argument_and_runs_nothing(tmp_path: Path) -> None:
    host = "$(touch pwned); touch pwned2 'x"
    argv, _ = _stub_run(to_shell(made_exchange([b"x"], target=Target(host, 1)), "ncat"), tmp_path)
    assert host in argv
    assert not list(tmp_path.glob("pwned*"))


def test_socat_line_names_the_address_with_its_options(tmp_path: Path) -> None:
    target = Target("h", 443, Transport.TLS, tls=TlsOptions(verify=False, server_name="lab"))
    argv, _ = _stub_run(to_shell(made_exchange([b"x"], target=target), "socat"), tmp_path)
    assert argv[-2:] == ["-", "OPENSSL:h:443,verify=0,snihost=lab,shut-none"]
    argv, _ = _stub_run(to_shell(made_exchange([b"x"], target=Target("::1", 7)), "socat"), tmp_path)
    assert argv[-1] == "TCP:[::1]:7,shut-none"
    assert argv[0:2] == ["-T", "2"]


def test_socat_refuses_values_its_address_syntax_would_misread() -> None:
    with pytest.raises(ExportError, match=r"socat cannot take the host .*use --format ncat"):
        to_shell(made_exchange([b"x"], target=Target("h,exec:sh", 1)), "socat")
    with pytest.raises(ExportError, match="the socket path"):
        to_shell(made_exchange([b"x"], target=Target("/a:b", None, Transport.UNIX)), "socat")


def test_socat_notes_what_it_cannot_offer() -> None:
    target = Target("h", 443, Transport.TLS, tls=TlsOptions(alpn=("h2",)))
    command = to_shell(made_exchange([b"x"], target=target), "socat")
    assert command.startswith("# socat cannot offer ALPN")


def test_several_sends_are_sent_together_with_a_note(tmp_path: Path) -> None:
    command = to_shell(made_exchange([b"EHLO x\r\n", b"QUIT\r\n"]), "ncat")
    assert command.startswith("# The original waited for replies between its 2 sends")
    _, stdin = _stub_run(command, tmp_path)
    assert stdin == b"EHLO x\r\nQUIT\r\n"


# ---- curl ---------------------------------------------------------------------------


def test_curl_sends_a_plain_get_with_only_the_original_headers(tmp_path: Path) -> None:
    request = b"GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\nX-Quote: it's $(x)\r\n\r\n"
    argv, _ = _stub_run(to_shell(made_exchange([request]), "curl"), tmp_path)
    assert argv[-1] == "http://192.0.2.7:8080/a?b=1"
    assert "--http1.1" in argv and "--request" not in argv
    headers = [argv[i + 1] for i, a in enumerate(argv) if a == "--header"]
    assert headers == ["Host: example.test", "X-Quote: it's $(x)", "User-Agent:", "Accept:"]


def test_curl_sends_a_body_exactly_through_data_binary(tmp_path: Path) -> None:
    body = b"a=1&b='2'\x00\n$(rm -rf ~)"
    request = (
        b"PUT /up HTTP/1.0\r\nHost: h\r\nContent-Type: text/plain\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )
    argv, stdin = _stub_run(to_shell(made_exchange([request]), "curl"), tmp_path)
    assert stdin == body
    assert argv[argv.index("--data-binary") + 1] == "@-"
    assert argv[argv.index("--request") + 1] == "PUT"
    assert "--http1.0" in argv and "Expect:" in argv
    assert not any(a.startswith("Content-Length") for a in argv)


def test_curl_over_tls_keeps_insecure_and_server_name(tmp_path: Path) -> None:
    target = Target(
        "127.0.0.1", 8443, Transport.TLS, tls=TlsOptions(verify=False, server_name="lab")
    )
    exchange = made_exchange([b"HEAD / HTTP/1.1\r\nHost: lab\r\n\r\n"], target=target)
    argv, _ = _stub_run(to_shell(exchange, "curl"), tmp_path)
    assert "--insecure" in argv and "--head" in argv and "--no-alpn" in argv
    assert argv[-1] == "https://lab:8443/"
    assert argv[argv.index("--connect-to") + 1] == "lab:8443:127.0.0.1:8443"


def test_curl_over_a_unix_socket_uses_unix_socket(tmp_path: Path) -> None:
    target = Target("/run/docker.sock", None, Transport.UNIX)
    exchange = made_exchange([b"GET /info HTTP/1.1\r\nHost: docker\r\n\r\n"], target=target)
    argv, _ = _stub_run(to_shell(exchange, "curl"), tmp_path)
    assert argv[argv.index("--unix-socket") + 1] == "/run/docker.sock"
    assert argv[-1] == "http://localhost/info"


@pytest.mark.parametrize(
    ("sent", "target", "reason"),
    [
        ([b"\x16\x03\x01binary"], None, "curl cannot send a non-HTTP payload"),
        ([b"GET / HTTP/1.1\nHost: h\n\n"], None, "bare LF"),
        ([b"GET / HTTP/2\r\n\r\n"], None, "request line"),
        ([b"GET http://x/ HTTP/1.1\r\n\r\n"], None, "origin-form"),
        ([b"GET /#top HTTP/1.1\r\n\r\n"], None, "#fragment"),
        ([b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"], None, "header line"),
        ([b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"], None, "Content-Length"),
        (
            [b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
            None,
            "Transfer-Encoding",
        ),
        ([b"GET / HTTP/1.1\r\n\r\n", b"x"], None, "had 2 sends"),
        ([b"GET / HTTP/1.1\r\n\r\n"], Target("h", 53, Transport.UDP), "not udp"),
    ],
)
def test_curl_explains_what_it_cannot_express_and_points_to_ncat(
    sent: list[bytes], target: Target | None, reason: str
) -> None:
    with pytest.raises(ExportError) as caught:
        to_shell(made_exchange(sent, target=target), "curl")
    message = str(caught.value)
    assert reason in message and message.endswith(
        "use --format ncat, which sends the bytes as they are"
    )


def test_an_unknown_tool_is_named_with_the_choices() -> None:
    with pytest.raises(ExportError, match="unknown tool 'nc'; one of: ncat, socat, curl"):
        to_shell(made_exchange([b"x"]), "nc")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /x?y=1 HTTP/1.1\r\nHost: a\r\nX-Quote: it's\r\nConnection: close\r\n\r\n",
        b"POST /p HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\n\r\na\x00b'c",
    ],
)
def test_real_curl_sends_the_recorded_request_byte_for_byte(request_bytes: bytes) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        received: list[bytes] = []

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                data = b""
                while len(data) < len(request_bytes):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)
                conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        exchange = made_exchange([request_bytes], target=Target("127.0.0.1", port))
        subprocess.run(
            ["bash", "-c", to_shell(exchange, "curl")], capture_output=True, timeout=30, check=True
        )
        thread.join(timeout=30)
    assert received == [request_bytes]
