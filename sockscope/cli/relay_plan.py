"""`sockscope relay`'s arguments: the parser, and the checks that turn them into a RelayConfig.

Addresses: LISTEN is `PORT`, `HOST:PORT`, `[IPv6]:PORT` or a Unix socket path (`unix:PATH`,
or anything holding a `/`); TARGET is `HOST:PORT`, `[IPv6]:PORT` or a Unix socket path.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockscope.cli.parsing import UsageError, conversation_count
from sockscope.cli.serving import parse_positive
from sockscope.core.fields import (
    FieldError,
    check_host,
    check_unix_path,
    is_loopback,
    parse_port,
    parse_seconds,
    parse_size,
)
from sockscope.core.model import Target, TlsOptions, Transport
from sockscope.core.relay_analysis import RELAY_PROTOCOLS
from sockscope.core.sanitize import sanitize
from sockscope.core.views import check_encoding
from sockscope.engine.listen_udp import UDP_IDLE
from sockscope.engine.listener import MAX_CLIENTS, STREAM_IDLE
from sockscope.engine.relay import RelayConfig


def relay_parser(parser_class: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = parser_class(
        prog="sockscope relay",
        usage="sockscope relay [LISTEN_HOST:]LISTEN_PORT TARGET_HOST:TARGET_PORT [options]",
        description=(
            "Stand between a real client and a real server: accept clients on LISTEN, "
            "connect each one to TARGET, copy bytes both ways, and print each conversation "
            "(both directions on one timeline, each direction parsed). LISTEN_HOST defaults "
            "to 127.0.0.1; PORT 0 lets the OS pick. Either side may be a Unix socket "
            "(unix:PATH, or a path with a /)."
        ),
        epilog=(
            "A side's half-close (EOF) is passed on to the other once its bytes are "
            "delivered, a reset as a reset. A slow reader slows the sender: at most 64 KiB "
            "wait in the relay each way. --capture-limit bytes are kept each way per "
            "connection; the rest is relayed and counted. Over udp every client address is "
            "a conversation, ended by --idle seconds of silence."
        ),
    )
    p.add_argument("listen", metavar="[LISTEN_HOST:]LISTEN_PORT", help="where clients connect")
    p.add_argument("target", metavar="TARGET_HOST:TARGET_PORT", help="the real server")
    p.add_argument("-t", "--transport", choices=["tcp", "tls", "udp"], default="tcp")
    p.add_argument("--max-clients", default=str(MAX_CLIENTS), metavar="N", help="at once (100)")
    p.add_argument(
        "--capture-limit", default="1M", metavar="N", help="bytes kept per connection, each way"
    )
    p.add_argument(
        "--count", type=conversation_count, metavar="N", help="stop after N conversations"
    )
    p.add_argument("--timeout", default="10", metavar="S", help="connect to the target (10 s)")
    p.add_argument(
        "--idle", metavar="S", help="close both sides after S seconds with nothing relayed (30)"
    )
    p.add_argument(
        "--protocol", choices=RELAY_PROTOCOLS, help="parse as this (default: guessed from bytes)"
    )
    tls = p.add_argument_group("TLS (--transport tls)")
    tls.add_argument("--cert", metavar="PEM", help="certificate shown to clients (default: made)")
    tls.add_argument("--key", metavar="PEM", help="its private key, if not in the --cert file")
    tls.add_argument(
        "--alpn", default="http/1.1", metavar="LIST", help="offered both ways (http/1.1)"
    )
    tls.add_argument("-k", "--insecure", action="store_true", help="do not verify the target")
    tls.add_argument("--ca-file", metavar="PEM", help="trust these CAs for the target")
    tls.add_argument("--sni", metavar="NAME", help="server name sent to the target and verified")
    out = p.add_argument_group("output")
    out.add_argument("-e", "--encoding", default="utf-8", help="decoding for the text view")
    out.add_argument("--json", action="store_true", help="one JSON object per line")
    out.add_argument("--full", action="store_true", help="print whole views, however long")
    out.add_argument("--save", metavar="DIR", help="write each conversation's transcript to DIR")
    out.add_argument(
        "--app",
        action="store_true",
        help="watch the connections in the explorer's Relay screen instead of printing them",
    )
    return p


@dataclass(frozen=True)
class RelayPlan:
    config: RelayConfig
    protocol: str | None
    encoding: str
    save: Path | None
    warnings: tuple[str, ...] = ()


def plan_relay(args: argparse.Namespace) -> RelayPlan:
    """Validate every field; a problem raises UsageError naming the field and the fix."""
    try:
        return _plan(args)
    except FieldError as exc:
        raise UsageError(str(exc)) from None


def _is_path(text: str) -> bool:
    return text.startswith("unix:") or "/" in text


def _unix(text: str, field: str) -> str:
    return check_unix_path(text.removeprefix("unix:"), field)


def _host_port(text: str, field: str, *, default_host: str | None) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        if default_host is None:
            raise FieldError(field, f"{sanitize(text)!r} has no port; e.g. 127.0.0.1:8080")
        host = default_host
    if not host:
        raise FieldError(field, f"{sanitize(text)!r} has no host before the ':'")
    if ":" in host and not host.startswith("["):
        raise FieldError(field, "an IPv6 address goes in brackets: [::1]:8080")
    port_number = 0 if port.strip() == "0" and default_host else parse_port(port, field)
    return check_host(host, field), port_number


def _plan(args: argparse.Namespace) -> RelayPlan:
    transport = Transport(args.transport)
    warnings: list[str] = []
    listen_unix = _is_path(args.listen)
    if listen_unix:
        host, port = _unix(args.listen, "LISTEN"), None
    else:
        host, port = _host_port(args.listen, "LISTEN", default_host="127.0.0.1")
        if not is_loopback(host):
            warnings.append(
                f"{sanitize(host)} is not a loopback address: other machines can connect"
            )
    if _is_path(args.target):
        target_host, target_port = _unix(args.target, "TARGET"), None
        target_transport = Transport.UNIX
    else:
        target_host, target_port = _host_port(args.target, "TARGET", default_host=None)
        target_transport = transport
    if transport is not Transport.TCP and (listen_unix or target_port is None):
        raise FieldError("--transport", f"{transport.value} needs host:port on both sides")
    _tls_only(args, transport)
    alpn = tuple(name.strip() for name in args.alpn.split(",") if name.strip())
    if not alpn:
        raise FieldError("--alpn", "is empty; e.g. http/1.1 or h2,http/1.1")
    for flag, name in (("--cert", args.cert), ("--key", args.key), ("--ca-file", args.ca_file)):
        if name and not Path(name).is_file():
            raise FieldError(flag, f"{sanitize(name)} is not a readable file")
    if args.key and not args.cert:
        raise FieldError("--key", "needs --cert (the certificate chain it belongs to)")
    target = Target(
        target_host,
        target_port,
        target_transport,
        tls=TlsOptions(
            verify=not args.insecure, server_name=args.sni, alpn=alpn, ca_file=args.ca_file
        )
        if transport is Transport.TLS
        else TlsOptions(),
    )
    idle_default = UDP_IDLE if transport is Transport.UDP else STREAM_IDLE
    config = RelayConfig(
        target=target,
        host=host,
        port=port,
        listen_unix=listen_unix,
        max_clients=parse_positive(args.max_clients, "--max-clients"),
        capture_limit=parse_size(args.capture_limit, "--capture-limit"),
        cert_file=args.cert,
        key_file=args.key,
        alpn=alpn,
        connect_timeout=parse_seconds(args.timeout, "--timeout"),
        idle_timeout=idle_default if args.idle is None else parse_seconds(args.idle, "--idle"),
    )
    try:
        encoding = check_encoding(args.encoding)
    except ValueError as exc:
        raise FieldError("--encoding", str(exc)) from None
    save = _save_dir(args.save)
    return RelayPlan(config, args.protocol, encoding, save, tuple(warnings))


def _tls_only(args: argparse.Namespace, transport: Transport) -> None:
    if transport is Transport.TLS:
        return
    given = [
        flag
        for flag, value in (
            ("--cert", args.cert),
            ("--key", args.key),
            ("--insecure", args.insecure),
            ("--ca-file", args.ca_file),
            ("--sni", args.sni),
        )
        if value
    ]
    if given:
        raise FieldError(given[0], "is for --transport tls")


def _save_dir(name: str | None) -> Path | None:
    if name is None:
        return None
    path = Path(name)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FieldError("--save", f"cannot use {sanitize(name)}: {exc.strerror}") from None
    if not path.is_dir():
        raise FieldError("--save", f"{sanitize(name)} is not a directory")
    return path
