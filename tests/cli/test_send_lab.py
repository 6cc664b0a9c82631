"""`sockscope send` against the lab: the classic socket-tutorial exchanges, end to end."""

from __future__ import annotations

import base64
import socket

import pytest

from sockscope.lab.services import chargen_stream


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_get_json_has_status_headers_timings_and_events(cli, lab) -> None:
    result = cli("send", "127.0.0.1", lab.port("http"), "--template", "http-get", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["http"]["status"] == 200
    assert ["Server", "sockscope-lab"] in data["http"]["headers"]
    assert data["error"] is None
    assert data["stop_reason"] == "peer-closed"
    types = [e["type"] for e in data["events"]]
    assert types[:3] == ["resolve", "connect", "send"] and "recv" in types
    sent = base64.b64decode(data["request_b64"])
    assert sent.startswith(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:")
    for step in ("resolve", "connect", "first_byte", "total"):
        assert data["timings"][step] is not None
    assert base64.b64decode(data["received_b64"]).startswith(b"HTTP/1.1 200 ")


def test_http10_get_reads_until_the_server_closes(cli, lab) -> None:
    data = cli("send", "127.0.0.1", lab.port("http"), "-T", "http10-get", "--json").json()
    assert data["http"]["version"] == "HTTP/1.0" or data["http"]["status"] == 200
    assert data["http"]["complete"] is True


def test_head_reply_has_headers_and_no_body(cli, lab) -> None:
    data = cli("send", "127.0.0.1", lab.port("http"), "-T", "http-head", "--json").json()
    assert data["http"]["status"] == 200
    assert data["http"]["body_b64"] == ""
    assert not [p for p in data["http"]["problems"] if p["severity"] == "error"]


def test_echo_returns_the_exact_bytes_sent(cli, lab) -> None:
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("echo"),
        "--data",
        "ping\\r\\n\\x00\\xff",
        "--half-close",
        "--json",
    )
    data = result.json()
    assert base64.b64decode(data["received_b64"]) == b"ping\r\n\x00\xff"


def test_daytime_over_tcp_prints_the_date_line_and_the_close(cli, lab) -> None:
    result = cli("send", "127.0.0.1", lab.port("daytime"), "-T", "daytime")
    assert result.code == 0
    assert "server finished sending (EOF)" in result.out
    assert "Decoded" in result.out and "Timeline" in result.out


def test_qotd_over_udp_answers_one_datagram(cli, lab) -> None:
    data = cli("send", "127.0.0.1", lab.port("qotd", "udp"), "-T", "qotd-udp", "--json").json()
    assert data["target"]["transport"] == "udp"
    assert data["stop_reason"] == "datagram"
    assert len(base64.b64decode(data["received_b64"])) > 0


def test_greeter_speaks_first_with_nothing_sent(cli, lab) -> None:
    data = cli("send", "127.0.0.1", lab.port("greeter"), "-T", "banner", "--json").json()
    assert base64.b64decode(data["received_b64"]).startswith(b"Thank you for connecting")
    assert data["request_b64"] == ""


def test_refused_port_is_a_network_error_with_exit_1(cli) -> None:
    result = cli("send", "127.0.0.1", _closed_port(), "--json")
    assert result.code == 1
    assert result.json()["error"]["kind"] == "refused"


def test_a_refused_port_s_report_says_the_error_once_with_its_hint(cli) -> None:
    port = _closed_port()
    result = cli("send", "127.0.0.1", port)
    assert result.code == 1
    stopped = result.out[result.out.index("Stopped") :]
    assert stopped.count(f"connection refused by 127.0.0.1:{port}") == 1
    assert f"error: connection refused by 127.0.0.1:{port}" in stopped
    assert "hint: nothing is listening on that port" in stopped


def test_unresolvable_name_is_classified_with_exit_1(cli) -> None:
    result = cli("send", "nothing.invalid", "80", "--json")
    assert result.code == 1
    assert result.json()["error"]["kind"] in ("name-not-found", "dns-temporary")


def test_silent_server_stops_on_the_idle_timeout_not_an_error(cli, lab) -> None:
    result = cli("send", "127.0.0.1", lab.port("discard"), "--data", "x", "--idle", "0.2", "--json")
    assert result.code == 0
    data = result.json()
    assert data["stop_reason"] == "idle-timeout" and data["error"] is None


def test_output_file_gets_the_raw_bytes_and_stdout_only_the_summary(cli, lab, tmp_path) -> None:
    target = tmp_path / "reply.bin"
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("http"),
        "-T",
        "http-get",
        "--path",
        "/bytes?n=300000",
        "-o",
        target,
    )
    assert result.code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"HTTP/1.1 200 ") and len(raw) > 300000
    assert f"written to {target}" in result.out
    assert "Received (repr)" not in result.out


def test_output_file_holds_every_byte_past_the_memory_it_keeps(cli, lab, tmp_path) -> None:
    """-o keeps 1 MiB in memory; the rest goes on to the file (spliced on Linux)."""
    size = 3 * 1024 * 1024 + 7
    target = tmp_path / "reply.bin"
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("http"),
        "-T",
        "http-get",
        "--path",
        f"/bytes?n={size}",
        "-o",
        target,
        "--json",
    )
    assert result.code == 0, result.err
    data = result.json()
    raw = target.read_bytes()
    assert raw.partition(b"\r\n\r\n")[2] == b"".join(map(bytes, chargen_stream(size)))
    assert data["stop_reason"] == "peer-closed"
    assert sum(e["size"] for e in data["events"] if e["type"] == "recv") == len(raw)
    assert base64.b64decode(data["received_b64"]) == raw[: 1024 * 1024]


@pytest.mark.parametrize(
    "attack",
    [
        "\\x1b]52;c;cHduZWQ=\\x1b\\\\",
        "\\x1b]0;pwned\\x07",
        "\\x1b[2J\\x1b[H",
        "\\x9b31m \\xc2\\x9b31m",
        "\\x1bc",
        "\\xe2\\x80\\xae reversed",
    ],
)
def test_terminal_control_bytes_from_the_server_are_printed_visibly(cli, lab, attack) -> None:
    result = cli("send", "127.0.0.1", lab.port("echo"), "--data", attack, "--half-close")
    assert result.code == 0
    assert "\x1b" not in result.out
    assert not any(0x80 <= ord(c) <= 0x9F for c in result.out)
    assert "\u202e" not in result.out


def test_a_reply_cut_by_the_capture_limit_says_so_not_incomplete(cli, lab, tmp_path) -> None:
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("http"),
        "-T",
        "http-get",
        "--path",
        "/bytes?n=300000",
        "--capture-file",
        tmp_path / "all.bin",
        "--capture-limit",
        "16k",
        "--json",
    )
    problems = {p["code"]: p for p in result.json()["http"]["problems"]}
    assert "incomplete-body" not in problems
    assert "16.0 KiB" in problems["capture-truncated"]["message"]


def test_json_output_carries_no_raw_control_character_even_del(cli, lab) -> None:
    # The echo sends the line back and the redis parser quotes it in "replies": JSON's
    # own escaping leaves DEL raw there, the output must not.
    result = cli(
        "send", "127.0.0.1", lab.port("echo"), "-T", "redis-ping", "-d", "+a\\x7fb\\r\\n", "--json"
    )
    assert result.code == 0, result.err
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in result.out.rstrip("\n"))
    assert result.json()["replies"][0]["lines"] == ["a\x7fb"]
