"""Comparing two exchanges: bytes and headers, with the differences marked."""

from __future__ import annotations

import json

import pytest

from sockscope.cli import main
from sockscope.core.compare import (
    MAX_LINES,
    MAX_STEPS,
    Change,
    bytes_summary,
    compare,
    compare_bytes,
    compare_headers,
)
from sockscope.core.model import Event, EventType, Exchange, StopReason, Target


def _http(
    body: bytes, *headers: tuple[str, str], request: bytes = b"GET / HTTP/1.1\r\n\r\n"
) -> Exchange:
    head = b"".join(f"{k}: {v}\r\n".encode() for k, v in headers)
    reply = b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    return Exchange(
        Target("127.0.0.1", 8080),
        request,
        events=[
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply, len(reply)),
        ],
        stop=StopReason.PEER_CLOSED,
    )


def test_identical_exchanges_say_so_and_mark_nothing() -> None:
    result = compare(_http(b"hi\n", ("Server", "a")), _http(b"hi\n", ("Server", "a")))
    assert result.summary == "sent: identical · received: identical · headers: identical"
    assert all(h.change is Change.SAME for h in result.headers)


def test_a_changed_body_line_is_marked_removed_and_added() -> None:
    result = compare(_http(b"one\ntwo\n"), _http(b"one\nTWO\n"))
    changes = [
        (line.change, line.text) for line in result.received.lines if line.change is not Change.SAME
    ]
    assert (Change.REMOVED, "b'two\\n'") in changes
    assert (Change.ADDED, "b'TWO\\n'") in changes
    assert result.sent.identical


def test_headers_are_matched_by_name_and_occurrence() -> None:
    left = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Server", "x")]
    right = [("set-cookie", "a=1"), ("Set-Cookie", "b=3"), ("Via", "proxy")]
    diffs = {(d.name.lower(), d.change) for d in compare_headers(left, right)}
    assert ("set-cookie", Change.SAME) in diffs
    assert ("set-cookie", Change.CHANGED) in diffs
    assert ("server", Change.REMOVED) in diffs
    assert ("via", Change.ADDED) in diffs


def test_compare_command_prints_the_differences_sanitised(tmp_path, capsys) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_http(b"x", ("X-Evil", "\x1b]0;pwned\x07")).to_dict()))
    b.write_text(json.dumps(_http(b"y", ("X-Evil", "calm")).to_dict()))
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "X-Evil" in out and "->" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "- b'x'" in out and "+ b'y'" in out


def test_compare_names_a_corrupt_file_and_exits_2(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["compare", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "Traceback" not in err


def test_one_changed_line_is_counted_as_one_line() -> None:
    result = compare(_http(b"one\ntwo\nthree\n"), _http(b"one\nTWO\nthree\n"))
    assert "received: 1 line differs" in result.summary
    assert result.received.differing == 1


def test_an_inserted_line_is_the_only_line_marked() -> None:
    left = b"".join(b"line %d\n" % i for i in range(1000))
    right = left.replace(b"line 500\n", b"line 500\ninserted\n")
    diff = compare_bytes(left, right)
    marked = [(line.change, line.text) for line in diff.lines if line.change is not Change.SAME]
    assert marked == [(Change.ADDED, "b'inserted\\n'")]
    assert bytes_summary(diff) == "1 line differs"
    assert not diff.notes


@pytest.mark.timeout(20)
def test_lines_that_repeat_align_without_the_quadratic_cost() -> None:
    # Few distinct lines is what made difflib's matcher take minutes on 10 KB.
    left = b"".join(b"a\n" if i % 3 else b"b\n" for i in range(5000))
    right = b"".join(b"a\n" if i % 5 else b"b\n" for i in range(5000))
    diff = compare_bytes(left, right)
    kept_left = [line.text for line in diff.lines if line.change is not Change.ADDED]
    kept_right = [line.text for line in diff.lines if line.change is not Change.REMOVED]
    assert "".join(eval(text).decode() for text in kept_left) == left.decode()
    assert "".join(eval(text).decode() for text in kept_right) == right.decode()


@pytest.mark.timeout(20)
def test_two_megabyte_replies_with_every_line_different_compare_within_the_bounds() -> None:
    left = _http(b"".join(b"left line %08d\n" % i for i in range(60_000)))
    right = _http(b"".join(b"right line %08d\n" % i for i in range(60_000)))
    assert len(left.received) > 1_000_000
    result = compare(left, right)
    diff = result.received
    assert diff.positional and diff.cut == 60_000 + 3 - MAX_LINES  # + the head's 3 lines
    assert "position by position; first 10,000 lines compared" in result.summary
    assert diff.notes == [
        f"lines paired position by position: aligning them would take more than "
        f"{MAX_STEPS:,} steps",
        f"{diff.cut:,} more lines not compared (the first 10,000 of each side are)",
    ]
    assert len(diff.lines) <= 2 * MAX_LINES


@pytest.mark.timeout(20)
def test_two_megabyte_single_lines_compare_within_the_bounds() -> None:
    diff = compare_bytes(b"x" * 1_000_000, b"y" * 1_000_000)
    rows = 1_000_000 // 256 + 1
    assert diff.positional and diff.differing == rows and not diff.cut
    assert bytes_summary(diff) == f"{rows:,} lines differ (position by position)"


@pytest.mark.timeout(20)
def test_a_megabyte_reply_with_one_changed_line_is_aligned_exactly() -> None:
    left = b"".join(b"line %08d\n" % i for i in range(MAX_LINES))
    right = left.replace(b"line 00004000\n", b"LINE 00004000\n")
    diff = compare_bytes(left * 7, right * 7)
    assert bytes_summary(diff) == "1 line differs (first 10,000 lines compared)"
    assert not diff.positional


def test_compare_command_names_the_bounds_it_hit(tmp_path, capsys, monkeypatch) -> None:
    # Smaller bounds: the same code path, without printing ten thousand lines.
    monkeypatch.setattr("sockscope.core.compare.MAX_LINES", 100)
    monkeypatch.setattr("sockscope.core.compare.MAX_STEPS", 1000)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_http(b"".join(b"a%07d\n" % i for i in range(200))).to_dict()))
    b.write_text(json.dumps(_http(b"".join(b"b%07d\n" % i for i in range(200))).to_dict()))
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "received: 97 lines differ (position by position; first 100 lines compared)" in out
    assert (
        "... lines paired position by position: aligning them would take more than 1,000 steps"
        in out
    )
    assert "... 103 more lines not compared (the first 100 of each side are)" in out
