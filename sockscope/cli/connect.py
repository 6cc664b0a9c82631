"""`sockscope connect`: a conversation typed line by line, as with telnet, ncat or rlwrap nc.

One engine Session holds the connection: each line typed (or read from a pipe) is one
send, and whatever the server sends is printed as it arrives, from the session's worker
thread, with its time and size. At a terminal the prompt is prompt_toolkit's, which keeps
the line being typed intact while output arrives above it; anywhere else standard input
is read line by line, so the command works in scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sockscope.cli.parsing import UsageError, add_tls_arguments, add_where_arguments, where_host
from sockscope.cli.tls_args import tls_options
from sockscope.core.fields import (
    FieldError,
    parse_port,
    parse_seconds,
    parse_size,
)
from sockscope.core.model import Event, EventType, Exchange, ReadPolicy, Target, Transport
from sockscope.core.payload import PayloadError, parse_hex, parse_text
from sockscope.core.sanitize import sanitize, sanitize_line
from sockscope.core.telnet import Negotiator, Split, TelnetStream, escape_iac, split_telnet
from sockscope.core.views import check_encoding, decoded_lines, human_bytes, repr_lines
from sockscope.crash import report_crash
from sockscope.engine.session import Session, SessionState

PROMPT = "» "
# After the input ends, how long a quiet server is waited for before closing.
DEFAULT_IDLE = 2.0
TELNET_PORT = 23
# The longest line printed at once; longer ones continue on the next line.
LINE_WIDTH = 256
# What :wait searches: the bytes received since the last match, up to this many.
WAIT_WINDOW = 64 * 1024

HELP = """\
:hex 41 42      send these bytes (hex), with no line ending
:half-close     tell the server nothing more is coming (shutdown SHUT_WR); keep reading
:close          close the connection and end
:reset          reset the connection (the server sees a RST) and end
:starttls       start TLS over this connection (after the server's go-ahead to STARTTLS)
:wait TEXT      wait until TEXT (escapes such as \\r\\n) arrives, for scripts
:save FILE      write the conversation so far to FILE as a JSON transcript
:help           this list
::text          send the line ":text" (a leading : doubled)
Ctrl-D half-closes and waits for the server to finish; Ctrl-C ends."""


def add_connect_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("host", nargs="?", help="host name or address (or use --unix PATH)")
    p.add_argument("port", nargs="?", help="port, 1-65535")
    add_where_arguments(p)
    add_tls_arguments(p)
    lines = p.add_argument_group("lines")
    lines.add_argument("--lf", action="store_true", help="end each line with a bare LF, not CRLF")
    lines.add_argument("--repr", action="store_true", help="show received bytes as Python repr")
    lines.add_argument("-e", "--encoding", default="utf-8", help="decoding of received text")
    telnet = p.add_argument_group("telnet (on by itself for port 23)")
    telnet.add_argument(
        "--telnet",
        action="store_true",
        help="show the server's telnet commands (IAC ...) apart from its text and refuse "
        "every option it asks for",
    )
    telnet.add_argument(
        "--telnet-accept",
        action="store_true",
        help="telnet, agreeing to the common options: the server's ECHO and "
        "SUPPRESS-GO-AHEAD, our TERMINAL-TYPE (dumb) and window size (80x24)",
    )
    telnet.add_argument("--no-telnet", action="store_true", help="port 23 as raw bytes")
    timing = p.add_argument_group("timing")
    timing.add_argument("--timeout", metavar="S", help="connect timeout in seconds (default 10)")
    timing.add_argument(
        "--idle",
        metavar="S",
        help="after the input ends, close once the server has been quiet S seconds "
        f"(default {DEFAULT_IDLE:g})",
    )
    timing.add_argument(
        "--capture-limit", metavar="N", help="bytes kept in the transcript (default 8M)"
    )
    out = p.add_argument_group("recording")
    out.add_argument("--save", metavar="FILE", help="write the conversation to FILE (JSON)")
    out.add_argument(
        "--json",
        action="store_true",
        help="print the transcript as one JSON object at the end (live output goes to stderr)",
    )


@dataclass(frozen=True)
class ConnectPlan:
    target: Target
    policy: ReadPolicy
    line_end: bytes
    telnet: Negotiator | None  # telnet mode: commands shown and answered, IAC escaped
    show_repr: bool
    encoding: str
    idle: float
    save: str | None
    json: bool


def plan_connect(args: argparse.Namespace) -> ConnectPlan:
    """Every field checked before any socket opens; UsageError names the one that is wrong."""
    try:
        return _plan(args)
    except FieldError as exc:
        raise UsageError(str(exc)) from None


def _plan(args: argparse.Namespace) -> ConnectPlan:
    transport = Transport(args.transport) if args.transport else Transport.TCP
    if args.unix:
        transport = transport if transport.is_unix else Transport.UNIX
    host = where_host(args, transport, "sockscope connect 127.0.0.1 6379")
    port = None
    if not transport.is_unix:
        if args.port is None:
            raise FieldError("PORT", "missing; give a port (1-65535)")
        port = parse_port(args.port, "PORT")
    target = Target(host, port, transport, args.family or 0, tls_options(args))
    policy = ReadPolicy()
    if args.timeout is not None:
        policy = replace(policy, connect_timeout=parse_seconds(args.timeout, "--timeout"))
    if args.capture_limit is not None:
        policy = replace(policy, capture_limit=parse_size(args.capture_limit, "--capture-limit"))
    try:
        encoding = check_encoding(args.encoding)
    except ValueError as exc:
        raise FieldError("--encoding", str(exc)) from None
    return ConnectPlan(
        target=target,
        policy=policy,
        line_end=b"\n" if args.lf else b"\r\n",
        telnet=_negotiator(args, port),
        show_repr=args.repr,
        encoding=encoding,
        idle=DEFAULT_IDLE if args.idle is None else parse_seconds(args.idle, "--idle"),
        save=args.save,
        json=args.json,
    )


def _negotiator(args: argparse.Namespace, port: int | None) -> Negotiator | None:
    """Telnet mode: asked for, or port 23; refusing every option unless told otherwise."""
    if args.telnet_accept:
        return Negotiator.accepting_common()
    if args.telnet or (port == TELNET_PORT and not args.no_telnet):
        return Negotiator()
    return None


# ---- what is printed -------------------------------------------------------------------


class Printer:
    """Turns the session's events and states into lines, as they happen. `write` gets
    each line, already sanitised: every byte from the server goes through the decoded
    or repr view, every message through the sanitiser."""

    def __init__(self, write: Callable[[str], None], plan: ConnectPlan) -> None:
        self.write = write
        self.plan = plan
        # An error's hint, said after the state it leads to names the error (state()).
        self._hint = ""

    # Notes and refusals are one line each: a newline in a path they quote is a token.
    def note(self, text: str) -> None:
        self.write("* " + sanitize_line(text))

    def refused(self, text: str) -> None:
        self.write("! " + sanitize_line(text))

    def event(self, event: Event) -> None:
        kind = event.type
        self._say_hint()
        if kind is EventType.RECV:
            self._received(event)
        elif kind is EventType.SEND:
            self.write(f"→ {event.t:.3f} s · {_size(event.size)} sent")
        elif kind is EventType.TLS:
            self._tls(event)
        elif kind is EventType.INFO:
            self.note(str(event.detail.get("message", "")))
        elif kind is EventType.ERROR:
            self._hint = str(event.detail.get("hint") or "")

    def _say_hint(self) -> None:
        if self._hint:
            self.note(f"hint: {self._hint}")
            self._hint = ""

    def _received(self, event: Event, data: bytes | None = None) -> None:
        """The event's header, then `data` (by default its bytes) as lines."""
        self.write(f"← {event.t:.3f} s · {_size(event.size)}")
        data = bytes(event.data) if data is None else data
        if self.plan.show_repr:
            lines = repr_lines(data, LINE_WIDTH)
        else:
            lines = [
                "".join(chunk for chunk, _ in segments)
                for segments in decoded_lines(data, self.plan.encoding, LINE_WIDTH)
            ]
        for line in lines:
            self.write("  " + line)
        if event.size > len(event.data):
            self.write(f"  ({human_bytes(event.size - len(event.data))} past the capture limit)")

    def telnet(self, event: Event, split: Split, direction: str) -> None:
        """A telnet stretch: each command on a line of its own, then the text."""
        for command in split.commands:
            self.write(f"{direction} {sanitize(command.describe())}")
        if event.type is EventType.RECV and (split.text or not split.commands):
            self._received(event, split.text)
        elif event.type is EventType.SEND and split.text:
            self.write(f"→ {event.t:.3f} s · {_size(len(split.text))} sent")

    def _tls(self, event: Event) -> None:
        facts = event.detail
        parts = ["STARTTLS upgrade"] if facts.get("starttls") else []
        parts += [str(facts.get("version") or "TLS"), str(facts.get("cipher") or "")]
        if facts.get("alpn"):
            parts.append(f"ALPN {facts['alpn']}")
        parts.append("verified" if facts.get("verified") else "not verified")
        self.note(" · ".join(p for p in parts if p))

    def state(self, state: SessionState, message: str) -> None:
        if state is not SessionState.CONNECTING:
            self.note(message)
        self._say_hint()


def _size(n: int) -> str:
    return "1 byte" if n == 1 else f"{n:,} bytes"


# ---- the conversation --------------------------------------------------------------------


class Conversation:
    """The session and the lines and commands given to it, from either kind of input."""

    def __init__(self, plan: ConnectPlan, printer: Printer) -> None:
        self.plan = plan
        self.printer = printer
        self.opened = threading.Event()  # open, or ended without opening
        self.ended = threading.Event()
        self.last_activity = time.monotonic()
        self.on_end: list[Callable[[], None]] = []
        self._arrived = threading.Condition()
        self._unmatched = b""  # received since the last :wait matched (its tail)
        self.session = Session(
            plan.target,
            plan.policy,
            on_event=self._event,
            on_state=self._state,
            close_name=":close",
        )
        self._telnet_in = TelnetStream()

    def _event(self, event: Event) -> None:
        self.last_activity = time.monotonic()
        negotiator = self.plan.telnet
        if negotiator is not None and event.type is EventType.RECV:
            split = self._telnet_in.feed(bytes(event.data))
            self.printer.telnet(event, split, "←")
            answer = negotiator.answer(split.commands)
            if answer:
                self.session.send(answer)
        elif negotiator is not None and event.type is EventType.SEND:
            self.printer.telnet(event, split_telnet(bytes(event.data)), "→")
        else:
            self.printer.event(event)
        if event.type is EventType.RECV and event.data:
            with self._arrived:
                self._unmatched = (self._unmatched + event.data)[-WAIT_WINDOW:]
                self._arrived.notify_all()

    def _state(self, state: SessionState, message: str) -> None:
        self.printer.state(state, message)
        if state is not SessionState.CONNECTING:
            self.opened.set()
        if state.ended:
            self.ended.set()
            with self._arrived:
                self._arrived.notify_all()
            for hook in self.on_end:
                hook()

    def start(self) -> bool:
        """Connect and wait for the outcome; True once the connection is open."""
        self.session.connect()
        self.opened.wait()
        return not self.ended.is_set()

    def line(self, text: bytes) -> bool:
        """One line of input (without its line ending); False once it ended the
        conversation (:close, :reset)."""
        if text.startswith(b"::"):
            return self._send(text[1:] + self.plan.line_end)
        if text.startswith(b":"):
            return self._command(text[1:].decode("utf-8", "replace").strip())
        return self._send(text + self.plan.line_end)

    def _send(self, data: bytes) -> bool:
        if self.plan.telnet is not None:
            data = escape_iac(data)
        refusal = self.session.send(data)
        if refusal is not None:
            self.printer.refused(refusal)
        return True

    def _command(self, command: str) -> bool:
        name, _, rest = command.partition(" ")
        rest = rest.strip()
        if name == "hex":
            try:
                data = parse_hex(rest)
            except PayloadError as exc:
                self.printer.refused(f":hex: {exc}")
                return True
            return self._send(data)
        if name == "half-close":
            self._refuse_if(self.session.half_close())
            return True
        if name in ("close", "reset"):
            refusal = self.session.close() if name == "close" else self.session.reset()
            self._refuse_if(refusal)
            return refusal is not None
        if name == "wait":
            self._wait_for(rest)
            return True
        if name == "starttls":
            self._refuse_if(self.session.start_tls())
            return True
        if name == "save":
            self._save(rest)
            return True
        if name == "help":
            for line in HELP.splitlines():
                self.printer.write(line)
            return True
        self.printer.refused(f"unknown command :{name} (:help lists them)")
        return True

    def _wait_for(self, text: str) -> None:
        """Block until `text` arrives (or the connection ends, or the connect timeout
        passes): a script's way to let a reply come before its next line."""
        try:
            wanted = parse_text(text)
        except PayloadError as exc:
            self.printer.refused(f":wait: {exc}")
            return
        if not wanted:
            self.printer.refused(":wait needs the text to wait for, e.g. :wait 220")
            return
        limit = self.plan.policy.connect_timeout
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: wanted in self._unmatched or self.ended.is_set(), timeout=limit
            )
            if wanted in self._unmatched:
                self._unmatched = self._unmatched.split(wanted, 1)[1]
                return
        if not found:
            self.printer.refused(f":wait: {text!r} did not arrive in {limit:g} s")

    def _refuse_if(self, refusal: str | None) -> None:
        if refusal is not None:
            self.printer.refused(refusal)

    def _save(self, path: str) -> None:
        if not path:
            self.printer.refused(":save needs a file name, e.g. :save chat.json")
            return
        from sockscope.export.transcript import TranscriptError, save_transcript

        try:
            save_transcript(self.session.exchange(), path)
        except TranscriptError as exc:
            self.printer.refused(str(exc))
            return
        self.printer.note(f"saved the conversation so far to {path}")

    def finish(self) -> None:
        """The input ended: half-close where the transport can, then wait for the server
        to finish, or to be quiet for the idle time, and close."""
        if self.ended.is_set():
            return
        transport = self.plan.target.transport
        if not transport.is_datagram and transport is not Transport.TLS:
            self.session.half_close()
        self.last_activity = time.monotonic()
        while not self.ended.wait(0.05):
            if self.session.state is SessionState.PEER_CLOSED:
                break  # nothing more can arrive, and we have nothing more to send
            if time.monotonic() - self.last_activity >= self.plan.idle:
                self.printer.note(f"the server was quiet for {self.plan.idle:g} s: closing")
                break
        self.stop()

    def stop(self) -> None:
        """Close (if still open) and wait for the session to end."""
        self.session.close()
        self.session.join()

    def exchange(self) -> Exchange:
        return self.session.exchange()


# ---- the two kinds of input ------------------------------------------------------------


def read_lines(conversation: Conversation, stream: Any) -> None:
    """Lines from a pipe or a file, each without its LF or CRLF, until it ends."""
    for raw in stream:
        if conversation.ended.is_set():
            return
        line = raw[:-1] if raw.endswith(b"\n") else raw
        line = line[:-1] if line.endswith(b"\r") else line
        if not conversation.line(line):
            conversation.session.join()
            return
    conversation.finish()


class _Ended(Exception):
    """The connection ended while the prompt was up."""


def interactive(conversation: Conversation, *, input: Any = None, output: Any = None) -> None:
    """The prompt at a terminal (or prompt_toolkit's test input and output)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from prompt_toolkit.keys import Keys
    from prompt_toolkit.patch_stdout import patch_stdout

    # prompt_toolkit reads `ESC [ 31 m`, typed or pasted unbracketed, as a mouse report,
    # and its own mouse handler raises on it; the prompt takes no mouse.
    keys = KeyBindings()

    @keys.add(Keys.Vt100MouseEvent)
    def _no_mouse(event: KeyPressEvent) -> None:
        del event

    prompt: PromptSession[str] = PromptSession(input=input, output=output, key_bindings=keys)

    def on_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """An error inside prompt_toolkit (at a real terminal its mouse handler can still
        get that report first) is one line, and the prompt goes on: prompt_toolkit's own
        handler printed a traceback and waited for Enter."""
        error = context.get("exception")
        print(report_crash(error) if error else sanitize(str(context.get("message"))))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(on_error)

        def leave() -> None:
            if prompt.app.is_running:
                prompt.app.exit(exception=_Ended())

        def leave_if_ended() -> None:
            if conversation.ended.is_set():
                leave()

        def leave_soon() -> None:
            loop.call_soon_threadsafe(leave)

        conversation.on_end.append(leave_soon)
        with patch_stdout(raw=True):
            while not conversation.ended.is_set():
                try:
                    text = await prompt.prompt_async(
                        PROMPT, pre_run=leave_if_ended, set_exception_handler=False
                    )
                except _Ended:
                    return
                except EOFError:
                    await loop.run_in_executor(None, conversation.finish)
                    return
                except KeyboardInterrupt:
                    await loop.run_in_executor(None, conversation.stop)
                    return
                if not conversation.line(text.encode("utf-8", "surrogateescape")):
                    await loop.run_in_executor(None, conversation.session.join)
                    return

    asyncio.run(run())


# ---- the command ---------------------------------------------------------------------------


def run_connect(args: argparse.Namespace) -> int:
    plan = plan_connect(args)

    def write(line: str) -> None:
        # Looked up at each call: at a terminal, prompt_toolkit swaps in its own stdout.
        print(line, file=sys.stderr if plan.json else sys.stdout, flush=True)

    conversation = Conversation(plan, Printer(write, plan))
    interrupted = False
    try:
        if conversation.start():
            if sys.stdin.isatty() and sys.stdout.isatty():
                interactive(conversation)
            else:
                read_lines(conversation, sys.stdin.buffer)
    except KeyboardInterrupt:
        interrupted = True
    conversation.stop()
    exchange = conversation.exchange()
    problem = _record(exchange, plan)
    if problem is not None:
        raise UsageError(f"--save: {problem}")
    if interrupted:
        return 130
    return 1 if exchange.error is not None else 0


def _record(exchange: Exchange, plan: ConnectPlan) -> str | None:
    """Print the JSON and write the transcript as asked; the problem in words, if any."""
    if plan.json:
        from sockscope.cli.output import print_json
        from sockscope.cli.send import exchange_json
        from sockscope.core.analysis import analyse

        print_json(exchange_json(exchange, analyse(exchange, None)))
    if plan.save:
        from sockscope.export.transcript import TranscriptError, save_transcript

        try:
            save_transcript(exchange, plan.save)
        except TranscriptError as exc:
            return str(exc)
    return None
