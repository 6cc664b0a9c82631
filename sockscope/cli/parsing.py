"""Argument parsers for each sub-command, with one-line errors instead of usage dumps."""

from __future__ import annotations

import argparse
import os
import sys

from sockscope import __version__
from sockscope.core.transport import Transport

# `sockscope --help` loads no more than it prints: not even `typing`, which costs a
# tenth of the interpreter's start (type checkers treat any TYPE_CHECKING as True).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

# Each sub-command and the line `sockscope --help` gives it.
SUBCOMMANDS = {
    "send": "send exact bytes once and print what came back",
    "connect": "talk line by line, as with telnet or ncat, with line editing and history",
    "listen": "be the server: accept clients, show their bytes, reply",
    "relay": "stand between a client and a server, showing both directions",
    "lab": "serve the classic loopback lab services (add --hostile for the hostile ones)",
    "templates": "list the request templates, built-in and your own",
    "open": "show a saved transcript",
    "compare": "compare two saved transcripts",
    "export": "turn a saved transcript into a script, shell command or pcap",
}

TRANSPORTS = [t.value for t in Transport]


class UsageError(Exception):
    """Bad input: shown as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")

    def _parse_optional(self, arg_string: str) -> Any:
        # argparse takes a negative number for an option once a parser has an option
        # that looks like one (-4, -6), so `--deadline -1` failed with "expected one
        # argument": a negative number that is no option of ours is a value, which the
        # option's own check then refuses with its valid range.
        negative = self._negative_number_matcher.match(arg_string)
        if negative and arg_string not in self._option_string_actions:
            return None
        return super()._parse_optional(arg_string)


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, as wide as the terminal as argparse makes it, but measured
    without `shutil`: every parser builds formatters, and shutil's compression modules
    cost a command's start more than its whole argument parsing."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        columns = width if width is not None else _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, columns)


class _RawDescriptionFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """The description and epilog as written (the sub-command list of `--help`)."""


def _terminal_columns() -> int:
    """The width `shutil.get_terminal_size` gives: $COLUMNS, else stdout's terminal, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (stdout and os.get_terminal_size(stdout.fileno()).columns) or 80
    except (ValueError, OSError):
        return 80


def build_parser(command: str) -> argparse.ArgumentParser:
    # Only the command's own parser is built, and each imports what only it needs
    # inside it: `sockscope --help` builds the explorer's alone.
    return {
        "explore": _explore_parser,
        "send": _send_parser,
        "connect": _connect_parser,
        "lab": _lab_parser,
        "templates": _templates_parser,
        "export": _export_parser,
        "listen": _listen_parser,
        "relay": _relay_parser,
        "compare": _compare_parser,
        "open": _open_parser,
    }[command]()


def _explore_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sockscope",
        description=(
            "A terminal packet-conversation explorer. With no HOST it starts its own "
            "loopback lab servers and opens on the lab's HTTP service."
        ),
        epilog="sub-commands (sockscope COMMAND --help for each):\n"
        + "\n".join(f"  {name:<10} {summary}" for name, summary in SUBCOMMANDS.items()),
        formatter_class=_RawDescriptionFormatter,
    )
    p.add_argument("--version", action="version", version=f"sockscope {__version__}")
    p.add_argument("host", nargs="?", help="host name, address, or Unix socket path")
    p.add_argument("port", nargs="?", help="port, 1-65535 (default: the template's)")
    p.add_argument("-T", "--template", help="request template (see `sockscope templates`)")
    p.add_argument("-t", "--transport", choices=TRANSPORTS)
    return p


def _send_parser() -> argparse.ArgumentParser:
    from sockscope.cli.data_file import MAX_DATA_FILE

    p = _Parser(
        prog="sockscope send",
        description=(
            "Send exact bytes, read the reply, and print the sent bytes, the received "
            "repr, the decoded text, the parsed headers and the timeline."
        ),
        epilog=(
            "Payload syntax: \\r \\n \\t \\0 \\\\ \\xNN escapes; a literal newline is LF. "
            "Exit status: 0 the exchange ran (whatever stopped it), 1 a network error "
            "ended it, 2 bad input, 3 a step of a multi-step template (-T smtp-dialogue) "
            "did not get the reply it expected."
        ),
    )
    p.add_argument("host", nargs="?", help="host name or address (or use --unix PATH)")
    p.add_argument("port", nargs="?", help="port, 1-65535 (default: the template's)")
    what = p.add_argument_group("what to send")
    what.add_argument("-T", "--template", help="request template (see `sockscope templates`)")
    data = what.add_mutually_exclusive_group()
    data.add_argument("-d", "--data", help="the payload, with escapes such as \\r\\n")
    data.add_argument("-x", "--hex", help="the payload as hex: '48 65 6c', '48:65', '0x48,0x65'")
    data.add_argument(
        "--data-file",
        metavar="FILE",
        help=f"send this file's bytes (- for stdin): at most {MAX_DATA_FILE // 2**20} MiB, "
        "read until its end within --deadline",
    )
    what.add_argument("--crlf", action="store_true", help="turn bare LF into CRLF before sending")
    what.add_argument("--path", help="the {path} of HTTP and Gopher templates (default /)")
    what.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill the template placeholder {NAME}",
    )
    add_where_arguments(p)
    add_tls_arguments(p)
    read = p.add_argument_group("when to stop reading (whichever comes first)")
    read.add_argument("--timeout", metavar="S", help="connect timeout in seconds (default 10)")
    read.add_argument("--idle", metavar="S", help="stop after S seconds with no data (default 2)")
    read.add_argument("--deadline", metavar="S", help="stop S seconds after the start (default 30)")
    read.add_argument("--until", metavar="TEXT", help="stop once this text (escapes ok) arrives")
    read.add_argument("--max-bytes", metavar="N", help="stop after N bytes (4096, 64k, 8M)")
    read.add_argument(
        "--capture-limit", metavar="N", help="bytes kept for display (default 8M; 16k, 1G...)"
    )
    read.add_argument("--half-close", action="store_true", help="shutdown(SHUT_WR) after sending")
    out = p.add_argument_group("output")
    out.add_argument("-e", "--encoding", default="utf-8", help="decoding for the text view")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument(
        "-o", "--output", metavar="FILE", help="write the received bytes raw to FILE (any size)"
    )
    out.add_argument(
        "--capture-file",
        metavar="FILE",
        help="keep reading past --capture-limit and stream every received byte to FILE; "
        "the report still shows the bytes kept",
    )
    out.add_argument("--full", action="store_true", help="print whole views, however long")
    out.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="at a terminal, show nothing until the report: no rows as they happen, no "
        "progress line for -o/--capture-file",
    )
    out.add_argument(
        "--diagram",
        action="store_true",
        help="after the report, draw the exchange as a sequence diagram",
    )
    _diagram_shape(out)
    out.add_argument(
        "--explain",
        action="store_true",
        help="a sentence under each step saying what the socket call did (for learners)",
    )
    out.add_argument(
        "--save",
        metavar="FILE",
        help="also write the exchange to FILE as a JSON transcript (see sockscope export)",
    )
    return p


def _connect_parser() -> argparse.ArgumentParser:
    from sockscope.cli.connect import add_connect_arguments

    p = _Parser(
        prog="sockscope connect",
        description=(
            "Talk to a server line by line: each line you type goes out with CRLF, what "
            "the server sends appears as it arrives, with its time and size. Lines that "
            "start with : are commands (:help lists them). Ctrl-D half-closes and waits "
            "for the server to finish; Ctrl-C ends. With standard input not a terminal, "
            "its lines are sent one by one."
        ),
    )
    add_connect_arguments(p)
    return p


def _lab_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sockscope lab",
        description="Serve the lab's classic services on loopback until Ctrl-C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--port-base",
        type=_port_base,
        default=None,
        help="serve at fixed ports from this base (echo at BASE+7, http at BASE+80...); "
        "default: ports the OS picks",
    )
    p.add_argument("--json", action="store_true", help="first line: {service: {transport: port}}")
    p.add_argument(
        "--hostile",
        action="store_true",
        help="also serve every hostile case (servers that misbehave on purpose), one port each",
    )
    return p


def _templates_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sockscope templates", description="List the request templates.")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.add_argument("--show", metavar="NAME", help="print one template's request bytes")
    return p


def _export_parser() -> argparse.ArgumentParser:
    from sockscope.export import FORMATS

    p = _Parser(
        prog="sockscope export",
        description=(
            "Turn a saved exchange (sockscope send --save FILE, or --json output) into "
            "something to run or open elsewhere."
        ),
        epilog=(
            "Formats: python (a standard-library script that replays it), json (the "
            "transcript), ncat, socat, curl (a shell command line; curl only for one plain "
            "HTTP/1.x request), pcap (a capture file for Wireshark; needs -o or a redirect), "
            "diagram (a sequence diagram as text; as SVG with -o FILE.svg), diagram-svg."
        ),
    )
    p.add_argument("file", metavar="FILE", help="a transcript written by sockscope send --save")
    p.add_argument("-f", "--format", required=True, choices=FORMATS)
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    _diagram_shape(p)
    return p


def _diagram_shape(p: argparse._ActionsContainer) -> None:
    """The two switches that shape a sequence diagram (send --diagram, export -f diagram)."""
    p.add_argument(
        "--by-turn", action="store_true", help="diagram: one arrow per turn, not per send and recv"
    )
    p.add_argument(
        "--to-scale", action="store_true", help="diagram: space the arrows by the time between them"
    )


def _listen_parser() -> argparse.ArgumentParser:
    from sockscope.core.responders import REPLY_TEMPLATES

    templates = "; ".join(f"{name}: {title}" for name, (title, _) in REPLY_TEMPLATES.items())
    p = _Parser(
        prog="sockscope listen",
        usage="sockscope listen [HOST] PORT [PORT...] | --transport unix PATH [options]",
        description=(
            "Be the server: accept clients and print what each one really sends (hex, "
            "repr, decoded, the parsed request) and the timeline. HOST defaults to "
            "127.0.0.1; any other address only when named. PORT 0 lets the OS pick."
        ),
        epilog=(
            f"Reply templates: {templates}. A fixed reply is sent once the client's first "
            "bytes arrive, then we close our side. With --max-clients conversations open, new "
            "connections wait in the backlog until one ends (over udp their datagrams are "
            "dropped), with a note. --capture-limit holds for what clients send and for our "
            "replies alike; the rest is counted."
        ),
    )
    p.add_argument("first", nargs="?", metavar="HOST", help="address to bind (default 127.0.0.1)")
    p.add_argument("second", nargs="?", metavar="PORT", help="port, or 0; PATH for unix")
    p.add_argument("more", nargs="*", metavar="PORT", help="more ports, one listener each")
    p.add_argument("-t", "--transport", choices=["tcp", "udp", "tls", "unix"])
    reply = p.add_mutually_exclusive_group()
    reply.add_argument(
        "--reply-template",
        metavar="NAME",
        help="answer with a reply template, or a server template file (FILE.toml)",
    )
    reply.add_argument("--reply", metavar="TEXT", help="a fixed reply, with escapes such as \\r\\n")
    reply.add_argument("--reply-hex", metavar="HEX", help="a fixed reply as hex")
    p.add_argument(
        "--on",
        action="append",
        default=[],
        metavar="PATTERN=REPLY",
        help="reply REPLY when PATTERN (a regular expression) matches what the client sent "
        "since our last reply; repeatable, the first match wins",
    )
    p.add_argument("--default-reply", metavar="TEXT", help="when no --on pattern matches a line")
    p.add_argument("--max-clients", default="100", metavar="N", help="open conversations (100)")
    p.add_argument(
        "--capture-limit", default="1M", metavar="N", help="bytes kept per client, each way (1M)"
    )
    p.add_argument(
        "--count", type=conversation_count, metavar="N", help="stop after N conversations"
    )
    p.add_argument("--linger", default="2", metavar="S", help="after our last reply (2 s)")
    p.add_argument(
        "--idle", metavar="S", help="close a client when nothing moved for S seconds (30; udp: 5)"
    )
    tls = p.add_argument_group("TLS (--transport tls)")
    tls.add_argument("--cert", metavar="PEM", help="certificate chain (default: made at start)")
    tls.add_argument("--key", metavar="PEM", help="private key, if not in the --cert file")
    tls.add_argument("--alpn", default="http/1.1", metavar="LIST", help="offered (http/1.1)")
    out = p.add_argument_group("output")
    out.add_argument("-e", "--encoding", default="utf-8", help="decoding for the text view")
    out.add_argument("--json", action="store_true", help="one JSON object per line")
    out.add_argument("--full", action="store_true", help="print whole views, however long")
    out.add_argument(
        "--app",
        action="store_true",
        help="watch the clients in the explorer's Listen screen instead of printing them",
    )
    return p


def _relay_parser() -> argparse.ArgumentParser:
    from sockscope.cli.relay_plan import relay_parser

    return relay_parser(_Parser)


def _compare_parser() -> argparse.ArgumentParser:
    from sockscope.core.compare import MAX_LINES, MAX_STEPS

    p = _Parser(
        prog="sockscope compare",
        description="Compare two saved exchanges: the bytes sent, the bytes received "
        "and the HTTP headers, with the differences marked.",
        epilog=f"The first {MAX_LINES:,} lines of each side are compared, aligned line by "
        f"line up to {MAX_STEPS:,} steps of work and paired position by position past "
        "that; the output names either bound when it is hit.",
    )
    p.add_argument("left", metavar="A.json", help="a transcript (send --save or --json)")
    p.add_argument("right", metavar="B.json", help="another transcript")
    p.add_argument("--all", action="store_true", help="show identical lines too")
    return p


def conversation_count(text: str) -> int:
    """`--count`'s number of conversations: a whole number from 1."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1")
    return int(text)


def _port_base(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535 - 1000:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number from 1 to 64535")
    return int(text)


def _open_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sockscope open",
        description=(
            "Open the explorer on saved transcripts (sockscope send --save, or f3 in the "
            "explorer), each in the history; the last one is shown."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="a transcript to open")
    p.add_argument(
        "--play",
        action="store_true",
        help="play the (last) exchange back at its recorded pace: space plays, arrows step",
    )
    return p


def add_where_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to, beyond host and port: the transport, a Unix path, the address family."""
    where = parser.add_argument_group("where to")
    where.add_argument("-t", "--transport", choices=TRANSPORTS)
    where.add_argument("--unix", metavar="PATH", help="a Unix socket path (transport unix)")
    family = where.add_mutually_exclusive_group()
    family.add_argument("-4", dest="family", action="store_const", const=4, help="IPv4 only")
    family.add_argument("-6", dest="family", action="store_const", const=6, help="IPv6 only")


def where_host(args: argparse.Namespace, transport: Transport, example: str) -> str:
    """The checked Unix path (--unix, or HOST) or HOST that `add_where_arguments` and the
    host argument name; FieldError names what is missing, with `example` of a command."""
    from sockscope.core.fields import FieldError, check_host, check_unix_path

    if transport.is_unix:
        path = args.unix or args.host
        if not path:
            raise FieldError("--unix", "give the socket path, e.g. --unix /run/app.sock")
        return check_unix_path(path, "--unix")
    if args.host is None:
        raise FieldError("HOST", f"missing; e.g. {example}")
    return check_host(args.host, "HOST")


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """The TLS flags that `send` and `connect` share (`cli.tls_args` checks them)."""
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
