"""Request templates: the built-ins do what a newcomer expects; user files load or explain."""

from __future__ import annotations

from pathlib import Path

import pytest

from sockscope.core.model import ReadPolicy, Transport
from sockscope.core.payload import PayloadError, format_text, parse_hex, parse_text
from sockscope.core.templates import (
    Template,
    TemplateError,
    builtin_templates,
    load_templates,
    user_template_dir,
)

BUILTINS = builtin_templates()

HTTP_GET_EXAMPLE = (
    b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: sockscope/0.1\r\n"
    b"Accept: */*\r\nConnection: close\r\n\r\n"
)


def _render(name: str, host: str = "example.com", port: int | None = None, **values: str) -> bytes:
    template = BUILTINS[name]
    return template.render(host, template.port if port is None else port, **values)


# ---- built-ins ---------------------------------------------------------------------------


def test_every_promised_builtin_exists() -> None:
    assert set(BUILTINS) == {
        "http-get", "http-head", "http10-get", "echo", "daytime", "qotd", "qotd-udp",
        "banner", "smtp", "pop3", "imap", "ftp", "nntp", "gopher", "redis-ping", "raw", "hex",
        "smtp-dialogue", "pop3-dialogue", "imap-dialogue", "ftp-dialogue", "nntp-dialogue",
        "redis-dialogue", "smtp-starttls", "imap-starttls", "pop3-starttls", "telnet",
        "ftp-auth-tls",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "transport", "port"),
    [
        ("http-get", Transport.TCP, 80),
        ("http-head", Transport.TCP, 80),
        ("http10-get", Transport.TCP, 80),
        ("echo", Transport.TCP, 7),
        ("daytime", Transport.TCP, 13),
        ("qotd", Transport.TCP, 17),
        ("qotd-udp", Transport.UDP, 17),
        ("smtp", Transport.TCP, 25),
        ("pop3", Transport.TCP, 110),
        ("imap", Transport.TCP, 143),
        ("ftp", Transport.TCP, 21),
        ("nntp", Transport.TCP, 119),
        ("gopher", Transport.TCP, 70),
        ("redis-ping", Transport.TCP, 6379),
        ("raw", Transport.TCP, None),
        ("hex", Transport.TCP, None),
        ("banner", Transport.TCP, None),
    ],
)
def test_each_builtin_has_its_usual_transport_and_port(
    name: str, transport: Transport, port: int | None
) -> None:
    assert (BUILTINS[name].transport, BUILTINS[name].port) == (transport, port)


def test_every_builtin_has_a_one_line_title_and_renders() -> None:
    for name, template in BUILTINS.items():
        assert template.name == name
        assert template.title and "\n" not in template.title
        assert template.source == "built-in"
        template.render("example.com", template.port or 9)


def test_http_get_sends_a_complete_polite_request() -> None:
    assert _render("http-get") == HTTP_GET_EXAMPLE


def test_the_http_payload_shows_one_header_per_editor_line() -> None:
    lines = BUILTINS["http-get"].payload.splitlines()
    assert lines[:2] == ["GET {path} HTTP/1.1\\r", "Host: {host}\\r"]


def test_http_head_is_the_same_request_with_head() -> None:
    assert _render("http-head") == HTTP_GET_EXAMPLE.replace(b"GET", b"HEAD", 1)
    assert BUILTINS["http-head"].method == "HEAD"
    assert BUILTINS["http-get"].method == "GET"


def test_http10_get_speaks_http_1_0() -> None:
    assert _render("http10-get").startswith(b"GET / HTTP/1.0\r\nHost: example.com\r\n")
    assert _render("http10-get").endswith(b"\r\n\r\n")


def test_http_templates_use_the_http_parser_and_expect_crlf() -> None:
    for name in ("http-get", "http-head", "http10-get"):
        assert BUILTINS[name].parser == "http"
        assert BUILTINS[name].line_protocol


def test_the_path_can_be_chosen() -> None:
    assert _render("http-get", path="/index.html").startswith(b"GET /index.html HTTP/1.1\r\n")


def test_a_value_is_sent_as_typed_not_parsed_as_escapes() -> None:
    assert _render("http-get", path="/a\\x41").startswith(b"GET /a\\x41 HTTP/1.1")


@pytest.mark.parametrize(
    ("host", "port", "header"),
    [
        ("example.com", 80, b"Host: example.com\r\n"),
        ("example.com", 8080, b"Host: example.com:8080\r\n"),
        ("example.com", 443, b"Host: example.com\r\n"),  # HTTPS on its default port
        ("127.0.0.1", 51234, b"Host: 127.0.0.1:51234\r\n"),
        ("::1", 80, b"Host: [::1]\r\n"),
        ("::1", 8080, b"Host: [::1]:8080\r\n"),
        ("/run/app.sock", None, b"Host: localhost\r\n"),  # a Unix socket has no host name
    ],
)
def test_the_host_header_names_the_port_only_when_it_is_not_the_default(
    host: str, port: int | None, header: bytes
) -> None:
    assert header in BUILTINS["http-get"].render(host, port)


def test_echo_sends_a_line_and_reads_until_idle() -> None:
    echo = BUILTINS["echo"]
    assert _render("echo").endswith(b"\r\n")
    assert echo.read_policy(ReadPolicy()).idle_timeout == 1.0


@pytest.mark.parametrize("name", ["daytime", "qotd"])
def test_daytime_and_qotd_send_nothing_and_read_until_the_server_closes(name: str) -> None:
    assert _render(name) == b""
    policy = BUILTINS[name].read_policy(ReadPolicy())
    assert policy.idle_timeout is None
    assert policy.deadline is not None  # a silent server still ends the exchange


def test_qotd_over_udp_sends_one_datagram_and_reads_the_first_reply() -> None:
    assert _render("qotd-udp") == b"\r\n"
    assert BUILTINS["qotd-udp"].read_policy(ReadPolicy(first_datagram=False)).first_datagram


def test_banner_sends_nothing_and_waits_only_briefly() -> None:
    assert _render("banner", port=22) == b""
    assert BUILTINS["banner"].read_policy(ReadPolicy()).idle_timeout < ReadPolicy().idle_timeout


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("smtp", b"EHLO sockscope.local\r\nQUIT\r\n"),
        ("pop3", b"QUIT\r\n"),
        ("imap", b"a1 CAPABILITY\r\na2 LOGOUT\r\n"),
        ("ftp", b"SYST\r\nQUIT\r\n"),
        ("nntp", b"CAPABILITIES\r\nQUIT\r\n"),
    ],
)
def test_mail_and_news_templates_greet_and_quit_politely(name: str, sent: bytes) -> None:
    assert _render(name) == sent
    assert BUILTINS[name].line_protocol
    assert BUILTINS[name].parser == name


def test_gopher_asks_for_the_root_menu_by_default() -> None:
    assert _render("gopher") == b"\r\n"
    assert _render("gopher", path="/about") == b"/about\r\n"


def test_redis_ping_stops_at_the_first_reply_line() -> None:
    assert _render("redis-ping") == b"PING\r\n"
    assert BUILTINS["redis-ping"].parser == "redis"
    assert BUILTINS["redis-ping"].read_policy(ReadPolicy()).delimiter == b"\r\n"


def test_raw_and_hex_send_hello() -> None:
    assert _render("raw", port=9) == b"hello\n"
    assert BUILTINS["hex"].is_hex
    assert _render("hex", port=9) == b"Hello\n"


def test_a_read_policy_override_keeps_everything_else() -> None:
    base = ReadPolicy(connect_timeout=3.0, capture_limit=1024)
    policy = BUILTINS["echo"].read_policy(base)
    assert (policy.connect_timeout, policy.capture_limit) == (3.0, 1024)


def test_json_braces_are_left_alone_and_unknown_placeholders_are_named() -> None:
    api = Template("api", "JSON", Transport.TCP, 80, '{"q": 1, "x": {}}\\r\n{path}\\r\n')
    assert api.render("h", 80, path="/") == b'{"q": 1, "x": {}}\r\n/\r\n'
    with pytest.raises(TemplateError, match=r"needs a value for \{path\}"):
        api.render("h", 80)


def test_hostname_and_port_placeholders_give_the_bare_values() -> None:
    hello = Template("hi", "t", Transport.TCP, 25, "HELO {hostname} {port}\\r\n")
    assert hello.render("::1", 2525) == b"HELO ::1 2525\r\n"


def test_builtin_payloads_are_stable_under_the_editor_round_trip() -> None:
    # What the editor shows for a rendered request parses back to the same bytes.
    for template in BUILTINS.values():
        data = template.render("example.com", template.port or 9)
        assert parse_text(format_text(data)) == data


# ---- the user directory ------------------------------------------------------------------


def test_the_user_directory_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_template_dir() == tmp_path / "sockscope" / "templates"


def test_the_user_directory_defaults_to_dot_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_template_dir() == tmp_path / ".config" / "sockscope" / "templates"


def test_a_relative_xdg_config_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_template_dir() == tmp_path / ".config" / "sockscope" / "templates"


def test_no_user_directory_means_just_the_builtins(tmp_path: Path) -> None:
    templates, problems = load_templates(tmp_path / "missing")
    assert templates.keys() == BUILTINS.keys()
    assert problems == []


def test_load_templates_reads_the_user_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "sockscope" / "templates").mkdir(parents=True)
    (tmp_path / "sockscope" / "templates" / "ping.toml").write_text('payload = "ping\\r\\n"\n')
    templates, _ = load_templates()
    assert templates["ping"].render("h", 1) == b"ping\r\n"


# ---- user template files -----------------------------------------------------------------


def _load(tmp_path: Path, text: str, name: str = "mine") -> tuple[dict[str, Template], list[str]]:
    (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return load_templates(tmp_path)


def test_a_full_user_template_loads_every_field(tmp_path: Path) -> None:
    templates, problems = _load(
        tmp_path,
        """
title = "My API health check"
transport = "tls"
port = 8443
payload = '''GET {path} HTTP/1.1\\r
Host: {host}\\r
X-Token: {token}\\r
\\r
'''
line_protocol = true
parser = "http"
method = "get"
idle_timeout = 5
deadline = false
delimiter = '\\r\\n\\r\\n'
max_bytes = "64k"
half_close = true

[defaults]
path = "/health"
token = "abc"
""",
    )
    assert problems == []
    mine = templates["mine"]
    assert (mine.title, mine.transport, mine.port) == ("My API health check", Transport.TLS, 8443)
    assert (mine.line_protocol, mine.parser, mine.method) == (True, "http", "GET")
    assert mine.render("api.test", 8443) == (
        b"GET /health HTTP/1.1\r\nHost: api.test\r\nX-Token: abc\r\n\r\n"
    )
    policy = mine.read_policy(ReadPolicy())
    assert policy.idle_timeout == 5.0
    assert policy.deadline is None
    assert policy.delimiter == b"\r\n\r\n"
    assert policy.max_bytes == 64 * 1024
    assert policy.half_close is True
    assert mine.source == str(tmp_path / "mine.toml")


def test_a_minimal_user_template_needs_only_a_payload(tmp_path: Path) -> None:
    templates, problems = _load(tmp_path, 'payload = "hi\\n"\n', name="hi")
    assert problems == []
    hi = templates["hi"]
    assert (hi.name, hi.transport, hi.port, hi.is_hex) == ("hi", Transport.TCP, None, False)
    assert hi.title
    assert hi.render("h", 1) == b"hi\n"


def test_a_hex_user_template(tmp_path: Path) -> None:
    templates, problems = _load(tmp_path, 'hex = "de ad be ef"\nport = 9\n', name="dead")
    assert problems == []
    assert templates["dead"].is_hex
    assert parse_hex(templates["dead"].payload) == b"\xde\xad\xbe\xef"


def test_a_name_field_overrides_the_file_name(tmp_path: Path) -> None:
    templates, _ = _load(tmp_path, 'name = "probe"\npayload = "x"\n', name="file-name")
    assert "probe" in templates
    assert "file-name" not in templates


def test_a_user_template_may_replace_a_builtin(tmp_path: Path) -> None:
    templates, problems = _load(
        tmp_path, 'title = "EHLO as me"\nport = 25\npayload = "EHLO me\\r\\n"\n', name="smtp"
    )
    assert problems == []
    assert templates["smtp"].render("h", 25) == b"EHLO me\r\n"
    assert templates["smtp"].source != "built-in"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port = 70000\n", "port: 70000 is outside 1-65535"),
        ('port = "http"\n', "port: 'http' is not a number"),
        ("port = true\n", "port: must be a number, got True"),
        ('transport = "sctp"\n', "transport: 'sctp' is not one of tcp, udp, tls"),
        ("title = 5\n", "title: must be a string, got 5"),
        ('payload = "GET \\\\q"\n', 'payload: column 5: unknown escape "\\q"'),
        ('payload = "x"\nhex = "00"\n', "payload: give either payload or hex, not both"),
        ('hex = "4"\n', "hex: column 1: "),
        ('payload = "{who}"\n', "payload: uses {who}, which has no value; add it under [defaults]"),
        ('parser = "gopher"\n', "parser: must be one of http, smtp"),
        ('method = "GET /"\n', "method: must be an HTTP method"),
        ("line_protocol = 1\n", "line_protocol: must be true or false, got 1"),
        ("idle_timeout = -1\n", "idle_timeout: -1 must be a positive number of seconds"),
        ("deadline = true\n", "deadline: must be a number of seconds, or false for none"),
        ('delimiter = ""\n', "delimiter: is empty"),
        ('delimiter = "\\\\x"\n', "delimiter: column 1: \\x needs two hex digits"),
        ('max_bytes = "lots"\n', "max_bytes: 'lots' is not a size"),
        ('defaults = "x"\n', "defaults: must be a table"),
        ("[defaults]\npath = 1\n", "defaults.path: must be a string, got 1"),
        ('name = "has space"\n', 'name: "has space" must be letters, digits'),
        ("idle_timeut = 1\n", 'unknown field "idle_timeut" (did you mean "idle_timeout"?'),
        ("port = \n", "is not valid TOML: "),
    ],
)
def test_a_bad_file_becomes_one_message_naming_the_file_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    templates, problems = _load(tmp_path, text, name="bad")
    assert "bad" not in templates
    assert len(problems) == 1
    assert problems[0].startswith(f"template file '{tmp_path / 'bad.toml'}': {expected}"), problems[
        0
    ]


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "a-bad.toml").write_text("port = 0\n")
    (tmp_path / "b-good.toml").write_text('payload = "ok"\n')
    templates, problems = load_templates(tmp_path)
    assert "b-good" in templates
    assert len(problems) == 1
    assert "a-bad.toml" in problems[0]


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "latin.toml").write_bytes(b'title = "caf\xe9"\n')
    _, problems = load_templates(tmp_path)
    assert problems == [
        f"template file '{tmp_path / 'latin.toml'}': is not UTF-8 text (a bad byte at offset 12)"
    ]


def test_two_files_claiming_one_name_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "dup"\npayload = "1"\n')
    (tmp_path / "b.toml").write_text('name = "dup"\npayload = "2"\n')
    templates, problems = load_templates(tmp_path)
    assert templates["dup"].render("h", 1) == b"1"
    assert problems == [
        f"template file '{tmp_path / 'b.toml'}': name \"dup\" is already used by "
        f"'{tmp_path / 'a.toml'}'"
    ]


def test_a_path_under_home_is_shown_with_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    directory = tmp_path / ".config" / "sockscope" / "templates"
    directory.mkdir(parents=True)
    (directory / "x.toml").write_text("port = 70000\n")
    _, problems = load_templates(directory)
    assert problems == [
        "template file '~/.config/sockscope/templates/x.toml': port: 70000 is outside 1-65535"
    ]


def test_problem_messages_never_carry_control_characters(tmp_path: Path) -> None:
    _, problems = _load(tmp_path, 'transport = "\\u001b[2J"\n', name="esc")
    assert len(problems) == 1
    assert "\x1b" not in problems[0]
    assert "␛" in problems[0]


def test_a_payload_error_in_a_template_points_into_the_whole_payload() -> None:
    broken = Template("b", "t", Transport.TCP, 1, "{path}\\q", defaults={"path": "/"})
    with pytest.raises(PayloadError) as caught:
        broken.render("h", 1)
    assert caught.value.column == 7
