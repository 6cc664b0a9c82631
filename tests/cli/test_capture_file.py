"""`sockscope send --capture-file FILE`: the capture limit bounds memory, not what is kept."""

from __future__ import annotations

import base64

import pytest

from sockscope.lab.services import chargen_stream

BODY = 3 * 1024 * 1024
LIMIT = 64 * 1024


def _chargen(n: int) -> bytes:
    return b"".join(bytes(piece) for piece in chargen_stream(n))


def test_capture_file_holds_every_byte_while_the_exchange_keeps_only_the_limit(
    cli, lab, tmp_path
) -> None:
    capture = tmp_path / "capture.bin"
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("http"),
        "-T",
        "http-get",
        "--path",
        f"/bytes?n={BODY}",
        "--capture-limit",
        "64k",
        "--capture-file",
        capture,
        "--json",
    )
    assert result.code == 0, result.err
    data = result.json()
    raw = capture.read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == _chargen(BODY)
    assert data["stop_reason"] == "peer-closed"
    assert data["capture_file"] == {"path": str(capture), "size": len(raw)}
    kept = base64.b64decode(data["received_b64"])
    assert kept == raw[:LIMIT]
    assert sum(e["size"] for e in data["events"] if e["type"] == "recv") == len(raw)


def test_the_report_says_how_much_it_holds_and_where_the_rest_is(cli, lab, tmp_path) -> None:
    capture = tmp_path / "capture.bin"
    result = cli(
        "send",
        "127.0.0.1",
        lab.port("http"),
        "-T",
        "http-get",
        "--path",
        "/bytes?n=200000",
        "--capture-limit",
        "16k",
        "--capture-file",
        capture,
    )
    assert result.code == 0, result.err
    assert "Received (repr)" in result.out
    assert f"are in {capture} (the report holds the first 16.0 KiB)" in result.out


def test_capture_file_and_output_together_is_refused_before_connecting(cli, tmp_path) -> None:
    result = cli(
        "send",
        "127.0.0.1",
        "9",
        "--capture-file",
        tmp_path / "a.bin",
        "-o",
        tmp_path / "b.bin",
    )
    assert result.code == 2
    assert "--capture-file" in result.err and "--output" in result.err
    assert not (tmp_path / "a.bin").exists()


@pytest.mark.parametrize("flag", ["--output", "--capture-file"])
def test_a_file_whose_last_bytes_cannot_be_written_is_named(cli, lab, flag: str) -> None:
    # /dev/full takes the buffered writes and refuses them when the file is closed.
    result = cli("send", "127.0.0.1", lab.port("http"), "-T", "http-get", flag, "/dev/full")
    assert result.code == 2
    assert result.err.strip().endswith(f"{flag}: cannot write /dev/full: No space left on device")
