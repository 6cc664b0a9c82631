"""Saved exchanges for snapshots: fixed times, host and port; no network, no clock."""

from __future__ import annotations

from dataclasses import replace

from sockscope.core.model import (
    ErrorInfo,
    ErrorKind,
    Event,
    EventType,
    Exchange,
    ReadPolicy,
    StopReason,
    Target,
    TlsOptions,
    Transport,
)
from sockscope.tui.lab_info import LabInfo

HOST = "127.0.0.1"
PORT = 8080
STARTED = 1_767_225_600.0  # 2026-01-01T00:00:00Z

# The lab as a snapshot sees it: fixed ports, nothing listening.
LAB = LabInfo(
    HOST,
    {
        "echo": {"tcp": 40007, "udp": 40007},
        "discard": {"tcp": 40009},
        "daytime": {"tcp": 40013, "udp": 40013},
        "qotd": {"tcp": 40017, "udp": 40017},
        "chargen": {"tcp": 40019},
        "greeter": {"tcp": 40020},
        "trickle": {"tcp": 40021},
        "http": {"tcp": PORT},
        "https": {"tls": 8443},
        "smtp": {"tcp": 40025},
    },
)

HTTP_BODY = b"<!doctype html>\n<title>sockscope lab</title>\n<p>Hello from the lab.</p>\n"
HTTP_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Server: sockscope-lab\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: " + str(len(HTTP_BODY)).encode() + b"\r\n"
    b"Connection: close\r\n"
    b"\r\n"
)


def _request(method: str) -> bytes:
    return (
        f"{method} / HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUser-Agent: sockscope\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode()


def _tcp_events(request: bytes, *replies: bytes) -> list[Event]:
    events = [
        Event(EventType.RESOLVE, 0.00012, detail={"addresses": [HOST]}),
        Event(
            EventType.CONNECT,
            0.00041,
            detail={"peer": f"{HOST}:{PORT}", "local": f"{HOST}:51000"},
        ),
        Event(EventType.SEND, 0.00058, request, len(request)),
    ]
    t = 0.0021
    for reply in replies:
        events.append(Event(EventType.RECV, t, reply, len(reply)))
        t += 0.0004
    events.append(Event(EventType.CLOSE, t))
    return events


def one_reply_exchange(request: bytes, reply: bytes, port: int = 80) -> Exchange:
    """A finished exchange of one send and one recv, the server closing after it."""
    return Exchange(
        Target("127.0.0.1", port),
        request,
        events=[
            Event(EventType.SEND, 0.001, request, len(request)),
            Event(EventType.RECV, 0.002, reply, len(reply)),
        ],
        stop=StopReason.PEER_CLOSED,
    )


def _received(events: list[Event]) -> int:
    return sum(e.size for e in events if e.type is EventType.RECV)


def http_exchange(method: str = "GET", template: str = "http-get") -> Exchange:
    request = _request(method)
    reply = HTTP_HEAD + (HTTP_BODY if method == "GET" else b"")
    events = _tcp_events(request, reply)
    return Exchange(
        target=Target(HOST, PORT, Transport.TCP),
        request=request,
        events=events,
        stop=StopReason.PEER_CLOSED,
        stop_message=f"server finished sending (EOF) after {_received(events)} bytes",
        started_at=STARTED,
        template=template,
    )


def qotd_udp_exchange() -> Exchange:
    quote = (
        b"A protocol like HTTP uses a socket for only one transfer.\r\n"
        b"    -- Python Socket Programming HOWTO\r\n"
    )
    events = [
        Event(EventType.RESOLVE, 0.0001, detail={"addresses": [HOST]}),
        Event(EventType.CONNECT, 0.0002, detail={"peer": f"{HOST}:17", "local": f"{HOST}:51001"}),
        Event(EventType.SEND, 0.0003, b"\r\n", 2),
        Event(EventType.RECV, 0.0011, quote, len(quote)),
        Event(EventType.CLOSE, 0.0012),
    ]
    return Exchange(
        target=Target(HOST, 17, Transport.UDP),
        request=b"\r\n",
        policy=ReadPolicy(first_datagram=True),
        events=events,
        stop=StopReason.DATAGRAM,
        stop_message=f"one datagram of {len(quote)} bytes",
        started_at=STARTED,
        template="qotd-udp",
    )


def refused_exchange() -> Exchange:
    error = ErrorInfo(
        ErrorKind.REFUSED,
        f"connection refused by {HOST}:9",
        "nothing is listening on that port (or a firewall rejects the connection)",
    )
    return Exchange(
        target=Target(HOST, 9, Transport.TCP),
        request=b"hello\r\n",
        events=[
            Event(EventType.RESOLVE, 0.0001, detail={"addresses": [HOST]}),
            Event(EventType.ERROR, 0.0004, detail=error.to_dict()),
        ],
        stop=StopReason.ERROR,
        stop_message=error.message,
        error=error,
        started_at=STARTED,
        template="echo",
    )


BINARY = bytes(range(256)) * 3


def binary_exchange(request: bytes = b"\x00\x01\x02\x03") -> Exchange:
    events = _tcp_events(request, BINARY[:512], BINARY[512:])
    return Exchange(
        target=Target(HOST, PORT, Transport.TCP),
        request=request,
        events=events,
        stop=StopReason.PEER_CLOSED,
        stop_message=f"server finished sending (EOF) after {len(BINARY)} bytes",
        started_at=STARTED,
        template="hex",
    )


# The display-attack table of hostile-servers.md, one payload per row.
DISPLAY_ATTACKS: dict[str, bytes] = {
    "clipboard write": b"\x1b]52;c;cHduZWQ=\x1b\\",
    "title": b"\x1b]0;pwned\x07",
    "cursor up": b"\x1b[2A",
    "clear": b"\x1b[2J\x1b[H",
    "hidden": b"\x1b[8m",
    "hyperlink": b"\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "link markup": b"[link=https://evil.example/]x[/link]",
    "c1 character": "\u009b31m".encode(),
    "c1 raw byte": b"\x9b31m",
    "reset": b"\x1bc",
    "action markup": b"[@click=app.quit]x[/]",
    "spaced action markup": b"[ @click=app.quit]x[/]",
    "crash markup": b"x [/",
    "closing tag": b"[/b]",
    "bidi override": "\u202egnp.exe".encode(),
    "dcs": b"\x1bP1$r\x1b\\",
}

HOSTILE_BODY = b"\r\n".join(DISPLAY_ATTACKS.values()) + b"\r\n"


def hostile_exchange() -> Exchange:
    """Every display attack in the body, a header name and value, and the error text."""
    head = (
        b"HTTP/1.1 200 \x1b]0;pwned\x07OK [@click=app.quit]x[/]\r\n"
        b"X-\x1b[2J: \x1b]52;c;cHduZWQ=\x1b\\ [ @click=app.quit]y[/]\r\n"
        b"Content-Length: " + str(len(HOSTILE_BODY)).encode() + b"\r\n"
        b"\r\n"
    )
    reply = head + HOSTILE_BODY
    request = _request("GET")
    events = _tcp_events(request, reply)
    attack = b" ".join(DISPLAY_ATTACKS.values()).decode("utf-8", "surrogateescape")
    error = ErrorInfo(ErrorKind.RESET, f"connection reset by peer {attack}", f"hint {attack}")
    events.insert(-1, Event(EventType.ERROR, 0.003, detail=error.to_dict()))
    return Exchange(
        target=Target(HOST, PORT, Transport.TCP),
        request=request,
        events=events,
        stop=StopReason.RESET,
        stop_message=f"connection reset by peer after {len(reply)} bytes {attack}",
        error=error,
        started_at=STARTED,
        template="http-get",
    )


# The facts the engine records for a handshake (engine/tlsinfo.py), fixed.
CERTIFICATE = {
    "sha256": "47:DD:D6:E2:55:84:64:50:A3:80:83:79:4C:F0:98:7D:"
    "F3:1F:6B:62:5C:56:94:54:AA:0B:EE:D1:1E:56:32:AB",
    "size": 603,
    "version": 3,
    "serial": "608343A28016A9B995C2418848C410EA3E8D2C80",
    "issuer": "O=sockscope lab, CN=localhost",
    "subject": "O=sockscope lab, CN=localhost",
    "self_signed": True,
    "common_name": "localhost",
    "not_before": "2026-01-01T00:00:00Z",
    "not_after": "2027-01-01T00:00:00Z",
    "san": ["DNS:localhost", "IP:127.0.0.1"],
}


def tls_session_detail(certificate: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "version": "TLSv1.3",
        "cipher": "TLS_AES_256_GCM_SHA384",
        "bits": 256,
        "alpn": "http/1.1",
        "server_name": "localhost",
        "verified": False,
        "certificate": CERTIFICATE if certificate is None else certificate,
    }


def tls_exchange() -> Exchange:
    """HTTPS with verification off, to a self-signed certificate."""
    base = http_exchange()
    events = list(base.events)
    events.insert(2, Event(EventType.TLS, 0.0009, detail=tls_session_detail()))
    return replace(
        base,
        target=Target(HOST, 8443, Transport.TLS, tls=TlsOptions(verify=False, alpn=("http/1.1",))),
        events=events,
    )


SMTP_PORT = 40025
SMTP_GREETING = b"220 lab.sockscope.test ESMTP sockscope-lab ready\r\n"
SMTP_EHLO_REPLY = (
    b"250-lab.sockscope.test greets sockscope.local\r\n"
    b"250-SIZE 1048576\r\n"
    b"250-8BITMIME\r\n"
    b"250 HELP\r\n"
)


def smtp_session_exchange() -> Exchange:
    """A persistent session held by hand: the greeting, EHLO, QUIT, then Close."""
    ehlo, quit_ = b"EHLO sockscope.local\r\n", b"QUIT\r\n"
    bye = b"221 lab.sockscope.test closing connection\r\n"

    def said(kind: EventType, t: float, data: bytes, turn: int) -> Event:
        return Event(kind, t, data, len(data), detail={"turn": turn})

    events = [
        Event(EventType.RESOLVE, 0.00011, detail={"addresses": [HOST]}),
        Event(
            EventType.CONNECT,
            0.00035,
            detail={"peer": f"{HOST}:{SMTP_PORT}", "local": f"{HOST}:51002"},
        ),
        said(EventType.RECV, 0.0012, SMTP_GREETING, 0),
        said(EventType.SEND, 4.2031, ehlo, 1),
        said(EventType.RECV, 4.2040, SMTP_EHLO_REPLY, 1),
        said(EventType.SEND, 9.8102, quit_, 2),
        said(EventType.RECV, 9.8109, bye, 2),
        Event(EventType.CLOSE, 12.5003),
    ]
    received = len(SMTP_GREETING) + len(SMTP_EHLO_REPLY) + len(bye)
    return Exchange(
        target=Target(HOST, SMTP_PORT, Transport.TCP),
        request=ehlo + quit_,
        policy=ReadPolicy(idle_timeout=2.0),
        events=events,
        stop=StopReason.PEER_CLOSED,
        stop_message=(
            f"you closed the connection ({len(ehlo + quit_)} bytes sent, {received} bytes received)"
        ),
        started_at=STARTED,
        template="smtp",
    )


def _step(index: int, ok: bool, message: str, sent: int = 0, received: int = 0) -> dict:
    return {
        "message": f"step {index} {'ok' if ok else 'failed'}: {message}",
        "step": {
            "index": index,
            "kind": "expect",
            "ok": ok,
            "message": message,
            "sent": sent,
            "received": received,
        },
    }


def failed_dialogue_exchange(server_text: bytes = b"5.5.1 Error: need MAIL command") -> Exchange:
    """A user dialogue whose third step expected 250 to RCPT and got the lab's 503."""
    ehlo, rcpt = b"EHLO 127.0.0.1\r\n", b"RCPT TO:<bob@example.org>\r\n"
    refusal = b"503 " + server_text + b"\r\n"
    got = refusal.rstrip(b"\r\n").decode("utf-8", "replace")
    events = [
        Event(EventType.RESOLVE, 0.00011, detail={"addresses": [HOST]}),
        Event(
            EventType.CONNECT,
            0.00035,
            detail={"peer": f"{HOST}:{SMTP_PORT}", "local": f"{HOST}:51003"},
        ),
        Event(EventType.RECV, 0.0011, SMTP_GREETING, len(SMTP_GREETING)),
        Event(
            EventType.INFO,
            0.0012,
            detail=_step(1, True, "220 after connecting", 0, len(SMTP_GREETING)),
        ),
        Event(EventType.SEND, 0.0013, ehlo, len(ehlo)),
        Event(EventType.RECV, 0.0019, SMTP_EHLO_REPLY, len(SMTP_EHLO_REPLY)),
        Event(
            EventType.INFO,
            0.0020,
            detail=_step(2, True, "250 after EHLO 127.0.0.1", 16, len(SMTP_EHLO_REPLY)),
        ),
        Event(EventType.SEND, 0.0021, rcpt, len(rcpt)),
        Event(EventType.RECV, 0.0026, refusal, len(refusal)),
        Event(
            EventType.INFO,
            0.0027,
            detail=_step(
                3,
                False,
                f"expected 250 after RCPT TO:<bob@example.org>, got {got}",
                len(rcpt),
                len(refusal),
            ),
        ),
        Event(EventType.CLOSE, 0.0029),
    ]
    return Exchange(
        target=Target(HOST, SMTP_PORT, Transport.TCP),
        request=ehlo + rcpt + b"QUIT\r\n",
        events=events,
        stop=StopReason.EXPECTATION,
        stop_message=f"step 3 failed: expected 250 after RCPT TO:<bob@example.org>, got {got}",
        started_at=STARTED,
        template="smtp-dialogue",
    )


def http_bytes_exchange(n: int) -> Exchange:
    """GET /bytes?n=N from the lab: the pages a comparison tells apart."""
    body = bytes(33 + i % 94 for i in range(n))
    request = f"GET /bytes?n={n} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nConnection: close\r\n\r\n"
    reply = (
        b"HTTP/1.1 200 OK\r\n"
        b"Server: sockscope-lab\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Length: " + str(n).encode() + b"\r\n"
        b"Connection: close\r\n"
        b"\r\n" + body
    )
    events = _tcp_events(request.encode(), reply)
    return Exchange(
        target=Target(HOST, PORT, Transport.TCP),
        request=request.encode(),
        events=events,
        stop=StopReason.PEER_CLOSED,
        stop_message=f"server finished sending (EOF) after {len(reply)} bytes",
        started_at=STARTED,
        template="http-get",
    )
