"""The TLS options that `send` and `connect` share: their flags and their checks."""

from __future__ import annotations

import argparse
from pathlib import Path

from sockscope.core.fields import FieldError
from sockscope.core.model import TlsOptions
from sockscope.core.sanitize import sanitize


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    tls = parser.add_argument_group("TLS")
    tls.add_argument("-k", "--insecure", action="store_true", help="do not verify the certificate")
    tls.add_argument("--ca-file", metavar="PEM", help="trust the CA certificates in this file")
    tls.add_argument("--sni", metavar="NAME", help="server name to send and verify")
    tls.add_argument("--alpn", metavar="LIST", help="ALPN protocols, comma-separated (h2,http/1.1)")
    tls.add_argument(
        "--cert", metavar="PEM", help="client certificate for mutual TLS (may hold the key too)"
    )
    tls.add_argument("--key", metavar="PEM", help="the client certificate's private key")
    tls.add_argument(
        "--keylog",
        metavar="FILE",
        help="append the TLS secrets to FILE in the NSS key log format, for Wireshark "
        "(default: $SSLKEYLOGFILE when set)",
    )


def tls_options(args: argparse.Namespace) -> TlsOptions:
    """The TLS options the flags give; FieldError names the flag that is wrong."""
    if args.ca_file and not Path(args.ca_file).is_file():
        raise FieldError("--ca-file", f"{sanitize(args.ca_file)} is not a readable file")
    if args.key and not args.cert:
        raise FieldError("--key", "needs --cert, the certificate the key belongs to")
    from sockscope.engine.tlsinfo import client_certificate_problem, keylog_problem

    for flag, path in (("--cert", args.cert), ("--key", args.key)):
        if path and not Path(path).is_file():
            raise FieldError(flag, f"{sanitize(path)} is not a readable file")
    if args.cert:
        problem = client_certificate_problem(args.cert, args.key)
        if problem is not None:
            raise FieldError("--key" if args.key else "--cert", problem)
    if args.keylog:
        problem = keylog_problem(args.keylog)
        if problem is not None:
            raise FieldError("--keylog", f"{sanitize(args.keylog)}: {problem}")
    return TlsOptions(
        verify=not args.insecure,
        server_name=args.sni,
        alpn=tuple(a.strip() for a in args.alpn.split(",") if a.strip()) if args.alpn else (),
        ca_file=args.ca_file,
        cert_file=args.cert,
        key_file=args.key,
        keylog_file=args.keylog,
    )
