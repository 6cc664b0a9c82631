"""A curl command for an exchange that is one plain HTTP/1.x request, or a reason why not.

curl writes the request itself, so it can only stand in for requests it would write
byte for byte the same in substance: one request line in origin form, CRLF line ends,
well-formed headers, and a body framed by Content-Length. Anything else (a pipelined
second request, bare LF, chunked upload, a non-HTTP payload) is refused with a sentence
pointing to ncat, which sends bytes as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from sockscope.core.model import Exchange, Transport
from sockscope.export import ExportError
from sockscope.export.dialogue import sends
from sockscope.export.printf import printf_command
from sockscope.export.shell_words import join

_REQUEST_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) (/[!-~]*) HTTP/(1\.[01])")
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([ -~]*?)[ \t]*")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")
_USE_NCAT = "; use --format ncat, which sends the bytes as they are"

# Headers curl adds on its own unless told to leave them out with an empty `-H 'Name:'`.
_CURL_ADDS = ("Host", "User-Agent", "Accept")
_CURL_ADDS_WITH_BODY = ("Content-Type", "Expect")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_request(data: bytes) -> HttpRequest:
    """`data` as one plain HTTP/1.x request; ExportError names what curl cannot express."""
    head, blank, body = data.partition(b"\r\n\r\n")
    if not blank:
        if _REQUEST_LINE.match(data) and b"\n\n" in data:
            _refuse("the request ends its lines with a bare LF, and curl always writes CRLF")
        _refuse(
            "curl cannot send a non-HTTP payload (no HTTP/1.x request head ending in CRLF CRLF)"
        )
    request_line, *header_lines = head.split(b"\r\n")
    match = _REQUEST_LINE.fullmatch(request_line)
    if match is None:
        _refuse(
            "curl cannot send this request line; it writes METHOD /path HTTP/1.x "
            "with an origin-form path of visible ASCII"
        )
    method, target, version = (part.decode("ascii") for part in match.groups())
    if "#" in target:
        _refuse("curl drops the #fragment of a URL, so it cannot send this path")
    headers = []
    for line in header_lines:
        header = _HEADER.fullmatch(line)
        if header is None or b"\n" in line:
            _refuse("curl cannot send a header line that is not NAME: printable ASCII")
        name, value = (part.decode("ascii") for part in header.groups())
        headers.append((name, value))
    return HttpRequest(method, target, version, headers, body)


def curl_command(exchange: Exchange) -> str:
    target = exchange.target
    if target.transport not in (Transport.TCP, Transport.TLS, Transport.UNIX):
        _refuse(f"curl speaks HTTP over TCP or a Unix stream socket, not {target.transport.value}")
    data = sends(exchange)
    if len(data) != 1:
        _refuse(f"curl sends one request, and this conversation had {len(data)} sends")
    request = parse_request(data[0])
    args = ["curl", "--include", "--path-as-is", "--globoff", f"--http{request.version}"]
    args += _method(request)
    args += _headers(request)
    args += _connection(exchange)
    args.append(_url(exchange, request.target))
    command = join(args)
    if request.body:
        return f"{printf_command(request.body)} | {command}"
    return command


def _method(request: HttpRequest) -> list[str]:
    if request.method == "HEAD" and not request.body:
        return ["--head"]  # with -X HEAD curl would wait for a body that never comes
    default = "POST" if request.body else "GET"
    out = [] if request.method == default else ["--request", request.method]
    return [*out, "--data-binary", "@-"] if request.body else out


def _headers(request: HttpRequest) -> list[str]:
    names = {name.lower() for name, _ in request.headers}
    if "transfer-encoding" in names:
        _refuse("curl cannot send a request body with its own Transfer-Encoding")
    lengths = [value for name, value in request.headers if name.lower() == "content-length"]
    if request.body and lengths != [str(len(request.body))]:
        _refuse(
            f"the {len(request.body)} bytes after the head are not one body framed by "
            "Content-Length (a second request, or a body curl would frame differently)"
        )
    out = []
    for name, value in request.headers:
        if name.lower() == "content-length":
            continue  # curl writes it from the body
        # `Name;` is curl's way to send a header with an empty value.
        out += ["--header", f"{name}: {value}" if value else f"{name};"]
    unwanted = _CURL_ADDS + (_CURL_ADDS_WITH_BODY if request.body else ())
    for name in unwanted:
        if name.lower() not in names:
            out += ["--header", f"{name}:"]  # an empty `Name:` stops curl adding its own
    return out


def _connection(exchange: Exchange) -> list[str]:
    target, policy = exchange.target, exchange.policy
    out = []
    if target.family:
        out.append(f"-{target.family}")
    out += ["--connect-timeout", f"{policy.connect_timeout:g}"]
    if policy.deadline is not None:
        out += ["--max-time", f"{policy.deadline:g}"]
    if target.transport is Transport.UNIX:
        return [*out, "--unix-socket", target.host]
    if target.transport is Transport.TLS:
        tls = target.tls
        if not tls.verify:
            out.append("--insecure")
        elif tls.ca_file:
            out += ["--cacert", tls.ca_file]
        if not tls.alpn:
            out.append("--no-alpn")
        if tls.server_name and tls.server_name != target.host:
            # The URL names the server (SNI, certificate check); --connect-to says where
            # to connect instead.
            host = _url_host(target.host)
            out += ["--connect-to", f"{tls.server_name}:{target.port}:{host}:{target.port}"]
    return out


def _url(exchange: Exchange, path: str) -> str:
    target = exchange.target
    if target.transport is Transport.UNIX:
        return f"http://localhost{path}"  # the host is not used: the Host header is sent
    scheme = "https" if target.transport is Transport.TLS else "http"
    host = target.tls.server_name if scheme == "https" and target.tls.server_name else target.host
    return f"{scheme}://{_url_host(host)}:{target.port}{path}"


def _url_host(host: str) -> str:
    host = host.strip("[]")
    if not _HOST.fullmatch(host):
        _refuse("curl cannot put this host name in a URL")
    return f"[{host}]" if ":" in host else host


def _refuse(reason: str) -> NoReturn:
    raise ExportError(reason + _USE_NCAT)
