"""Real clients through `sockscope relay` to real servers: curl to nginx, redis-cli to
redis-server, openssl s_client through a TLS relay to openssl s_server; what each side
says arrives intact, and the relay parses both directions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockscope.core.model import Direction, EventType, Exchange, Target, TlsOptions, Transport
from sockscope.core.relay_analysis import analyse_relay
from sockscope.engine.relay import Relay, RelayConfig
from sockscope.export.transcript import load_transcript
from tests.interop.conftest import INDEX_HTML, Server, TlsServer, program

WAIT = 15.0


class Relayed:
    def __init__(self, target: Target) -> None:
        import queue

        self.finished: queue.Queue[Exchange] = queue.Queue()
        self.relay = Relay(
            RelayConfig(target), on_finished=lambda _s, exchange: self.finished.put(exchange)
        )
        address = self.relay.start()
        assert address.port is not None
        self.port = address.port
        self.ca_file = address.ca_file

    def next_finished(self) -> Exchange:
        return self.finished.get(timeout=WAIT)


@pytest.fixture
def relayed() -> Iterator[list[Relayed]]:
    started: list[Relayed] = []
    yield started
    for one in started:
        one.relay.stop()


def _relay(started: list[Relayed], target: Target) -> Relayed:
    one = Relayed(target)
    started.append(one)
    return one


def test_curl_through_the_relay_gets_nginx_page_and_both_directions_are_parsed(
    nginx: Server, relayed: list[Relayed]
) -> None:
    curl = program("curl", "curl")
    relay = _relay(relayed, Target(nginx.host, nginx.port))
    page = subprocess.run(
        [curl, "-sS", "--max-time", "10", f"http://127.0.0.1:{relay.port}/index.html"],
        capture_output=True,
        timeout=WAIT,
        check=True,
    )
    assert page.stdout == INDEX_HTML
    exchange = relay.next_finished()
    analysis = analyse_relay(exchange)

    assert analysis.protocol == "http"
    request = analysis.client.http
    assert request is not None and (request.method, request.target) == ("GET", "/index.html")
    assert (request.header("User-Agent") or "").startswith("curl/")
    response = analysis.server.http
    assert response is not None and response.status == 200 and response.body == INDEX_HTML
    assert (response.header("Server") or "").startswith("nginx")


def test_redis_cli_through_the_relay_gets_redis_answers_read_both_ways(
    redis: Server, relayed: list[Relayed]
) -> None:
    cli = program("redis-cli", "redis-tools")
    relay = _relay(relayed, Target(redis.host, redis.port))
    out = subprocess.run(
        [cli, "-h", "127.0.0.1", "-p", str(relay.port), "ECHO", "through the relay"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=True,
    )
    assert out.stdout.strip() == "through the relay"
    analysis = analyse_relay(relay.next_finished())

    assert analysis.protocol == "redis"
    assert analysis.client_values[-1].lines == ["ECHO", "through the relay"]
    assert analysis.server.replies[-1].lines == ["through the relay"]


def test_openssl_s_client_through_a_tls_relay_to_s_server_shows_both_handshakes(
    tls_server: TlsServer, relayed: list[Relayed]
) -> None:
    openssl = program("openssl", "openssl")
    target = Target(
        tls_server.host,
        tls_server.port,
        Transport.TLS,
        tls=TlsOptions(server_name="localhost", ca_file=str(tls_server.ca_file)),
    )
    relay = _relay(relayed, target)
    assert relay.ca_file is not None
    out = subprocess.run(
        [
            *(openssl, "s_client", "-connect", f"127.0.0.1:{relay.port}"),
            *("-servername", "localhost", "-CAfile", relay.ca_file, "-verify_return_error"),
            *("-alpn", "http/1.1", "-quiet"),
        ],
        input=b"GET / HTTP/1.0\r\n\r\n",
        capture_output=True,
        timeout=WAIT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"HTTP/1.0 200 ok")
    exchange = relay.next_finished()
    handshakes = {e.direction: e.detail for e in exchange.of_type(EventType.TLS)}

    assert handshakes[Direction.CLIENT]["sni"] == "localhost"
    assert handshakes[Direction.CLIENT]["alpn"] == "http/1.1"
    assert handshakes[Direction.SERVER]["verified"] is True
    assert "sockscope interop leaf" in handshakes[Direction.SERVER]["certificate"]["subject"]
    assert exchange.received.startswith(b"HTTP/1.0 200 ok")


def test_relay_cli_prints_one_json_transcript_per_connection_and_saves_it(
    nginx: Server, tmp_path: Path
) -> None:
    curl = program("curl", "curl")
    saved = tmp_path / "saved"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "sockscope", "relay", "0", f"{nginx.host}:{nginx.port}"),
            *("--json", "--count", "1", "--save", str(saved)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        relaying = json.loads(proc.stdout.readline())["relaying"]
        assert relaying["target"] == f"{nginx.host}:{nginx.port}"
        port = relaying["port"]
        subprocess.run(
            [curl, "-sS", "--max-time", "10", f"http://127.0.0.1:{port}/index.html"],
            capture_output=True,
            timeout=WAIT,
            check=True,
        )
        connection = json.loads(proc.stdout.readline())
        assert proc.wait(WAIT) == 0
    finally:
        proc.kill()
    assert connection["connection"] == 1 and connection["protocol"] == "http"
    assert connection["request"]["http"]["target"] == "/index.html"
    assert connection["http"]["status"] == 200
    assert {e["direction"] for e in connection["events"]} == {"client", "server"}
    exchange = load_transcript(connection["saved"])
    assert Path(connection["saved"]).parent == saved
    assert exchange.received.endswith(INDEX_HTML)
    assert [e.direction for e in exchange.events] == [
        Direction(e["direction"]) for e in connection["events"]
    ]
