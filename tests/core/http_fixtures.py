"""Byte fixtures for the HTTP parser: one per row of the HTTP framing table, and friends."""

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
BARE_LF = b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello"
MIXED_LINE_ENDINGS = b"HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\nC: 3\n\r\n"
NO_COLON = (
    b"HTTP/1.1 200 OK\r\nServer: lab\r\nFoo bar\r\nX-After: kept\r\nContent-Length: 0\r\n\r\n"
)
SPACE_BEFORE_COLON = b"HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 0\r\n\r\n"
NUL_IN_VALUE = b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 0\r\n\r\n"
CR_IN_VALUE = b"HTTP/1.1 200 OK\r\nX-Cr: a\rb\r\nContent-Length: 0\r\n\r\n"
ESC_IN_VALUE = b"HTTP/1.1 200 OK\r\nX-Esc: \x1b]52;c;cHduZWQ=\x1b\\\r\nContent-Length: 0\r\n\r\n"
OBS_FOLD = b"HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\nContent-Length: 0\r\n\r\n"
HUGE_HEADER = (
    b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 100 * 1024 + b"\r\nContent-Length: 2\r\n\r\nok"
)
HTTPR = b"HTTPr 200 OK\r\n\r\n"
BARE_BODY = b"<html>hello</html>\n"
SHORT_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"
LONG_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n12345"
NEGATIVE_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc"
TWO_LENGTHS = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\nabc"
SAME_LENGTH_TWICE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
HUGE_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\nabc"
CHUNKED = CHUNKED_HEAD + b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: 42\r\n\r\n"
CHUNK_BAD_HEX = CHUNKED_HEAD + b"5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n"
CHUNK_22_DIGITS = CHUNKED_HEAD + b"5\r\nhello\r\n1234567890123456789012\r\nx\r\n0\r\n\r\n"
CHUNK_MISSING_CRLF = CHUNKED_HEAD + b"5\r\nhelloXX0\r\n\r\n"
CHUNK_NO_LAST = CHUNKED_HEAD + b"5\r\nhello\r\n"
CHUNK_CUT_INSIDE = CHUNKED_HEAD + b"5\r\nhello\r\na\r\n12345"
CHUNK_NO_FINAL_BLANK = CHUNKED_HEAD + b"5\r\nhello\r\n0\r\n"
HEADERS_THEN_CLOSE = b"HTTP/1.1 200 OK\r\nServer: lab\r\n"
READ_UNTIL_CLOSE = b"HTTP/1.1 200 OK\r\nServer: lab\r\n\r\nbody until close"
TE_AND_CL = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n"
)
TE_GZIP = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzipped until close"
HEAD_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
CONTINUE_THEN_OK = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
ONLY_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"
KEEP_ALIVE = OK + OK + b"HTTP/1.1 204 No Content\r\n\r\n"
GARBAGE_AFTER = OK + b"\r\n"
GARBAGE_AFTER_KEEP_ALIVE = OK + OK + b"junk"


def bad_status(code: bytes) -> bytes:
    return b"HTTP/1.1 " + code + b" Odd\r\nContent-Length: 2\r\n\r\nok"


def many_headers(count: int, *, line_end: bytes = b"\r\n") -> bytes:
    """A 200 response with `count` X- headers and then Content-Length: 2."""
    lines = [b"HTTP/1.1 200 OK"] + [b"X-%d: v" % i for i in range(count)]
    lines += [b"Content-Length: 2", b"", b"ok"]
    return line_end.join(lines)
