"""The fault proxy does to real TCP traffic what its plans say, and counts it."""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.fault.plans import DEFAULT_WEIGHTS, ConnectionPlan, draw_plan
from tests.fault.proxy import FaultProxy

WAIT_S = 10.0


class Upstream:
    """A real HTTP/1.1 server on loopback that records each whole request it answers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self.changed = threading.Condition()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with upstream.changed:
                    upstream.seen.append((self.command, self.path, body))
                    number = len(upstream.seen)
                    upstream.changed.notify_all()
                payload = json.dumps({"n": number, "echo": body.decode()}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer  # noqa: N815 - http.server's naming
            do_POST = _answer  # noqa: N815

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a reset connection is what these tests cause on purpose

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = ("127.0.0.1", int(self.server.server_address[1]))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, count: int) -> list[tuple[str, str, bytes]]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.seen) >= count, WAIT_S):
                raise AssertionError(f"upstream saw {len(self.seen)} requests, not {count}")
            return list(self.seen)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.address, seed=1) as running:
        yield running


def _client(proxy: FaultProxy) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, timeout=WAIT_S)


def _fence(proxy: FaultProxy, upstream: Upstream) -> list[tuple[str, str, bytes]]:
    """Everything upstream saw before a last clean request, which is dropped from the list."""
    with _client(proxy) as client:
        number = client.get("/fence").json()["n"]
    seen = upstream.wait_for(number)
    assert seen[number - 1][1] == "/fence"
    return seen[: number - 1]


def test_passes_requests_through_untouched(proxy: FaultProxy, upstream: Upstream) -> None:
    with _client(proxy) as client:
        assert client.post("/v1/push", content=b"ops").json() == {"n": 1, "echo": "ops"}
        assert client.get("/v1/pull?cursor=x").json()["n"] == 2

    assert upstream.wait_for(2) == [("POST", "/v1/push", b"ops"), ("GET", "/v1/pull?cursor=x", b"")]
    assert proxy.counts() == {}
    assert proxy.connections == 1


def test_a_reset_drop_reaches_nobody(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script([ConnectionPlan("drop", reset=True)])

    with _client(proxy) as client, pytest.raises(httpx.TransportError):
        client.post("/v1/push", content=b"lost")

    assert _fence(proxy, upstream) == []
    assert proxy.counts() == {"drop": 1}


def test_a_black_hole_holds_the_request_until_the_proxy_calms(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("drop")])
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=WAIT_S) as sock:
        sock.sendall(b"POST /v1/push HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nlost")
        proxy.wait_for_connections(1)
        proxy.calm()
        try:
            answer = sock.recv(100)
        except ConnectionResetError:
            answer = b""

    assert answer == b""
    assert _fence(proxy, upstream) == []
    assert proxy.counts() == {"drop": 1}


def test_a_cut_after_the_commit_leaves_the_terminal_without_an_answer(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("cut", cut_in="response", cut_path="/v1/push", cut_after=0)])

    with _client(proxy) as client, pytest.raises(httpx.TransportError):
        client.post("/v1/push", content=b"committed")

    assert _fence(proxy, upstream) == [("POST", "/v1/push", b"committed")]
    assert proxy.counts() == {"cut": 1}


def test_a_cut_inside_the_response_head_is_a_broken_answer(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("cut", cut_in="response", cut_after=12)])

    with _client(proxy) as client, pytest.raises(httpx.TransportError):
        client.post("/v1/push", content=b"half")

    assert _fence(proxy, upstream) == [("POST", "/v1/push", b"half")]


def test_a_cut_inside_the_request_never_reaches_the_handler(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("cut", cut_in="request", cut_after=20)])

    with _client(proxy) as client, pytest.raises(httpx.TransportError):
        client.post("/v1/push", content=b"never whole")

    assert _fence(proxy, upstream) == []
    assert proxy.counts() == {"cut": 1}


def test_a_cut_aimed_at_the_second_push_lets_the_first_and_other_paths_through(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("cut", cut_path="/v1/push", cut_nth=1, cut_after=0)])

    with _client(proxy) as client:
        assert client.post("/v1/push", content=b"one").json()["n"] == 1
        assert client.get("/v1/pull").json()["n"] == 2
        with pytest.raises(httpx.TransportError):
            client.post("/v1/push", content=b"two")

    assert [body for _, _, body in _fence(proxy, upstream)] == [b"one", b"", b"two"]
    assert proxy.counts() == {"cut": 1}


@pytest.mark.parametrize("concurrent", [False, True])
def test_a_duplicate_reaches_head_office_twice_and_the_terminal_once(
    proxy: FaultProxy, upstream: Upstream, concurrent: bool
) -> None:
    proxy.script([ConnectionPlan("duplicate", concurrent=concurrent)])

    with _client(proxy) as client:
        answer = client.post("/v1/push", content=b"twice").json()

    assert answer["echo"] == "twice"
    seen = upstream.wait_for(2)
    assert seen == [("POST", "/v1/push", b"twice")] * 2
    assert proxy.counts() == {"duplicate": 1}


def test_enrolment_is_never_cut_or_replayed(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script([ConnectionPlan("duplicate"), ConnectionPlan("cut", cut_after=0)])

    for _ in range(2):
        with _client(proxy) as client:
            assert client.post("/v1/enrol", content=b"code").status_code == 200

    assert _fence(proxy, upstream) == [("POST", "/v1/enrol", b"code")] * 2
    assert proxy.counts() == {}


def test_a_delayed_connection_still_carries_everything(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("delay", delay_s=0.01)])

    with _client(proxy) as client:
        assert client.post("/v1/push", content=b"slow").json() == {"n": 1, "echo": "slow"}

    assert proxy.counts() == {"delay": 1}


def test_calm_resets_connections_that_carry_a_fault(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script([ConnectionPlan("delay", delay_s=0.01)])
    with _client(proxy) as client:
        client.get("/one")
        proxy.calm()
        # the pooled connection was reset; httpx notices and the next request takes a
        # fresh one, which now passes
        try:
            client.get("/two")
        except httpx.TransportError:
            client.get("/two")

    assert [path for _, path, _ in upstream.wait_for(2)][-1] == "/two"


def test_head_office_down_is_a_refused_link_until_it_is_back(upstream: Upstream) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = ("127.0.0.1", int(spare.getsockname()[1]))  # bound, not listening
        with FaultProxy(dead, seed=1) as proxy:
            with _client(proxy) as client, pytest.raises(httpx.TransportError):
                client.get("/v1/health")
            proxy.retarget(upstream.address)
            with _client(proxy) as client:
                assert client.get("/v1/health").json()["n"] == 1


def test_a_storm_draws_faults_from_the_seed() -> None:
    def plans(seed: int) -> list[ConnectionPlan]:
        rng = random.Random(seed)
        return [draw_plan(rng, DEFAULT_WEIGHTS) for _ in range(200)]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
    assert {plan.kind for plan in plans(7)} == {"pass", "drop", "delay", "cut", "duplicate"}


def test_a_storm_injects_and_counts_faults(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.storm({"pass": 1.0, "duplicate": 1.0, "drop": 1.0})
    answered = 0
    for number in range(20):
        try:
            with httpx.Client(base_url=proxy.url, timeout=0.5) as client:
                client.post("/v1/push", content=str(number).encode())
                answered += 1
        except httpx.TransportError:
            pass  # a black hole is given up on by the client's own timeout
    proxy.calm()

    counts = proxy.counts()
    assert counts.get("duplicate", 0) > 0 and counts.get("drop", 0) > 0
    assert answered >= 20 - counts["drop"]
    assert proxy.connections == 20


def test_a_connection_is_closed_in_good_order_after_its_lifetime(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script([ConnectionPlan("pass", lifetime=2)] * 3)

    with _client(proxy) as client:
        for number in range(6):
            try:
                client.get(f"/{number}")
            except httpx.TransportError:  # the close raced a request already on its way
                client.get(f"/{number}")

    assert [path for _, path, _ in upstream.wait_for(6)][-1] == "/5"
    assert proxy.connections >= 3
    assert proxy.counts() == {}


def test_a_held_push_is_answered_by_head_office_and_its_terminal_never_hears(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    terminal = "01900000-0000-7000-8000-0000000000aa"
    held: list[str] = []
    proxy.hold_next_push(held.append)  # the harness SIGKILLs the terminal here

    with _client(proxy) as client:
        assert client.get("/v1/pull").status_code == 200  # not a push: passes
        with pytest.raises(httpx.TransportError):
            client.post(
                "/v1/push", content=b"ops", headers={"Authorization": f"Bearer {terminal}.s3cret"}
            )

    assert held == [terminal]
    assert [path for _, path, _ in _fence(proxy, upstream)] == ["/v1/pull", "/v1/push"]
    assert proxy.counts() == {"held_push": 1}
