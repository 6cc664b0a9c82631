"""Comparing two exchanges: bytes and headers, with the differences marked."""

from __future__ import annotations

import json

from sockscope.cli import main
from sockscope.core.compare import Change, compare, compare_headers
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
