"""`sockscope listen` as a user runs it: the first line, one JSON object per client, errors."""

from __future__ import annotations

import base64
import signal
import socket
import subprocess
import sys

import pytest

from sockscope.cli import main
from tests.listen.conftest import WAIT


def test_json_first_line_then_one_object_per_client_with_the_parsed_request(listen_cli) -> None:
    running = listen_cli("0", "--reply-template", "http-ok")
    listening = running.listening
    assert listening["host"] == "127.0.0.1" and listening["transport"] == "tcp"
    assert listening["max_clients"] == 100 and listening["capture_limit"] == 1024 * 1024
    assert listening["idle"] == 30.0
    port = listening["port"]
    page = subprocess.run(
        ["curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{port}/cli"],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert "GET /cli HTTP/1.1" in page.stdout
    client = running.next_json()
    assert client["client"] == 1 and client["peer"].startswith("127.0.0.1:")
    http = client["request"]["http"]
    assert (http["method"], http["target"]) == ("GET", "/cli")
    headers = dict(http["headers"])
    assert headers["Host"] == f"127.0.0.1:{port}"
    assert headers["User-Agent"].startswith("curl/")
    assert base64.b64decode(client["received_b64"]).startswith(b"GET /cli HTTP/1.1\r\n")
    assert client["stop_reason"] == "peer-closed"
    running.proc.send_signal(signal.SIGTERM)
    assert running.next_json() == {"stopped": {"clients": 1, "turned_away": 0}}
    assert running.proc.wait(WAIT) == 0


def test_reaching_the_client_limit_is_a_note_and_the_next_client_waits(listen_cli) -> None:
    running = listen_cli("0", "--max-clients", "1", "--reply-template", "echo")
    port = running.listening["port"]
    assert running.listening["max_clients"] == 1
    with socket.create_connection(("127.0.0.1", port)) as holder:
        holder.settimeout(WAIT)
        holder.sendall(b"x")
        assert holder.recv(1) == b"x"  # admitted
        with socket.create_connection(("127.0.0.1", port)) as waiting:
            waiting.settimeout(WAIT)
            waiting.sendall(b"waited")
            note = running.next_json()["note"]
            assert "max-clients limit" in note["message"] and "wait" in note["message"]
            holder.close()
            assert waiting.recv(100) == b"waited"  # served once the slot freed


def test_smtp_greeting_dialogue_is_shown_as_commands(listen_cli) -> None:
    running = listen_cli("0", "--reply-template", "smtp-greeting")
    with socket.create_connection(("127.0.0.1", running.listening["port"])) as client:
        client.settimeout(WAIT)
        assert client.recv(100).startswith(b"220 ")
        client.sendall(b"HELO me\r\nQUIT\r\n")
        got = b""
        while chunk := client.recv(100):
            got += chunk
    assert got == b"250 sockscope.listen\r\n221 2.0.0 bye\r\n"
    request = running.next_json()["request"]
    assert request["protocol"] == "smtp"
    assert [(c["verb"], c["argument"]) for c in request["commands"]] == [
        ("HELO", "me"),
        ("QUIT", ""),
    ]


def test_human_output_starts_with_the_address_and_sanitises_client_bytes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "listen", "0", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("listening on 127.0.0.1:") and first.rstrip().endswith(
            "(tcp); Ctrl-C stops"
        )
        port = int(first.split(":")[1].split()[0])
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /\x1b]52;c;cHduZWQ=\x07 HTTP/1.1\r\nHost: x\r\n\r\n")
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "␛]52;c;cHduZWQ=␇" in out
    for section in ("Timeline", "Received (hex)", "Received (repr)", "Decoded", "HTTP request"):
        assert section in out
    assert "stopped: 1 client" in out


def test_binding_anything_but_loopback_needs_the_host_named(listen_cli) -> None:
    from sockscope.cli.listen import plan_listen
    from sockscope.cli.parsing import build_parser

    default = plan_listen(build_parser("listen").parse_args(["8080"]))
    assert default.config.host == "127.0.0.1" and not default.warnings
    everywhere = plan_listen(build_parser("listen").parse_args(["0.0.0.0", "8080"]))
    assert everywhere.config.host == "0.0.0.0"
    assert "not a loopback address" in everywhere.warnings[0]
    named = listen_cli("127.0.0.2", "0")
    assert named.listening["host"] == "127.0.0.2"


@pytest.mark.parametrize(
    ("args", "field", "fix"),
    [
        (["70000"], "PORT", "1-65535"),
        (["localhost", "http"], "PORT", "not a number"),
        ([], "PORT", "0 to let the OS pick"),
        (["0", "--reply-template", "nope"], "--reply-template", "http-ok"),
        (["0", "--transport", "tls", "--cert", "/nonexistent/c.pem"], "--cert", "readable"),
        (["0", "--key", "/nonexistent/k.pem"], "--key", "--cert"),
        (["--transport", "unix", "/tmp/" + "x" * 120], "PATH", "107"),
        (["0", "--reply", "a\\qb"], "column 2", "\\"),
        (["0", "--reply-hex", "4g"], "column", "hex"),
        (["0", "--max-clients", "0"], "--max-clients", "from 1"),
        (["0", "--capture-limit", "lots"], "--capture-limit", "64k"),
        (["0", "--reply", "x", "--reply-hex", "41"], "not allowed with", "--reply"),
        (["0", "-t", "udp", "--reply-template", "http-ok"], "--reply-template", "over udp"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_exit_2(capsys, args, field, fix) -> None:
    code = main(["listen", *args])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sockscope listen: error: ")
    assert field in lines[0] and fix in lines[0]


def test_a_port_in_use_is_one_line_exit_1(capsys) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code = main(["listen", str(port)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip() == (
        f"sockscope listen: error: PORT: 127.0.0.1:{port} is already in use; "
        "pick another port, or 0"
    )


def test_udp_json_one_object_per_client_address_after_its_silence(listen_cli) -> None:
    running = listen_cli("0", "--transport", "udp", "--reply-template", "echo", "--idle", "0.2")
    listening = running.listening
    assert listening["transport"] == "udp" and listening["idle"] == 0.2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(WAIT)
        client.sendto(b"", ("127.0.0.1", listening["port"]))
        client.sendto(b"ping\r\n", ("127.0.0.1", listening["port"]))
        assert client.recv(100) == b"ping\r\n"
        port = client.getsockname()[1]
    out = running.next_json()
    assert out["peer"] == f"127.0.0.1:{port}" and out["target"]["transport"] == "udp"
    recvs = [e for e in out["events"] if e["type"] == "recv"]
    assert [(e["size"], e.get("detail")) for e in recvs] == [
        (0, {"note": "0-byte datagram"}),
        (6, None),
    ]
    assert out["stop_reason"] == "idle-timeout"
    assert base64.b64decode(out["received_b64"]) == b"ping\r\n"


def test_idle_clients_are_closed_after_30_seconds_or_5_over_udp_unless_told() -> None:
    from sockscope.cli.listen import plan_listen
    from sockscope.cli.parsing import build_parser

    plan = plan_listen(build_parser("listen").parse_args(["0", "-t", "udp"]))
    assert plan.config.idle_timeout == 5.0
    for transport in ("tcp", "tls", "unix"):
        path_or_port = "/tmp/s.sock" if transport == "unix" else "0"
        stream = plan_listen(build_parser("listen").parse_args([path_or_port, "-t", transport]))
        assert stream.config.idle_timeout == 30.0
    told = plan_listen(build_parser("listen").parse_args(["0", "--idle", "2.5"]))
    assert told.config.idle_timeout == 2.5
    assert "(30; udp: 5)" in " ".join(build_parser("listen").format_help().split())


def test_a_long_view_names_the_options_listen_has() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sockscope",
            "listen",
            *("0", "-t", "udp", "--idle", "0.2", "--count", "1"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split(":")[1].split()[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"q" * 20_000, ("127.0.0.1", port))
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "more (--full shows all, --json has every byte kept)" in out
    assert "-o FILE" not in out


def test_command_lines_over_unix_have_one_commands_heading(tmp_path_factory) -> None:
    path = str(tmp_path_factory.mktemp("u") / "s.sock")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockscope", "listen", "-t", "unix", path, "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on ")
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            client.sendall(b"hello there\r\nquit\r\n")
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    headings = [line for line in out.splitlines() if "ommands" in line]
    assert headings == ["Commands  2"]


@pytest.mark.parametrize(
    "command",
    [["listen", "127.0.0.1", "0", "--count", "1"], ["relay", "127.0.0.1:0", "127.0.0.1:9"]],
)
def test_a_certificate_that_cannot_be_loaded_is_named_with_its_option(
    cli, tmp_path, command: list[str]
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    result = cli(*command, "--transport", "tls", "--cert", bad, "--key", bad)
    assert result.code == 1
    assert result.err.startswith(f"sockscope {command[0]}: error: --cert: cannot load the ")
    assert len(result.err.strip().splitlines()) == 1
