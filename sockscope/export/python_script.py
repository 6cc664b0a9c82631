"""A runnable Python script that replays an exchange with `socket` and `ssl` alone.

The script is a teaching artifact in the style of the classic socket tutorials: one
connect, `sendall` for each request, a `recv` loop that prints each chunk's repr. Every
value taken from the exchange (host, path, bytes) enters the script through `repr()`,
so a transcript cannot smuggle code or comment text into it.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass

from sockscope.core.model import EventType, Exchange, Target, Transport
from sockscope.export.dialogue import Receive, Send, StartTls, steps

_LITERAL_WIDTH = 48  # bytes per line of a long bytes literal, so it stays on screen

_FAMILIES = {0: "socket.AF_UNSPEC", 4: "socket.AF_INET", 6: "socket.AF_INET6"}


def to_python(exchange: Exchange) -> str:
    return "\n".join(_script(exchange)) + "\n"


@dataclass(frozen=True)
class Script:
    """The script as lines, and for each event of the exchange the index of the line
    whose call made it (the code view marks it while the exchange plays back)."""

    lines: tuple[str, ...]
    line_of_event: dict[int, int]


# The line of each call, as the functions below write it (stripped of its indent).
_CALLS: dict[EventType, tuple[str, ...]] = {
    EventType.RESOLVE: ("sock = socket.create_connection(", "family, kind, proto, _, address"),
    EventType.CONNECT: ("sock = socket.create_connection(", "sock.connect("),
    EventType.TLS: ("sock = context.wrap_socket(",),
    EventType.SEND: ("sock.sendall(", "sock.send("),
    EventType.RECV: ("chunk = sock.recv(", "datagram = sock.recv("),
    EventType.SHUTDOWN: ("sock.shutdown(socket.SHUT_WR)",),
    EventType.CLOSE: ("with sock:",),
}


def python_script(exchange: Exchange) -> Script:
    """`to_python`'s script with the line each event maps to: the k-th send to the k-th
    `sendall()`, every recv to the `recv()` in the loop, connect, the TLS handshake,
    `shutdown()` and the close at the end of the `with` block."""
    lines = _script(exchange)
    found: dict[EventType, list[int]] = {kind: [] for kind in _CALLS}
    for number, line in enumerate(lines):
        text = line.strip()
        for kind, starts in _CALLS.items():
            if text.startswith(starts):
                found[kind].append(number)
    mapping: dict[int, int] = {}
    sends = 0
    for index, event in enumerate(exchange.events):
        places = found.get(event.type, [])
        if event.type is EventType.SEND:
            sends += 1
            places = places[sends - 1 : sends]
        if places:
            mapping[index] = places[0]
    return Script(tuple(lines), mapping)


def _script(exchange: Exchange) -> list[str]:
    target, policy = exchange.target, exchange.policy
    datagram = target.transport.is_datagram
    tls = _uses_tls(exchange)
    # A timeout only when the original had one: None makes recv() wait for the close.
    idle = policy.idle_timeout if policy.idle_timeout is not None else policy.deadline
    lines = [
        "#!/usr/bin/env python3",
        f'"""Replay a conversation recorded by sockscope ({target.transport.value}).',
        "",
        "Standard library only: run it with python3. It connects the way sockscope did,",
        "sends the same bytes in the same order and prints the repr of every reply chunk.",
        '"""',
        "",
        "import socket",
        *(["import ssl"] if tls else []),
        "",
        *_constants(exchange, idle),
        "",
        "",
        *(_datagram_receiver() if datagram else _stream_receiver(policy.delimiter)),
        "",
        "",
        *_connect(target),
        "# From here on the timeout applies to each recv(): it is the idle timeout.",
        "sock.settimeout(IDLE_TIMEOUT)",
        "with sock:",
        *_conversation(exchange),
        'print(f"received {len(total)} bytes in total")',
    ]
    return lines


def _uses_tls(exchange: Exchange) -> bool:
    """TLS from the start, or a plain connection upgraded with STARTTLS."""
    return exchange.target.transport is Transport.TLS or any(
        isinstance(step, StartTls) for step in steps(exchange)
    )


def _constants(exchange: Exchange, idle: float | None) -> list[str]:
    target, policy = exchange.target, exchange.policy
    host = _bare(target.host)
    if target.transport.is_unix:
        out = [f"PATH = {target.host!r}  # the Unix socket's file"]
    else:
        out = [f"HOST = {host!r}", f"PORT = {target.port!r}"]
    if _uses_tls(exchange):
        name = target.tls.server_name or host
        out.append(f"SERVER_NAME = {name!r}  # sent in the handshake (SNI) and checked")
        if target.tls.verify and target.tls.ca_file:
            out.append(f"CA_FILE = {target.tls.ca_file!r}  # the CA that signed its certificate")
    if not target.transport.is_datagram or target.transport.is_unix:
        out.append(f"CONNECT_TIMEOUT = {policy.connect_timeout!r}  # seconds")
    out.append(f"IDLE_TIMEOUT = {idle!r}  # seconds without data before we stop reading")
    if policy.delimiter is not None and not target.transport.is_datagram:
        out.append(f"UNTIL = {policy.delimiter!r}  # stop reading once this has arrived")
    return out


def _bare(host: str) -> str:
    """A bracketed IPv6 literal (`[::1]`) without its brackets, as getaddrinfo wants it;
    any other host as it is."""
    if host.startswith("[") and host.endswith("]"):
        with contextlib.suppress(ValueError):
            ipaddress.IPv6Address(host[1:-1])
            return host[1:-1]
    return host


def _stream_receiver(delimiter: bytes | None) -> list[str]:
    out = [
        "def receive(sock, want=None):",
        '    """Print reply chunks until the server closes, nothing comes for IDLE_TIMEOUT',
        '    seconds, or `want` bytes have arrived. Return the bytes received."""',
        '    received = b""',
        "    while want is None or len(received) < want:",
        "        try:",
        "            # recv() waits for some bytes and returns at most 65536 of them. TCP is a",
        "            # stream: one reply may come in several chunks, or two replies in one.",
        "            chunk = sock.recv(65536)",
        "        except socket.timeout:",
        '            print(f"(nothing for {IDLE_TIMEOUT} seconds: stop reading)")',
        "            break",
        "        if not chunk:",
        "            # An empty read means the server closed its side: nothing more will come.",
        "            break",
        "        print(repr(chunk))",
        "        received += chunk",
    ]
    if delimiter is not None:
        out += ["        if UNTIL in received:", "            break"]
    return [*out, "    return received"]


def _datagram_receiver() -> list[str]:
    return [
        "def receive(sock, count=None):",
        '    """Print datagrams until `count` have arrived or none comes for IDLE_TIMEOUT',
        '    seconds. Return their bytes joined."""',
        '    received = b""',
        "    datagrams = 0",
        "    while count is None or datagrams < count:",
        "        try:",
        "            # Each recv() returns exactly one datagram, even an empty one.",
        "            datagram = sock.recv(65535)",
        "        except socket.timeout:",
        '            print(f"(nothing for {IDLE_TIMEOUT} seconds: stop reading)")',
        "            break",
        "        print(repr(datagram))",
        "        received += datagram",
        "        datagrams += 1",
        "    return received",
    ]


def _connect(target: Target) -> list[str]:
    transport = target.transport
    if transport.is_unix:
        kind = "SOCK_DGRAM" if transport.is_datagram else "SOCK_STREAM"
        out = [f"sock = socket.socket(socket.AF_UNIX, socket.{kind})"]
        if transport.is_datagram:
            out += [
                "# An unbound datagram socket has no address to reply to; binding to the",
                "# empty name asks Linux for an automatic (abstract) one.",
                'sock.bind("")',
            ]
        return [*out, "sock.settimeout(CONNECT_TIMEOUT)", "sock.connect(PATH)"]
    if transport.is_datagram:
        return [
            "# UDP has no connection: connect() picks where send() goes and keeps out",
            "# datagrams from anyone else.",
            *_resolve(target.family, "SOCK_DGRAM"),
            "sock.connect(address)",
        ]
    if target.family:
        out = [
            f"# sockscope was limited to IPv{target.family}: look up only those addresses.",
            *_resolve(target.family, "SOCK_STREAM"),
            "sock.settimeout(CONNECT_TIMEOUT)",
            "sock.connect(address)",
        ]
    else:
        out = [
            "# create_connection() looks HOST up and tries each address until one connects",
            "# (the TCP three-way handshake happens here).",
            "sock = socket.create_connection((HOST, PORT), timeout=CONNECT_TIMEOUT)",
        ]
    return out + (_tls(target) if transport is Transport.TLS else [])


def _resolve(family: int, kind: str) -> list[str]:
    return [
        "family, kind, proto, _, address = socket.getaddrinfo(",
        f"    HOST, PORT, {_FAMILIES[family]}, socket.{kind}",
        ")[0]",
        "sock = socket.socket(family, kind, proto)",
    ]


def _tls(target: Target) -> list[str]:
    options = target.tls
    if options.verify:
        cafile = "cafile=CA_FILE" if options.ca_file else ""
        out = [
            "# A default context checks the certificate chain and that it names SERVER_NAME.",
            f"context = ssl.create_default_context({cafile})",
        ]
    else:
        out = [
            "# sockscope ran without certificate checks (--insecure): anyone in the middle",
            "# could read this. Fine for a lab, never for real secrets.",
            "context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
            "context.check_hostname = False",
            "context.verify_mode = ssl.CERT_NONE",
        ]
    if options.alpn:
        out += [
            "# ALPN: the application protocols offered, in order of preference.",
            f"context.set_alpn_protocols({list(options.alpn)!r})",
        ]
    return [
        *out,
        "# wrap_socket() runs the TLS handshake; after it, send and recv are encrypted.",
        "sock = context.wrap_socket(sock, server_hostname=SERVER_NAME)",
    ]


def _conversation(exchange: Exchange) -> list[str]:
    transport, policy = exchange.target.transport, exchange.policy
    datagram = transport.is_datagram
    out: list[str] = ['    total = b""']
    explained_send = False
    for step in steps(exchange):
        if isinstance(step, Receive):
            if datagram:
                out.append(f"    total += receive(sock, count={step.datagrams})")
            else:
                out.append(f"    # Wait for the {step.size} bytes that came here the first time.")
                out.append(f"    total += receive(sock, want={step.size})")
            continue
        if isinstance(step, StartTls):
            out += [
                "    # The server said go ahead: the TLS handshake starts on this same connection.",
                *(f"    {line}" for line in _tls(exchange.target)),
            ]
            continue
        assert isinstance(step, Send)
        if not explained_send:
            out.append(
                "    # send() sends one datagram: the bytes arrive together or not at all."
                if datagram
                else "    # sendall() calls send() until every byte is handed to the kernel."
            )
            explained_send = True
        out += _call("send" if datagram else "sendall", step.data)
    if policy.half_close and transport in (Transport.TCP, Transport.UNIX):
        out += [
            "    # Half-close: tell the server nothing more is coming; its reply can still arrive.",
            "    sock.shutdown(socket.SHUT_WR)",
        ]
    if datagram:
        count = "count=1" if policy.first_datagram else ""
        out.append(f"    total += receive(sock{', ' if count else ''}{count})")
    elif policy.max_bytes is not None:
        out.append(f"    total += receive(sock, want={policy.max_bytes})")
    else:
        out.append("    total += receive(sock)")
    return out


def _call(method: str, data: bytes) -> list[str]:
    pieces = _literal_pieces(data)
    if len(pieces) == 1:
        return [f"    sock.{method}({pieces[0]})"]
    return [f"    sock.{method}(", *(f"        {piece}" for piece in pieces), "    )"]


def _literal_pieces(data: bytes) -> list[str]:
    """`data` as adjacent bytes literals, one per line of the payload (cut when long)."""
    if not data:
        return ["b''"]
    pieces = []
    start = 0
    while start < len(data):
        newline = data.find(b"\n", start, start + _LITERAL_WIDTH)
        end = newline + 1 if newline >= 0 else min(start + _LITERAL_WIDTH, len(data))
        pieces.append(repr(data[start:end]))
        start = end
    return pieces
