"""The TLS options that `send` and `connect` share: the checks of their flags (which
`cli.parsing` defines)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sockscope.core.fields import FieldError
from sockscope.core.model import TlsOptions
from sockscope.core.sanitize import sanitize


def tls_options(args: argparse.Namespace) -> TlsOptions:
    """The TLS options the flags give; FieldError names the flag that is wrong."""
    if args.ca_file:
        if not Path(args.ca_file).is_file():
            raise FieldError("--ca-file", f"{sanitize(args.ca_file)} is not a readable file")
        from sockscope.engine.tlsinfo import ca_file_problem

        problem = ca_file_problem(args.ca_file)
        if problem is not None:
            raise FieldError("--ca-file", f"{sanitize(args.ca_file)}: {problem}")
    if args.key and not args.cert:
        raise FieldError("--key", "needs --cert, the certificate the key belongs to")
    for flag, path in (("--cert", args.cert), ("--key", args.key)):
        if path and not Path(path).is_file():
            raise FieldError(flag, f"{sanitize(path)} is not a readable file")
    if args.cert:
        # tlsinfo loads ssl (OpenSSL): only a command given a TLS file checks it.
        from sockscope.engine.tlsinfo import client_certificate_problem

        problem = client_certificate_problem(args.cert, args.key)
        if problem is not None:
            raise FieldError("--key" if args.key else "--cert", problem)
    if args.keylog:
        from sockscope.engine.tlsinfo import keylog_problem

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
