"""The exported Python script replays the conversation with the standard library alone."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from sockscope.core.model import (
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.export.python_script import to_python
from tests.export.conftest import made_exchange


def _run(script: str, tmp_path: Path) -> tuple[list[bytes], str]:
    """Run the script as a user would; return the reply chunks it printed, and its output."""
    path = tmp_path / "replay.py"
    path.write_text(script)
    proc = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    chunks = [
        ast.literal_eval(line) for line in proc.stdout.splitlines() if line.startswith(("b'", 'b"'))
    ]
    return chunks, proc.stdout


def _without_date(response: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*", b"", response)


def test_echo_script_gets_back_the_exact_bytes_it_sent(record, tmp_path: Path) -> None:
    payload = b"ping\r\n\x00\xff'\"\\ end"
    exchange = record("echo", payload, policy=ReadPolicy(half_close=True))
    chunks, out = _run(to_python(exchange), tmp_path)
    assert b"".join(chunks) == payload == exchange.received
    assert f"received {len(payload)} bytes in total" in out


def test_http_get_script_receives_the_same_response(record, tmp_path: Path) -> None:
    request = b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"
    exchange = record("http", request)
    chunks, _ = _run(to_python(exchange), tmp_path)
    assert _without_date(b"".join(chunks)) == _without_date(exchange.received)
    assert exchange.received.startswith(b"HTTP/1.1 200 OK\r\n")


def test_udp_qotd_script_gets_one_quote_datagram(record, tmp_path: Path) -> None:
    exchange = record("qotd", b"", Transport.UDP)
    chunks, _ = _run(to_python(exchange), tmp_path)
    assert len(chunks) == 1
    assert chunks[0].endswith(b"\r\n") and len(chunks[0]) > 10
    assert "sock.send(b'')" in to_python(exchange)


def test_a_server_that_speaks_first_is_heard_before_the_next_send(
    record, lab, tmp_path: Path
) -> None:
    greeting = record("smtp", b"", policy=ReadPolicy(delimiter=b"\r\n")).received
    quit_ = b"QUIT\r\n"
    exchange = Exchange(
        Target(lab.host, lab.port("smtp")),
        quit_,
        events=[
            Event(EventType.CONNECT, 0.001),
            Event(EventType.RECV, 0.002, greeting, len(greeting)),
            Event(EventType.SEND, 0.003, quit_, len(quit_)),
            Event(EventType.RECV, 0.004, b"221 bye\r\n", 9),
        ],
    )
    script = to_python(exchange)
    assert script.index(f"receive(sock, want={len(greeting)})") < script.index("sendall")
    chunks, _ = _run(script, tmp_path)
    replies = b"".join(chunks)
    assert replies.startswith(greeting)
    assert replies[len(greeting) :].startswith(b"221 ")


def test_script_reads_like_a_socket_tutorial_and_imports_only_the_standard_library() -> None:
    script = to_python(made_exchange([b"GET / HTTP/1.0\r\n\r\n"], [b"HTTP/1.0 200 OK\r\n"]))
    tree = ast.parse(script)
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported == {"socket"}
    for teaching in ("create_connection", "sendall", "recv", "closed its side"):
        assert teaching in script
    assert "    sock.sendall(\n        b'GET / HTTP/1.0\\r\\n'\n        b'\\r\\n'\n    )" in script


def test_tls_script_keeps_the_verify_sni_and_alpn_choices() -> None:
    target = Target(
        "127.0.0.1",
        8443,
        Transport.TLS,
        tls=TlsOptions(verify=False, server_name="lab.test", alpn=("h2", "http/1.1")),
    )
    script = to_python(made_exchange([b"x"], target=target))
    assert "import ssl" in script
    assert "context.verify_mode = ssl.CERT_NONE" in script
    assert "SERVER_NAME = 'lab.test'" in script
    assert "context.set_alpn_protocols(['h2', 'http/1.1'])" in script
    verified = to_python(
        made_exchange([b"x"], target=Target("h", 443, Transport.TLS, tls=TlsOptions(ca_file="/ca")))
    )
    assert "ssl.create_default_context(cafile=CA_FILE)" in verified


def test_tls_script_talks_to_the_lab_https_service(lab, tmp_path: Path) -> None:
    from sockscope.engine import run_exchange

    target = Target(
        lab.host, lab.port("https", "tls"), Transport.TLS, tls=TlsOptions(ca_file=lab.ca_file)
    )
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    exchange = run_exchange(target, request)
    assert exchange.error is None, exchange.stop_message
    chunks, _ = _run(to_python(exchange), tmp_path)
    assert _without_date(b"".join(chunks)) == _without_date(exchange.received)


def test_starttls_script_upgrades_where_the_original_did_and_hears_every_reply(
    lab, tmp_path: Path
) -> None:
    from sockscope.core.templates import builtin_templates
    from sockscope.engine import run_steps

    target = Target(lab.host, lab.port("smtp"), tls=TlsOptions(ca_file=lab.ca_file))
    dialogue = builtin_templates()["smtp-starttls"].dialogue(target.host, target.port)
    exchange = run_steps(target, dialogue, ReadPolicy(idle_timeout=10.0))
    assert exchange.error is None, exchange.stop_message

    script = to_python(exchange)
    chunks, _ = _run(script, tmp_path)
    assert b"".join(chunks) == exchange.received  # the EHLO and QUIT over TLS answered too
    assert b"221 " in exchange.received
    assert script.index("sock = context.wrap_socket(") > script.index("sock.sendall(b'STARTTLS")


def test_half_close_is_replayed_only_when_the_original_did_it() -> None:
    sent = [b"data"]
    assert "SHUT_WR" not in to_python(made_exchange(sent))
    assert "sock.shutdown(socket.SHUT_WR)" in to_python(
        made_exchange(sent, policy=ReadPolicy(half_close=True))
    )


def test_hostile_values_become_python_literals_not_code(tmp_path: Path) -> None:
    host = "x'\"\"\"\nimport os; os.system('touch pwned')  # "
    target = Target(host, 1, Transport.UNIX)
    script = to_python(made_exchange([b"'''\"\"\"\n\\"], target=target))
    tree = ast.parse(script)
    constants = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert host in constants and b"'''\"\"\"\n\\" in constants
    assert not any(
        isinstance(n, ast.Import) and any(a.name == "os" for a in n.names) for n in ast.walk(tree)
    )


def test_long_payloads_are_split_into_readable_lines() -> None:
    script = to_python(made_exchange([b"a" * 100 + b"\n" + b"b" * 10]))
    assert "        b'" + "a" * 48 + "'" in script
    assert "        b'bbbbbbbbbb'" in script
    assert max(len(line) for line in script.splitlines()) <= 100
