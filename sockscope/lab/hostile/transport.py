"""Transport misbehaviour: closing, going silent, resetting, trickling and flooding."""

from __future__ import annotations

from sockscope.core.model import ErrorKind, StopReason
from sockscope.lab.hostile.case import HTTP_GET, LINE, Case, Expect
from sockscope.lab.hostile.script import Close, Hold, ReadRequest, Reset, Send, Stream, Trickle
from sockscope.lab.services import CHUNK, chargen_stream

FIREHOSE_BYTES = 100_000_000
RESET_AFTER = 1000
TRICKLE_INTERVAL = 1.0

_BLOCK = bytes(next(chargen_stream(CHUNK)))
_RESET_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
_RESET_REPLY = _RESET_HEAD + _BLOCK[: RESET_AFTER - len(_RESET_HEAD)]
_HALF_CLOSE_REPLY = b"all said; my write side is shut, I am still listening\n"

CASES = (
    Case(
        "accept-close",
        "tcp",
        "accepts, then closes at once without a byte",
        '"closed by server, 0 bytes received"',
        Expect(StopReason.PEER_CLOSED, "closed by server, 0 bytes received"),
        steps=(Close(),),
    ),
    Case(
        "idle",
        "tcp",
        "reads the request, never answers",
        'the idle timeout: "idle: no data for N s (0 bytes received)"',
        Expect(StopReason.IDLE, "idle: no data for"),
        steps=(ReadRequest(), Hold()),
        endless=True,
    ),
    Case(
        "reset-mid-body",
        "tcp",
        f"{RESET_AFTER:,} bytes of a 100,000-byte HTTP body, then an RST (SO_LINGER 0)",
        f'"connection reset by peer after {RESET_AFTER:,} bytes"; the bytes kept',
        Expect(
            StopReason.RESET,
            f"connection reset by peer after {RESET_AFTER:,} bytes",
            ErrorKind.RESET,
            ("incomplete-body",),
        ),
        steps=(ReadRequest(), Send(_RESET_REPLY), Reset()),
        client=HTTP_GET,
    ),
    Case(
        "half-close",
        "tcp",
        "replies, shuts its write side, keeps reading until the client leaves",
        '"server finished sending (EOF) after N bytes"',
        Expect(
            StopReason.PEER_CLOSED,
            f"server finished sending (EOF) after {len(_HALF_CLOSE_REPLY)} bytes",
        ),
        steps=(ReadRequest(), Send(_HALF_CLOSE_REPLY), Close()),
    ),
    Case(
        "slow-trickle",
        "tcp",
        f"one byte every {TRICKLE_INTERVAL:g} s, forever",
        "a live byte count; the total deadline ends it (the idle timeout never fires)",
        Expect(StopReason.DEADLINE, "deadline of 1.0 s reached after"),
        steps=(Trickle(b"slow trickle, one byte a second\n", TRICKLE_INTERVAL),),
        client=(*LINE, "--idle", "5", "--deadline", "1"),
        endless=True,
    ),
    Case(
        "never-ending",
        "tcp",
        "sends the chargen pattern forever, as fast as it can",
        '"stopped at the capture limit (N kept)"; memory flat',
        Expect(StopReason.CAPTURE_LIMIT, "stopped at the capture limit"),
        steps=(Stream(_BLOCK),),
        client=(*LINE, "--capture-limit", "256k"),
        endless=True,
    ),
    Case(
        "firehose",
        "tcp",
        f"{FIREHOSE_BYTES:,} bytes as fast as it can, then closes",
        "the capture limit, memory bounded; with -o FILE every byte counted, EOF at the end",
        Expect(StopReason.CAPTURE_LIMIT, "stopped at the capture limit"),
        steps=(Stream(_BLOCK, FIREHOSE_BYTES),),
        client=(*LINE, "--capture-limit", "256k"),
    ),
)
