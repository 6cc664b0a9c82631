"""Request templates: what to send for a well-known protocol, and how to read the reply.

A template's payload is in payload syntax (or hex when `is_hex`), with `{name}`
placeholders filled in by `render`. User templates are TOML files, one per template, in
`user_template_dir()`; a bad file never stops the others from loading.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict

from sockscope.core.fields import (
    FieldError,
    parse_port,
    parse_seconds,
    parse_size,
    parse_transport,
)
from sockscope.core.model import ReadPolicy, Transport
from sockscope.core.payload import PayloadError, parse_hex, parse_text
from sockscope.core.sanitize import sanitize_line
from sockscope.core.steps import MAX_STEPS, Dialogue, Step, StepKind, parse_expect, reply_protocol

PARSERS = ("http", "smtp", "ftp", "pop3", "imap", "nntp", "redis", "telnet")

# `{name}` with a lowercase name is a placeholder; other braces (JSON) are plain text.
# A literal "{path}" can be sent as `\x7bpath}`.
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Compiled when a template file is read (re keeps them): the built-ins need neither.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_METHOD = r"[A-Za-z]{1,32}"

# Values every render supplies; anything else comes from `defaults` or the caller.
_TARGET_PLACEHOLDERS = ("host", "hostname", "port")

# The usual port of each protocol's implicit-TLS twin: a Host header leaves out the port
# when it is the scheme's default, and that default is 443 when HTTP runs over TLS.
_TLS_PORTS = {80: 443, 21: 990, 25: 465, 110: 995, 119: 563, 143: 993}


class TemplateError(ValueError):
    """A template that cannot be rendered or loaded; `str()` is one plain sentence."""


class PolicyOverrides(TypedDict, total=False):
    """The ReadPolicy fields a template may set; the rest stay as the caller has them."""

    idle_timeout: float | None
    deadline: float | None
    delimiter: bytes
    max_bytes: int
    first_datagram: bool
    half_close: bool


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    transport: Transport
    port: int | None
    payload: str
    is_hex: bool = False
    line_protocol: bool = False  # CRLF line endings expected
    method: str | None = None  # "GET"/"HEAD": tells the HTTP parser whether a body follows
    parser: str | None = None  # one of PARSERS
    defaults: Mapping[str, str] = field(default_factory=dict, hash=False)
    policy: PolicyOverrides = field(default_factory=PolicyOverrides, hash=False)
    source: str = "built-in"
    # A multi-step dialogue; `payload` then holds every step's `send`, joined.
    steps: tuple[Step, ...] = ()
    # A client certificate for mutual TLS ([tls] cert and key): absolute or ~ paths.
    cert_file: str | None = None
    key_file: str | None = None

    def render(self, host: str, port: int | None, **values: str) -> bytes:
        """The request bytes for `host` and `port`.

        `{host}` is the host as a Host header wants it: an IPv6 literal in brackets, and
        `:port` added unless the port is the template's own (or its TLS twin, 443 for
        80); for a Unix socket (`port` None) it is `localhost`. `{hostname}` is `host`
        as given, `{port}` the number. `values` fill or override other placeholders;
        they are sent as UTF-8 text, escapes and all, never parsed as payload syntax.
        """
        if self.is_hex:
            return parse_hex(self.payload)
        return self._fill(self.payload, host, port, values)

    def dialogue(self, host: str, port: int | None, **values: str) -> Dialogue:
        """The steps with their `send` rendered as `render` does, ready for the engine."""
        sends = tuple(
            None if step.send is None else self._fill(step.send, host, port, values)
            for step in self.steps
        )
        return Dialogue(self.steps, sends, reply_protocol(self.parser))

    def _fill(self, payload: str, host: str, port: int | None, values: Mapping[str, str]) -> bytes:
        filled = {
            "host": self._authority(host, port),
            "hostname": host,
            "port": "" if port is None else str(port),
            **self.defaults,
            **values,
        }
        out = bytearray()
        for part in _compile(payload):
            if isinstance(part, bytes):
                out += part
            elif part in filled:
                # surrogateescape: a value from the command line may carry raw bytes.
                out += filled[part].encode("utf-8", "surrogateescape")
            else:
                raise TemplateError(
                    f'template "{self.name}" needs a value for {{{part}}} (give {part}=VALUE)'
                )
        return bytes(out)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names a caller may fill with `values`, in order of first use: the payload's
        placeholders other than the target's {host}, {hostname} and {port}."""
        if self.is_hex:
            return ()
        found = _PLACEHOLDER.findall(self.payload)
        return tuple(dict.fromkeys(name for name in found if name not in _TARGET_PLACEHOLDERS))

    def value_problem(self, name: str, value: str) -> str | None:
        """Why `value` cannot fill the placeholder `name`, as one display-safe sentence with
        the fix, or None when it can."""
        if name in _TARGET_PLACEHOLDERS:
            return (
                f"{{{name}}} comes from the target; give the host and port as HOST PORT "
                "(e.g. sockscope send example.com 8080 -T http-get)"
            )
        if not _PLACEHOLDER.fullmatch(f"{{{name}}}"):
            return f"{_quoted(name)} is not a placeholder name (a-z and _ only), e.g. path=/x"
        if name not in self.placeholders:
            names = ", ".join(self.placeholders)
            fills = f"its placeholders: {names}" if names else "it has no placeholders to fill"
            return f"template {self.name} has no {{{name}}} ({fills})"
        control = next(
            (ch for ch in value if ch != "\t" and unicodedata.category(ch) == "Cc"), None
        )
        if control is not None:
            return (
                f"the value of {{{name}}} holds the control character {sanitize_line(control)} at "
                f"character {value.index(control) + 1}; a value is sent as typed, so write "
                "control bytes in the payload instead (-d with escapes such as \\r\\n)"
            )
        return None

    def read_policy(self, base: ReadPolicy) -> ReadPolicy:
        """`base` with this template's read-policy overrides applied."""
        return replace(base, **self.policy)

    def _authority(self, host: str, port: int | None) -> str:
        if port is None:
            return "localhost"  # a Unix socket path is no host name; curl says the same
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if self.port is not None and port in (self.port, _TLS_PORTS.get(self.port)):
            return shown
        return f"{shown}:{port}"


def parse_setting(pair: str) -> tuple[str, str]:
    """`NAME=VALUE` as (name, value); ValueError, one display-safe sentence, if it is not."""
    name, sep, value = pair.partition("=")
    if not sep or not name:
        raise ValueError(f"{_quoted(pair)} is not NAME=VALUE, e.g. path=/index.html")
    return name, value


def _compile(payload: str) -> list[bytes | str]:
    """The payload as parsed bytes between placeholder names, in order.

    Each piece is parsed on its own so that a value is never read as payload syntax;
    an error still names its column in the whole payload.
    """
    parts: list[bytes | str] = []
    pos = 0
    for match in [*_PLACEHOLDER.finditer(payload), None]:
        end = len(payload) if match is None else match.start()
        try:
            parts.append(parse_text(payload[pos:end]))
        except PayloadError as exc:
            raise PayloadError(payload, pos + exc.offset, exc.problem) from None
        if match is not None:
            parts.append(match.group(1))
            pos = match.end()
    return parts


# ---- built-ins ---------------------------------------------------------------------------


def _crlf(*lines: str) -> str:
    """Payload text of `lines`, each ending in CRLF (a visible \\r, then a line break)."""
    return "".join(f"{line}\\r\n" for line in lines)


def _http(name: str, title: str, method: str, version: str) -> Template:
    # HTTP/1.1 keeps the connection open unless asked not to; HTTP/1.0 closes by default.
    # Either way the server's close marks the end of the reply for the reader.
    persistence = ["Connection: close"] if version == "1.1" else []
    return Template(
        name=name,
        title=title,
        transport=Transport.TCP,
        port=80,
        payload=_crlf(
            f"{method} {{path}} HTTP/{version}",
            "Host: {host}",
            "User-Agent: sockscope/0.1",
            "Accept: */*",
            *persistence,
            "",
        ),
        line_protocol=True,
        method=method,
        parser="http",
        defaults={"path": "/"},
    )


def _dialogue(name: str, title: str, port: int, *commands: str) -> Template:
    return Template(
        name=name,
        title=title,
        transport=Transport.TCP,
        port=port,
        payload=_crlf(*commands),
        line_protocol=True,
        parser=name,
    )


def _steps(
    name: str,
    title: str,
    port: int,
    parser: str,
    *steps: Step,
    defaults: Mapping[str, str] | None = None,
) -> Template:
    return Template(
        name=name,
        title=title,
        transport=Transport.TCP,
        port=port,
        payload="".join(step.send or "" for step in steps),
        line_protocol=True,
        parser=parser,
        defaults=defaults or {},
        steps=steps,
    )


def _command(line: str, expect: str, until: bytes | None = None, *, starttls: bool = False) -> Step:
    """A step sending one command line (CRLF added), then expecting its reply."""
    return Step(send=_crlf(line), expect=expect, until=until, starttls=starttls)


def dialogue_templates() -> list[Template]:
    """The multi-step built-ins: each checks every reply before the next command."""
    return [
        _steps(
            "smtp-dialogue",
            "SMTP step by step: greeting 220, EHLO 250, QUIT 221",
            25,
            "smtp",
            Step(expect="220"),
            _command("EHLO {helo}", "250"),
            _command("QUIT", "221"),
            defaults={"helo": "sockscope.local"},
        ),
        _steps(
            "pop3-dialogue",
            "POP3 step by step: greeting +OK, CAPA list, QUIT +OK",
            110,
            "pop3",
            Step(expect="+OK"),
            # Only the reply shows that CAPA's list runs to a lone dot: wait for it.
            _command("CAPA", "+OK", until=b"\r\n.\r\n"),
            _command("QUIT", "+OK"),
        ),
        _steps(
            "imap-dialogue",
            "IMAP step by step: greeting * OK, a1 CAPABILITY, a2 LOGOUT",
            143,
            "imap",
            Step(expect="* OK|* PREAUTH"),
            _command("a1 CAPABILITY", "a1 OK"),
            _command("a2 LOGOUT", "a2 OK"),
        ),
        _steps(
            "ftp-dialogue",
            "FTP step by step (control channel): greeting 220, SYST 215, QUIT 221",
            21,
            "ftp",
            Step(expect="220"),
            _command("SYST", "215"),
            _command("QUIT", "221"),
        ),
        _steps(
            "nntp-dialogue",
            "NNTP step by step: greeting 200/201, CAPABILITIES 101, QUIT 205",
            119,
            "nntp",
            Step(expect="200|201"),
            _command("CAPABILITIES", "101"),
            _command("QUIT", "205"),
        ),
        _steps(
            "smtp-starttls",
            "SMTP with STARTTLS: greeting, EHLO, STARTTLS 220, TLS, EHLO again, QUIT",
            25,
            "smtp",
            Step(expect="220"),
            _command("EHLO {helo}", "250"),
            _command("STARTTLS", "220", starttls=True),
            _command("EHLO {helo}", "250"),
            _command("QUIT", "221"),
            defaults={"helo": "sockscope.local"},
        ),
        _steps(
            "imap-starttls",
            "IMAP with STARTTLS: greeting, a1 STARTTLS, TLS, a2 CAPABILITY, a3 LOGOUT",
            143,
            "imap",
            Step(expect="* OK|* PREAUTH"),
            _command("a1 STARTTLS", "a1 OK", starttls=True),
            _command("a2 CAPABILITY", "a2 OK"),
            _command("a3 LOGOUT", "a3 OK"),
        ),
        _steps(
            "pop3-starttls",
            "POP3 with STLS: greeting, STLS +OK, TLS, CAPA list, QUIT",
            110,
            "pop3",
            Step(expect="+OK"),
            _command("STLS", "+OK", starttls=True),
            _command("CAPA", "+OK", until=b"\r\n.\r\n"),
            _command("QUIT", "+OK"),
        ),
        _steps(
            "ftp-auth-tls",
            "FTP with AUTH TLS: greeting 220, AUTH TLS 234, TLS, SYST 215, QUIT 221",
            21,
            "ftp",
            Step(expect="220"),
            _command("AUTH TLS", "234", starttls=True),
            _command("SYST", "215"),
            _command("QUIT", "221"),
        ),
        _steps(
            "redis-dialogue",
            "Redis step by step: PING +PONG, ECHO a bulk string, QUIT +OK",
            6379,
            "redis",
            _command("PING", "+PONG"),
            _command("ECHO {message}", "$"),
            _command("QUIT", "+OK"),
            defaults={"message": "sockscope"},
        ),
    ]


def builtin_templates() -> dict[str, Template]:
    # The server ends the reply by closing; the deadline still applies.
    until_close = PolicyOverrides(idle_timeout=None)
    templates = [
        _http("http-get", "HTTP/1.1 GET of a path (default /), then close", "GET", "1.1"),
        _http("http-head", "HTTP/1.1 HEAD: the headers of a path, no body", "HEAD", "1.1"),
        _http("http10-get", "HTTP/1.0 GET: the older, simpler request", "GET", "1.0"),
        Template(
            "echo",
            "Echo (RFC 862): send a line, the server sends it back",
            Transport.TCP,
            7,
            _crlf("hello from sockscope"),
            policy={"idle_timeout": 1.0},
        ),
        Template(
            "daytime",
            "Daytime (RFC 867): send nothing, the server tells the time and closes",
            Transport.TCP,
            13,
            "",
            policy=until_close,
        ),
        Template(
            "qotd",
            "Quote of the Day (RFC 865): send nothing, the server sends a quote and closes",
            Transport.TCP,
            17,
            "",
            policy=until_close,
        ),
        Template(
            "qotd-udp",
            "Quote of the Day over UDP: any datagram asks for one quote",
            Transport.UDP,
            17,
            _crlf(""),
            policy={"first_datagram": True},
        ),
        Template(
            "telnet",
            "Telnet: send nothing, show the server's option negotiation (IAC) and login banner",
            Transport.TCP,
            23,
            "",
            parser="telnet",
            policy={"idle_timeout": 1.0},
        ),
        Template(
            "banner",
            "Send nothing; show what the server says first (SSH, SMTP, FTP greetings)",
            Transport.TCP,
            None,
            "",
            policy={"idle_timeout": 1.0},
        ),
        _dialogue(
            "smtp", "SMTP: the greeting, EHLO, then QUIT", 25, "EHLO sockscope.local", "QUIT"
        ),
        _dialogue("pop3", "POP3: the greeting, then QUIT", 110, "QUIT"),
        _dialogue(
            "imap", "IMAP: the greeting, CAPABILITY, then LOGOUT", 143, "a1 CAPABILITY", "a2 LOGOUT"
        ),
        _dialogue("ftp", "FTP: the greeting, SYST, then QUIT", 21, "SYST", "QUIT"),
        _dialogue(
            "nntp", "NNTP: the greeting, CAPABILITIES, then QUIT", 119, "CAPABILITIES", "QUIT"
        ),
        Template(
            "gopher",
            "Gopher (RFC 1436): the menu or document at a selector (path)",
            Transport.TCP,
            70,
            _crlf("{path}"),
            line_protocol=True,
            defaults={"path": ""},
            policy=until_close,
        ),
        Template(
            "redis-ping",
            "Redis: PING, which answers +PONG (or an error naming what is wrong)",
            Transport.TCP,
            6379,
            _crlf("PING"),
            line_protocol=True,
            parser="redis",
            policy={"delimiter": b"\r\n"},  # Redis keeps the connection open: stop at the reply
        ),
        Template("raw", "A line of text to edit and send", Transport.TCP, None, "hello\n"),
        Template(
            "hex",
            "Bytes written as hex, to edit and send",
            Transport.TCP,
            None,
            "48 65 6c 6c 6f 0a",
            is_hex=True,
        ),
        *dialogue_templates(),
    ]
    return {template.name: template for template in templates}


# ---- user templates ----------------------------------------------------------------------


def user_template_dir() -> Path:
    """$XDG_CONFIG_HOME/sockscope/templates, or ~/.config/sockscope/templates."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    return base / "sockscope" / "templates"


# A template directory can be shared, so its files are read as hostile: each one bounded,
# and their number too. Sorted by name, the first MAX_TEMPLATE_FILES load.
MAX_TEMPLATE_FILE = 1024 * 1024
MAX_TEMPLATE_FILES = 256
# Parsing a MiB of dense TOML takes over a second: the files read in all are capped too,
# so a hostile directory cannot hold up the app's start or every `send -T` for minutes.
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
# One problem message stays one readable line, however long the text it quotes.
_MAX_PROBLEM = 400
# A number given as text never needs more characters; longer text is refused unparsed.
_MAX_NUMBER_TEXT = 64


def load_templates(user_dir: Path | None = None) -> tuple[dict[str, Template], list[str]]:
    """The built-ins, then every `*.toml` in `user_dir` (a user template may replace a
    built-in of the same name), and one message per file that could not be used.

    A file that fails for any reason (unreadable, over MAX_TEMPLATE_FILE, not UTF-8, not
    TOML, nested too deep, a wrong field) is skipped; the others load. Past
    MAX_TEMPLATE_FILES files, or MAX_TEMPLATE_BYTES read, the rest are skipped with one
    message. The messages are display-safe single lines; the templates' own strings are
    kept as written.
    """
    templates = builtin_templates()
    problems: list[str] = []
    loaded_from: dict[str, str] = {}
    directory = user_template_dir() if user_dir is None else user_dir
    paths = sorted(directory.glob("*.toml"))
    read = 0
    for index, path in enumerate(paths):
        if index == MAX_TEMPLATE_FILES or read >= MAX_TEMPLATE_BYTES:
            problems.append(
                _problem(f"template directory '{_shown_path(directory)}'", _past_cap(paths, index))
            )
            break
        shown = _shown_path(path)
        where = f"template file '{shown}'"
        try:
            raw = read_template_file(path)
            read += len(raw)
            template = parse_template_file(raw, path.stem, shown)
        except TemplateError as exc:
            problems.append(_problem(where, str(exc)))
            continue
        if template.name in loaded_from:
            earlier = loaded_from[template.name]
            problems.append(
                _problem(where, f"name \"{template.name}\" is already used by '{earlier}'")
            )
            continue
        loaded_from[template.name] = shown
        templates[template.name] = template
    return templates, problems


def _past_cap(paths: list[Path], index: int) -> str:
    skipped = len(paths) - index
    if index == MAX_TEMPLATE_FILES:
        return (
            f"holds {len(paths)} template files; the first {MAX_TEMPLATE_FILES} by name load "
            f"(the cap), the other {skipped} are skipped"
        )
    return (
        f"{skipped} template files from '{paths[index].name}' on are skipped: the files "
        f"before them reached {MAX_TEMPLATE_BYTES // 1024 // 1024} MiB, the cap for all together"
    )


def unknown_template(name: str, templates: Mapping[str, Template], problems: list[str]) -> str:
    """Why `name` is not a template, display-safe: its file's problem when a file of that
    name was skipped, else the names there are."""
    if re.fullmatch(_NAME, name):
        skipped = [problem for problem in problems if f"{name}.toml':" in problem]
        if skipped:
            return f"template {name} did not load: {skipped[0]}"
    return f"unknown template {_quoted(name)}; one of: {', '.join(templates)}"


def read_template_file(path: Path) -> bytes:
    """The file's bytes, reading at most MAX_TEMPLATE_FILE + 1 of them.

    The only file I/O of loading. Opened without blocking: a FIFO named `x.toml` must not
    wait for a writer; only a regular file is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise TemplateError(f"cannot read it ({exc.strerror})") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise TemplateError("is not a regular file")
        # A file over the cap is refused unread; one within it may still grow while read.
        data = b""
        if status.st_size <= MAX_TEMPLATE_FILE:
            with open(fd, "rb", closefd=False) as file:
                data = file.read(MAX_TEMPLATE_FILE + 1)
    except OSError as exc:
        raise TemplateError(f"cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)
    if status.st_size > MAX_TEMPLATE_FILE or len(data) > MAX_TEMPLATE_FILE:
        raise TemplateError(
            f"is over {MAX_TEMPLATE_FILE // 1024 // 1024} MiB, the cap for a template file"
        )
    return data


def _problem(where: str, problem: str) -> str:
    """One display-safe line: tabs and line breaks shown as tokens, cut at _MAX_PROBLEM."""
    line = sanitize_line(f"{where}: {problem}")
    return line if len(line) <= _MAX_PROBLEM else line[: _MAX_PROBLEM - 1] + "\u2026"


def _shown_path(path: Path) -> str:
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # not under home, or no home at all
        return str(path)


_FIELDS = (
    "name",
    "title",
    "transport",
    "port",
    "payload",
    "hex",
    "line_protocol",
    "parser",
    "method",
    "defaults",
    "steps",
    "tls",
    # ReadPolicy overrides
    "idle_timeout",
    "deadline",
    "delimiter",
    "max_bytes",
    "half_close",
)


def parse_template_file(raw: bytes, stem: str, source: str) -> Template:
    """The template in a file's bytes (`stem`: its name without .toml; `source`: how to
    show where it came from); TemplateError names the field and the fix."""
    import tomllib  # only for user template files: most runs have none

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise TemplateError(f"is not UTF-8 text (a bad byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"is not valid TOML: {exc}") from None
    except RecursionError:
        raise TemplateError("is nested too deeply to read as TOML") from None
    unknown = [key for key in data if key not in _FIELDS]
    if unknown:
        raise TemplateError(_unknown_field(unknown[0], _FIELDS))
    try:
        return _template(data, stem, source)
    except FieldError as exc:
        raise TemplateError(str(exc)) from None


def _unknown_field(key: str, allowed: tuple[str, ...]) -> str:
    import difflib  # a typo's suggestion, on this error path only

    shown = key[:40]
    close = difflib.get_close_matches(shown, allowed, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f'unknown field "{shown}" ({hint}allowed: {", ".join(allowed)})'


def _template(data: Mapping[str, object], stem: str, shown: str) -> Template:
    name = _string(data, "name", stem)
    if not re.fullmatch(_NAME, name):
        raise FieldError(
            "name", f'"{name[:40]}" must be letters, digits, ".", "-" or "_" (at most 64)'
        )
    if "payload" in data and "hex" in data:
        raise FieldError("payload", "give either payload or hex, not both")
    if "steps" in data and ("payload" in data or "hex" in data):
        raise FieldError("steps", "give either [[steps]] or a payload (or hex), not both")
    is_hex = "hex" in data
    payload = _string(data, "hex", "") if is_hex else _string(data, "payload", "")
    defaults = _defaults(data.get("defaults", {}))
    if not is_hex:
        _check_placeholders(payload, defaults, "payload")
    else:
        try:
            parse_hex(payload)
        except PayloadError as exc:
            raise FieldError("hex", str(exc)) from None
    parser = data.get("parser")
    if parser is not None and parser not in PARSERS:
        raise FieldError("parser", f"must be one of {', '.join(PARSERS)}, got {_got(parser)}")
    steps = _steps_field(data["steps"], defaults, parser) if "steps" in data else ()
    if steps:
        payload = "".join(step.send or "" for step in steps)
    method = data.get("method")
    if method is not None and not (isinstance(method, str) and re.fullmatch(_METHOD, method)):
        raise FieldError(
            "method", f"must be an HTTP method such as GET or HEAD, got {_got(method)}"
        )
    port = data.get("port")
    cert_file, key_file = _tls(data.get("tls", {}))
    return Template(
        name=name,
        title=_string(data, "title", f"user template from {stem}.toml"),
        transport=parse_transport(_string(data, "transport", "tcp")),
        port=None if port is None else parse_port(_text(port, "port"), "port"),
        payload=payload,
        is_hex=is_hex,
        line_protocol=_bool(data, "line_protocol"),
        method=None if method is None else method.upper(),
        parser=parser,
        defaults=defaults,
        policy=_policy(data),
        source=shown,
        steps=steps,
        cert_file=cert_file,
        key_file=key_file,
    )


_TLS_FIELDS = ("cert", "key")
MAX_PATH = 4096


def _tls(value: object) -> tuple[str | None, str | None]:
    """The [tls] table: a client certificate and its key, as paths that do not depend on
    the directory sockscope runs in."""
    if not isinstance(value, dict):
        raise FieldError("tls", f"must be a table ([tls]), got {_got(value)}")
    for key in value:
        if key not in _TLS_FIELDS:
            raise FieldError("tls", _unknown_field(key, _TLS_FIELDS))
    cert, key = (_tls_path(value, name) for name in _TLS_FIELDS)
    if key and not cert:
        raise FieldError("tls.key", "needs tls.cert, the certificate the key belongs to")
    return cert, key


def _tls_path(table: Mapping[str, object], key: str) -> str | None:
    path = table.get(key)
    if path is None:
        return None
    if not (isinstance(path, str) and 0 < len(path) <= MAX_PATH and path[0] in "/~"):
        raise FieldError(
            f"tls.{key}", f"must be an absolute path or start with ~, got {_got(path)}"
        )
    return path


def _check_placeholders(payload: str, defaults: Mapping[str, str], name: str) -> None:
    """Raise FieldError(`name`) for bad payload syntax or a placeholder with no value."""
    try:
        parts = _compile(payload)
    except PayloadError as exc:
        raise FieldError(name, str(exc)) from None
    for key in parts:
        if isinstance(key, str) and key not in defaults and key not in _TARGET_PLACEHOLDERS:
            raise FieldError(
                name,
                f'uses {{{key}}}, which has no value; add it under [defaults], e.g. {key} = "..."',
            )


_STEP_FIELDS = ("send", "expect", "until", "silence", "timeout", "starttls")


def _steps_field(
    value: object, defaults: Mapping[str, str], parser: str | None
) -> tuple[Step, ...]:
    if not isinstance(value, list):
        raise FieldError("steps", f"must be a list of [[steps]] tables, got {_got(value)}")
    if not value:
        raise FieldError(
            "steps", "is empty; add [[steps]] tables with send, expect, until or silence"
        )
    if len(value) > MAX_STEPS:
        raise FieldError("steps", f"has {len(value)} steps; at most {MAX_STEPS} are allowed")
    for index, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise FieldError(f"steps[{index}]", f"must be a [[steps]] table, got {_got(item)}")
    return tuple(_step(item, index, defaults, parser) for index, item in enumerate(value, 1))


def _step(
    data: Mapping[str, object], index: int, defaults: Mapping[str, str], parser: str | None
) -> Step:
    where = f"steps[{index}]"  # counted from 1, as the run's report counts them
    for key in data:
        if key not in _STEP_FIELDS:
            raise FieldError(where, _unknown_field(key, _STEP_FIELDS))
    send = expect = None
    until = None
    if "send" in data:
        send = _step_string(data, "send", where)
        _check_placeholders(send, defaults, f"{where}.send")
    if "expect" in data:
        expect = _step_string(data, "expect", where)
        try:
            parse_expect(expect, reply_protocol(parser))
        except ValueError as exc:
            raise FieldError(f"{where}.expect", _with_parser(str(exc), parser)) from None
    if "until" in data:
        try:
            until = parse_text(_step_string(data, "until", where))
        except PayloadError as exc:
            raise FieldError(f"{where}.until", str(exc)) from None
        if not until:
            raise FieldError(f"{where}.until", 'is empty; give the text to wait for, e.g. "\\r\\n"')
    silence = _seconds_field(data, "silence", where)
    if silence is not None and (expect is not None or until is not None):
        raise FieldError(f"{where}.silence", "cannot be combined with expect or until")
    timeout = _seconds_field(data, "timeout", where)
    starttls = data.get("starttls", False)
    if not isinstance(starttls, bool):
        raise FieldError(f"{where}.starttls", f"must be true or false, got {_got(starttls)}")
    if starttls and expect is None:
        raise FieldError(
            f"{where}.starttls",
            "needs expect: the server's go-ahead to start TLS (220, +OK, a1 OK...)",
        )
    step = Step(
        send=send,
        expect=expect,
        until=until,
        silence=silence,
        timeout=timeout,
        starttls=starttls,
    )
    if step.kind is StepKind.SEND and send is None:
        raise FieldError(
            where, "waits for nothing and sends nothing; give send, expect, until or silence"
        )
    if timeout is not None and step.kind in (StepKind.SEND, StepKind.SILENCE):
        raise FieldError(
            f"{where}.timeout",
            "needs expect or until (silence has its own seconds; a send alone waits for nothing)",
        )
    return step


def _step_string(data: Mapping[str, object], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise FieldError(f"{where}.{key}", f"must be a string, got {_got(value)}")
    return value


def _seconds_field(data: Mapping[str, object], key: str, where: str) -> float | None:
    if key not in data:
        return None
    name = f"{where}.{key}"
    return parse_seconds(_text(data[key], name, "a number of seconds"), name)


def _with_parser(message: str, parser: str | None) -> str:
    """Say which parser the pattern was read for; the right syntax depends on it."""
    return f"{message} (patterns follow parser = {_got(parser)})" if parser else message


def _policy(data: Mapping[str, object]) -> PolicyOverrides:
    policy = PolicyOverrides()
    for key in ("idle_timeout", "deadline"):
        if key in data:
            value = data[key]
            if value is False:
                policy[key] = None
            elif isinstance(value, bool):
                raise FieldError(key, "must be a number of seconds, or false for none, got true")
            else:
                policy[key] = parse_seconds(_text(value, key), key)
    if "delimiter" in data:
        try:
            delimiter = parse_text(_string(data, "delimiter", ""))
        except PayloadError as exc:
            raise FieldError("delimiter", str(exc)) from None
        if not delimiter:
            raise FieldError(
                "delimiter", 'is empty; give the text that ends a reply, e.g. "\\r\\n"'
            )
        policy["delimiter"] = delimiter
    if "max_bytes" in data:
        policy["max_bytes"] = parse_size(_text(data["max_bytes"], "max_bytes"), "max_bytes")
    if "half_close" in data:
        policy["half_close"] = _bool(data, "half_close")
    return policy


def _defaults(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise FieldError(
            "defaults", f'must be a table such as [defaults] path = "/", got {_got(value)}'
        )
    for key, text in value.items():
        if not _PLACEHOLDER.fullmatch(f"{{{key}}}"):
            raise FieldError("defaults", f'"{key[:40]}" is not a placeholder name (a-z and _ only)')
        if not isinstance(text, str):
            raise FieldError(f"defaults.{key}", f"must be a string, got {_got(text)}")
    return dict(value)


def _string(data: Mapping[str, object], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise FieldError(key, f"must be a string, got {_got(value)}")
    return value


def _bool(data: Mapping[str, object], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise FieldError(key, f"must be true or false, got {_got(value)}")
    return value


def _text(value: object, key: str, wanted: str = "a number") -> str:
    """A TOML number or string as text for the shared field checks; anything else refused,
    and so is text too long to be a number (it is never parsed)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldError(key, f"must be {wanted}, got {_got(value)}")
    if isinstance(value, str) and len(value) > _MAX_NUMBER_TEXT:
        raise FieldError(key, f"must be {wanted}, got {len(value):,} characters of text")
    return str(value)


def _quoted(text: str) -> str:
    """A short quote of untrusted text for a message, display-safe and on one line."""
    return "'" + sanitize_line(text if len(text) <= 40 else text[:37] + "...") + "'"


def _got(value: object) -> str:
    """What a wrong value is, for a message: a short quote of a scalar, the kind of the rest
    (a table or a list is never printed: it may be huge or nested deep)."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:37]) + "..."
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
