"""Shell command lines that send an exchange's bytes with ncat, socat or curl.

The bytes come from `printf` with octal escapes (any byte, NUL included, survives) and
every word goes through `shell_words.quote`, so the line reads the same in bash, dash, zsh
and fish, and a hostile transcript cannot run anything in the shell that pastes it. A
field no pasted line can carry alike (a control character in the host...) is refused,
named.
"""

from __future__ import annotations

import re

from sockscope.core.model import Exchange, Target, Transport
from sockscope.export import ExportError
from sockscope.export.curl import curl_command
from sockscope.export.dialogue import sends
from sockscope.export.printf import printf_command
from sockscope.export.shell_words import check_field, join

TOOLS = ("ncat", "socat", "curl")

# Characters with a meaning in socat's address syntax; a value holding one is refused
# rather than escaped, since socat's escaping differs between versions.
_SOCAT_SPECIAL = re.compile(r"[:,!\"'\\()\[\]{}\x00-\x1f\x7f]")


def to_shell(exchange: Exchange, tool: str) -> str:
    """A command line (ending in a newline) for `tool`; ExportError says why not."""
    if tool not in TOOLS:
        raise ExportError(f"unknown tool {tool!r}; one of: {', '.join(TOOLS)}")
    _check_fields(exchange.target)
    if tool == "ncat":
        return _piped(exchange, _ncat(exchange), [])
    if tool == "socat":
        notes = []
        if exchange.target.transport is Transport.TLS and exchange.target.tls.alpn:
            notes.append("socat cannot offer ALPN, and the original offered some protocols.")
        return _piped(exchange, _socat(exchange), notes)
    return curl_command(exchange) + "\n"


def _check_fields(target: Target) -> None:
    """Refuse, by its transcript name, a string field that a pasted line cannot carry."""
    check_field(target.host, "target.host")
    check_field(target.tls.server_name or "", "target.tls.server_name")
    check_field(target.tls.ca_file or "", "target.tls.ca_file")
    for i, protocol in enumerate(target.tls.alpn):
        check_field(protocol, f"target.tls.alpn[{i}]")


def _piped(exchange: Exchange, command: str, notes: list[str]) -> str:
    """`printf ... | command`, after a comment line for each thing it cannot reproduce.

    The comments hold no `;`: zsh reads `#` as a comment only when the option
    interactive_comments is set, and a pasted `# a; b` would run `b` without it.
    """
    data = sends(exchange)
    if len(data) > 1:
        notes.append(
            f"The original waited for replies between its {len(data)} sends, "
            "and this sends them all at once."
        )
    comments = "".join(f"# {note}\n" for note in notes)
    return f"{comments}{printf_command(b''.join(data))} | {command}\n"


def _seconds(value: float) -> str:
    return f"{value:g}"


def _ncat_time(value: float) -> str:
    """ncat's time syntax: "2s", or milliseconds for a fraction ("1500ms")."""
    return f"{value:g}s" if value == int(value) else f"{round(value * 1000)}ms"


def _ncat(exchange: Exchange) -> str:
    target, policy = exchange.target, exchange.policy
    transport = target.transport
    args = ["ncat"]
    if target.family:
        args.append(f"-{target.family}")
    if transport.is_datagram:
        args.append("-u")
    elif not (policy.half_close and transport is not Transport.TLS):
        # By default ncat half-closes when its input ends; sockscope did only if asked.
        args.append("--no-shutdown")
    if policy.idle_timeout is not None:
        args += ["-i", _ncat_time(policy.idle_timeout)]
    if transport is Transport.TLS:
        args += _ncat_tls(target)
    if transport.is_unix:
        args.append("-U")
        where = [target.host]
    else:
        where = [target.host.strip("[]"), str(target.port)]
    if where[0].startswith("-"):
        args.append("--")  # a name that looks like an option must not be read as one
    return join(args + where)


def _ncat_tls(target: Target) -> list[str]:
    options = target.tls
    args = ["--ssl"]
    if options.verify:
        args.append("--ssl-verify")  # ncat does not check certificates unless asked
        if options.ca_file:
            args += ["--ssl-trustfile", options.ca_file]
    if options.server_name:
        args += ["--ssl-servername", options.server_name]
    if options.alpn:
        args += ["--ssl-alpn", ",".join(options.alpn)]
    return args


def _socat(exchange: Exchange) -> str:
    target, policy = exchange.target, exchange.policy
    transport = target.transport
    family = str(target.family) if target.family else ""
    options: list[str] = []
    if transport.is_unix:
        kind = "UNIX-CLIENT" if transport.is_datagram else "UNIX-CONNECT"
        address = f"{kind}:{_socat_value(target.host, 'the socket path')}"
    else:
        host = _socat_host(target.host.strip("[]"))
        kind = {Transport.TCP: "TCP", Transport.UDP: "UDP", Transport.TLS: "OPENSSL"}[transport]
        if transport is Transport.TLS:
            options += _socat_tls(target)
            if family:
                options.append(f"pf=ip{family}")
        else:
            kind += family
        address = f"{kind}:{host}:{target.port}"
    if not transport.is_datagram and not policy.half_close:
        # socat half-closes when its input ends; sockscope did only if asked.
        options.append("shut-none")
    args = ["socat"]
    # -T: stop after this long with no data; -t: after the input ends, how long to wait
    # for the rest of the reply.
    if policy.idle_timeout is not None:
        args += ["-T", _seconds(policy.idle_timeout)]
    args += ["-t", _seconds(policy.deadline if policy.deadline is not None else 30.0)]
    return join([*args, "-", ",".join([address, *options])])


def _socat_tls(target: Target) -> list[str]:
    options = target.tls
    out = []
    if not options.verify:
        out.append("verify=0")
    elif options.ca_file:
        out.append(f"cafile={_socat_value(options.ca_file, 'the CA file path')}")
    name = options.server_name or target.host.strip("[]")
    out.append(f"snihost={_socat_value(name, 'the server name')}")
    if options.verify:
        out.append(f"commonname={_socat_value(name, 'the server name')}")
    return out


def _socat_host(host: str) -> str:
    if ":" in host and re.fullmatch(r"[0-9A-Fa-f:.]+", host):
        return f"[{host}]"  # socat reads an IPv6 literal only in brackets
    return _socat_value(host, "the host")


def _socat_value(value: str, what: str) -> str:
    if _SOCAT_SPECIAL.search(value) or not value:
        raise ExportError(
            f"socat cannot take {what} in its address syntax (it holds one of "
            ":,!\"'\\()[]{} or a control character); use --format ncat"
        )
    return value
