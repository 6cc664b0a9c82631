"""`sockscope listen 8080 8081`: one run, one listener per port, each client saying which
port it came to."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from sockscope.cli import main
from sockscope.cli.listen import plan_listen
from sockscope.cli.parsing import build_parser
from tests.listen.conftest import WAIT


def test_words_of_digits_are_ports_on_loopback_and_a_first_word_else_is_the_host() -> None:
    parse = build_parser("listen").parse_args
    ports = plan_listen(parse(["8080", "8081", "8082"]))
    assert ports.config.host == "127.0.0.1"
    assert [c.port for c in ports.configs()] == [8080, 8081, 8082]
    hosted = plan_listen(parse(["127.0.0.2", "8080", "8081"]))
    assert hosted.config.host == "127.0.0.2"
    assert [c.port for c in hosted.configs()] == [8080, 8081]
    assert [c.port for c in plan_listen(parse(["8080"])).configs()] == [8080]


def test_a_port_named_twice_or_a_host_without_port_is_one_line_and_exit_2(capsys) -> None:
    for argv in (["8080", "8080"], ["localhost"], ["-t", "unix", "/tmp/a.sock", "x", "y"]):
        assert main(["listen", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_every_port_listens_and_each_client_names_the_port_it_came_to() -> None:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "sockscope", "listen", "0", "0"),
            *("--reply-template", "echo", "--json", "--count", "2"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        addresses = [json.loads(proc.stdout.readline())["listening"] for _ in range(2)]
        ports = [address["port"] for address in addresses]
        assert len(set(ports)) == 2
        for port in ports:
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
                client.sendall(f"to {port}".encode())
                assert client.recv(100) == f"to {port}".encode()
        clients = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert proc.wait(WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    came_to = {client["listener"]: client["received_b64"] for client in clients}
    assert set(came_to) == {f"127.0.0.1:{port}" for port in ports}
