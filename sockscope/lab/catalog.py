"""What the lab serves: each service's name, port offset, transports and a way to try it.

With a port base P, a service listens at P + offset: the offsets echo the well-known
ports (echo 7, discard 9, daytime 13, qotd 17, chargen 19, ftp 21, telnet 23, smtp 25, http 80,
pop3 110, nntp 119, imap 143, https 443), with the lab's own greeter and trickle at 1
and 2, and redis at 379 (6379 cut to three digits). UDP services share the TCP number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    offset: int
    transports: tuple[str, ...]
    description: str
    # `sockscope send` arguments after the host and port, per transport.
    examples: dict[str, str]


SERVICES = (
    Service(
        "greeter",
        1,
        ("tcp",),
        'says "Thank you for connecting", then echoes lines',
        {"tcp": r"-d 'hello\r\n'"},
    ),
    Service(
        "trickle",
        2,
        ("tcp",),
        "a line every 0.25 s for 10 minutes (try Cancel)",
        {"tcp": "-T banner --deadline 5"},
    ),
    Service(
        "echo",
        7,
        ("tcp", "udp"),
        "sends back every byte (RFC 862)",
        {"tcp": "-T echo", "udp": r"-t udp -d 'hello\n'"},
    ),
    Service(
        "discard",
        9,
        ("tcp", "udp"),
        "reads and drops everything (RFC 863)",
        {"tcp": r"-d 'into the void\n'", "udp": r"-t udp -d 'into the void\n'"},
    ),
    Service(
        "daytime",
        13,
        ("tcp", "udp"),
        "one line with the date, then close (RFC 867)",
        {"tcp": "-T daytime", "udp": r"-t udp -d '\n'"},
    ),
    Service(
        "qotd",
        17,
        ("tcp", "udp"),
        "a quote of the day, then close (RFC 865)",
        {"tcp": "-T qotd", "udp": "-T qotd-udp"},
    ),
    Service(
        "chargen",
        19,
        ("tcp", "udp"),
        "the RFC 864 character pattern: 64 KiB, or one datagram",
        {"tcp": "-T banner", "udp": r"-t udp -d '\n'"},
    ),
    Service(
        "ftp",
        21,
        ("tcp",),
        "an FTP control channel: any login, SYST, PWD, no data connections",
        {"tcp": "-T ftp-dialogue"},
    ),
    Service(
        "telnet",
        23,
        ("tcp",),
        "telnet-style: option negotiation (IAC), a login name, then lines echoed",
        {"tcp": "-T telnet"},
    ),
    Service(
        "smtp",
        25,
        ("tcp",),
        "an SMTP dialogue that accepts mail and keeps none",
        {"tcp": "-T smtp"},
    ),
    Service(
        "http",
        80,
        ("tcp",),
        "HTTP/1.1: / /hello /chunked /bytes?n=N /slow /headers",
        {"tcp": "-T http-get --path /chunked"},
    ),
    Service(
        "pop3",
        110,
        ("tcp",),
        "a POP3 dialogue over one in-memory message",
        {"tcp": "-T pop3-dialogue"},
    ),
    Service(
        "nntp",
        119,
        ("tcp",),
        "an NNTP reader dialogue with one empty group",
        {"tcp": "-T nntp-dialogue"},
    ),
    Service(
        "imap",
        143,
        ("tcp",),
        "an IMAP dialogue: CAPABILITY, LOGIN, LOGOUT, no mailboxes",
        {"tcp": "-T imap-dialogue"},
    ),
    Service(
        "redis",
        379,
        ("tcp",),
        "speaks RESP: PING, ECHO, SET/GET in memory, QUIT",
        {"tcp": "-T redis-dialogue"},
    ),
    Service(
        "https",
        443,
        ("tls",),
        "the same pages over TLS, certificate signed by the lab's CA",
        {"tls": "-T http-get -t tls --ca-file {ca_file}"},
    ),
)

MAX_OFFSET = max(service.offset for service in SERVICES)
