"""The TDP/1 server's WebSocket layer (`protocols.aio.wsserver` under `protocols.aio.server`), over real loopback
sockets with websockets' own asyncio client, on asyncio's event loop and on uvloop (the platform's).

Handshake with and without the ``tdp.v1`` subprotocol, fragments, size and UTF-8 limits, ping/pong, the close
handshake in both directions (and its time limit), a client that stops reading (held output, then the bound),
TLS, bytes that are no HTTP request, and a failing app that costs only its own connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from protocols.aio import wsserver
from protocols.aio.server import Connection, TrunkingServer
from protocols.aio.tls import ssl_context
from protocols.codec import decode, encode
from protocols.constants import MAX_MESSAGE_BYTES, SUBPROTOCOL, CloseCode, ErrorCode
from protocols.messages import (
    Answer,
    Bye,
    Error,
    Hello,
    Message,
    Notification,
    Ok,
    Request,
    StatusSet,
    Welcome,
)
from testbed.tls import make_test_certificates

pytestmark = pytest.mark.integration

Scenario = Callable[[], Coroutine[Any, Any, None]]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Iterator[Callable[[Scenario], None]]:
    """Runs a scenario on a fresh loop of the kind in the test's id."""
    factory = uvloop.new_event_loop if request.param == "uvloop" else None

    def runner(scenario: Scenario) -> None:
        with asyncio.Runner(loop_factory=factory) as loop_runner:
            loop_runner.run(scenario())

    yield runner


class App:
    """A `ServerApp` that welcomes everyone and answers every request at once with its id; it records what
    the server tells it."""

    instance = "ws-test"

    def __init__(self) -> None:
        self._epoch = 1
        self.disconnects: list[tuple[Connection, int | None]] = []
        self.disconnected = asyncio.Event()
        self.fail_epoch_once = False

    @property
    def epoch(self) -> int:
        if self.fail_epoch_once:
            self.fail_epoch_once = False
            raise RuntimeError("the app broke")
        return self._epoch

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        return Welcome(version=1, session="s", resume_token="t", instance=self.instance, role="active",
                       heartbeat_ms=0, loss_threshold=0)

    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        return Ok(result={"id": request.id})

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:
        return Ok(result={"id": request.id})

    def on_notification(self, conn: Connection, message: Notification) -> None:
        pass

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        self.disconnects.append((conn, code))
        self.disconnected.set()

    async def disconnect_of(self, conn: Connection, timeout: float = 5.0) -> int | None:
        async def wait() -> int | None:
            while True:
                for gone, code in self.disconnects:
                    if gone is conn:
                        return code
                self.disconnected.clear()
                await self.disconnected.wait()
        return await asyncio.wait_for(wait(), timeout)


def hello(ident: str = "T-1") -> str:
    return encode(Hello(id=1, versions=[1], role="terminal", ident=ident)).decode()


async def answer_to(ws: ClientConnection, request_id: int, timeout: float = 5.0) -> Answer:
    """The answer to ``request_id`` (notifications before it are skipped)."""
    async def wait() -> Answer:
        while True:
            message: Message = decode(await ws.recv())
            if isinstance(message, Answer) and message.re == request_id:
                return message
    return await asyncio.wait_for(wait(), timeout)


async def serving(app: App, **kwargs: Any) -> TrunkingServer:
    server = TrunkingServer(app, heartbeat_interval=30.0, **kwargs)  # type: ignore[arg-type]
    await server.start()
    return server


async def welcomed(server: TrunkingServer, ident: str = "T-1", **kwargs: Any) -> tuple[ClientConnection, Connection]:
    """A client past its hello, and its connection on the server."""
    ws = await connect(server.url, subprotocols=[Subprotocol(SUBPROTOCOL)], **kwargs)
    await ws.send(hello(ident))
    assert isinstance(await answer_to(ws, 1), Welcome)
    [conn] = [c for c in server.connections if c.principal == ident]
    return ws, conn


async def closed_code(ws: ClientConnection, timeout: float = 5.0) -> int | None:
    """The close code the server sent, once the connection is closed (messages before it are dropped)."""
    async def drain() -> None:
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass
    await asyncio.wait_for(drain(), timeout)
    return ws.close_code


def test_handshake_with_the_subprotocol_then_hello_and_requests(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            assert ws.subprotocol == SUBPROTOCOL
            for request_id in (2, 3, 4):
                await ws.send(encode(StatusSet(id=request_id, status=1)).decode())
                answer = await answer_to(ws, request_id)
                assert isinstance(answer, Ok) and answer.result == {"id": request_id}
            assert conn.remote_address[0] == "127.0.0.1" and "T-1" in repr(conn)
            await ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_without_the_subprotocol_the_handshake_completes_and_the_first_request_gets_426(
        run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws = await connect(server.url)  # offers no subprotocol
            assert ws.subprotocol is None
            await ws.send(hello())
            answer = await answer_to(ws, 1)
            assert isinstance(answer, Error) and answer.code == ErrorCode.UNSUPPORTED_VERSION
            assert await closed_code(ws) == CloseCode.UNSUPPORTED_VERSION
            [(_, code)] = app.disconnects
            assert code == CloseCode.UNSUPPORTED_VERSION
        finally:
            await server.stop()
    run(scenario)


def test_a_fragmented_message_is_assembled(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws = await connect(server.url, subprotocols=[Subprotocol(SUBPROTOCOL)])
            text = hello("fragmented")
            await ws.send([text[:5], text[5:11], text[11:]])  # three frames: text, continuation, continuation
            assert isinstance(await answer_to(ws, 1), Welcome)
            big = encode(StatusSet(id=2, status=1, key="k" * 200)).decode()
            await ws.send(big[i:i + 7] for i in range(0, len(big), 7))
            assert isinstance(await answer_to(ws, 2), Ok)
            await ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_an_oversized_message_closes_with_1009_whole_or_in_fragments(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server, "whole")
            await ws.send("x" * (MAX_MESSAGE_BYTES + 1))
            assert ws.close_code is None or ws.close_code == 1009
            assert await closed_code(ws) == 1009
            assert await app.disconnect_of(conn) == 1009

            ws, conn = await welcomed(server, "fragments")
            await ws.send(["y" * (MAX_MESSAGE_BYTES // 2)] * 3)
            assert await closed_code(ws) == 1009
            assert await app.disconnect_of(conn) == 1009

            ws, conn = await welcomed(server, "still served")  # the server carries on
            await ws.send(encode(StatusSet(id=2, status=1)).decode())
            assert isinstance(await answer_to(ws, 2), Ok)
            await ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_text_that_is_not_utf8_closes_with_1007(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            ws.protocol.send_text(b'{"t": "\xff\xfe"}')  # the client API would not send that
            ws.transport.write(b"".join(ws.protocol.data_to_send()))
            assert await closed_code(ws) == 1007
            assert await app.disconnect_of(conn) == 1007
        finally:
            await server.stop()
    run(scenario)


def test_a_ping_gets_its_pong(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws = await connect(server.url, subprotocols=[Subprotocol(SUBPROTOCOL)])
            latency = await asyncio.wait_for(await ws.ping(b"are you there"), 2.0)
            assert latency >= 0
            ws2, _ = await welcomed(server)  # and after the hello as well
            await asyncio.wait_for(await ws2.ping(), 2.0)
            await ws.close()
            await ws2.close()
        finally:
            await server.stop()
    run(scenario)


def test_the_client_closes_and_the_app_hears_its_code(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            await ws.close(4321, "done here")
            assert ws.close_code == 4321  # the server echoed it
            assert await app.disconnect_of(conn) == 4321
            assert conn not in server.connections
            await conn.close()  # closing what is closed already returns at once
        finally:
            await server.stop()
    run(scenario)


def test_the_server_closes_with_a_bye_then_its_code(run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            await asyncio.wait_for(conn.close(CloseCode.GOING_AWAY, "maintenance " + "é" * 100), 5.0)
            assert conn not in server.connections  # close() returned once the connection was down
            assert await app.disconnect_of(conn, 0.1) == CloseCode.GOING_AWAY
            message = decode(await ws.recv())
            assert isinstance(message, Bye)
            assert await closed_code(ws) == CloseCode.GOING_AWAY
            assert ws.close_reason is not None and ws.close_reason.startswith("maintenance é")
            assert len(ws.close_reason.encode()) <= 123
        finally:
            await server.stop()
    run(scenario)


def test_a_close_the_client_never_answers_is_cut_after_the_close_timeout(
        run: Callable[[Scenario], None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsserver, "CLOSE_TIMEOUT", 0.3)

    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            ws.transport.pause_reading()  # the close frame is never read, so never answered
            started = time.monotonic()
            await asyncio.wait_for(conn.close(CloseCode.GOING_AWAY, "bye"), 3.0)
            assert 0.25 <= time.monotonic() - started < 2.0
            assert await app.disconnect_of(conn) == CloseCode.GOING_AWAY  # ours: we closed first
            ws.transport.abort()
        finally:
            await server.stop()
    run(scenario)


def test_output_held_while_the_client_reads_nothing_arrives_in_order_once_it_reads(
        run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server)
            ws.transport.pause_reading()
            count, held = 400, 0
            for n in range(count):  # 400 × 32 KiB: more than the kernel's buffers take
                conn.send_encoded(f'{{"t":"x","n":{n},"pad":"{"p" * 32_000}"}}'.encode(), app.epoch)
                held = max(held, len(conn._outgoing))
                await asyncio.sleep(0)
            assert held > 0  # the transport did pause writing: frames waited in the connection's queue
            ws.transport.resume_reading()
            seen: list[int] = []
            while len(seen) < count:
                text = await asyncio.wait_for(ws.recv(), 5.0)
                assert isinstance(text, str)
                if text.startswith('{"t":"x"'):
                    seen.append(int(text.split('"n":', 1)[1].split(",", 1)[0]))
            assert seen == list(range(count))
            await ws.send(encode(StatusSet(id=2, status=1)).decode())  # and the connection works on
            assert isinstance(await answer_to(ws, 2), Ok)
            await ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_a_client_that_stops_reading_is_dropped_at_the_bound_without_stalling_others(
        run: Callable[[Scenario], None], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="protocols.aio.wsserver")

    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            stuck_ws, stuck = await welcomed(server, "stuck")
            other_ws, _ = await welcomed(server, "other")
            stuck_ws.transport.pause_reading()
            blob = b'{"t":"x","pad":"' + b"p" * 60_000 + b'"}'

            async def flood() -> int:
                sent = 0
                while stuck in server.connections and sent < 200 * 1024 * 1024:
                    stuck.send_encoded(blob, app.epoch)
                    sent += len(blob)
                    await asyncio.sleep(0)
                return sent

            async def round_trips() -> list[float]:
                times = []
                for request_id in range(2, 40):
                    started = time.monotonic()
                    await other_ws.send(encode(StatusSet(id=request_id, status=1)).decode())
                    assert isinstance(await answer_to(other_ws, request_id, 2.0), Ok)
                    times.append(time.monotonic() - started)
                return times

            sent, times = await asyncio.gather(flood(), round_trips())
            assert await app.disconnect_of(stuck) is None  # aborted: no close handshake with a client that reads none
            assert sent > wsserver.MAX_PENDING_OUTPUT  # not before the bound
            assert max(times) < 1.0
            assert any("reads none; dropping the connection" in r.getMessage() for r in caplog.records)
            await other_ws.send(encode(StatusSet(id=99, status=1)).decode())
            assert isinstance(await answer_to(other_ws, 99), Ok)
            await other_ws.close()
            stuck_ws.transport.abort()
        finally:
            await server.stop()
    run(scenario)


def test_wss(run: Callable[[Scenario], None], tmp_path: Path) -> None:
    pki = make_test_certificates(tmp_path)

    async def scenario() -> None:
        app = App()
        server = await serving(app, ssl=pki.server_context())
        try:
            assert server.url.startswith("wss://")
            ws, conn = await welcomed(server, ssl=ssl_context(pki.ca_file))
            for request_id in (2, 3):
                await ws.send(encode(StatusSet(id=request_id, status=1)).decode())
                assert isinstance(await answer_to(ws, request_id), Ok)
            await asyncio.wait_for(await ws.ping(), 2.0)
            await ws.close(4100)
            assert await app.disconnect_of(conn) == 4100
        finally:
            await server.stop()
    run(scenario)


def test_bytes_that_are_no_websocket_handshake_get_an_http_error(run: Callable[[Scenario], None]) -> None:
    async def raw(payload: bytes, url: str) -> bytes:
        host, port = url.removeprefix("ws://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(payload)
        response = await asyncio.wait_for(reader.read(), 5.0)  # until the server closes
        writer.close()
        return response

    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            assert (await raw(b"\x16\x03\x01garbage, maybe TLS\r\n\r\n", server.url)).startswith(b"HTTP/1.1 400 ")
            assert (await raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", server.url)).startswith(b"HTTP/1.1 426 ")
            assert (await raw(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", server.url)).startswith(b"HTTP/1.1 405 ")
            assert server.connections == [] and app.disconnects == []
            ws, _ = await welcomed(server)  # and the server serves others
            await ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_a_connection_without_handshake_is_dropped_after_the_open_timeout(
        run: Callable[[Scenario], None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsserver, "OPEN_TIMEOUT", 0.2)

    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            host, port = server.url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GET / HTTP/1.1\r\n")  # and nothing more
            assert await asyncio.wait_for(reader.read(), 3.0) == b""  # dropped, without an answer
            writer.close()
        finally:
            await server.stop()
    run(scenario)


def test_a_failing_app_costs_only_its_own_connection(
        run: Callable[[Scenario], None], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="protocols.aio.wsserver")

    async def scenario() -> None:
        app = App()
        server = await serving(app)
        try:
            ws, conn = await welcomed(server, "unlucky")
            other_ws, _ = await welcomed(server, "other")
            app.fail_epoch_once = True  # the next message fed to a session finds the app broken
            await ws.send(encode(StatusSet(id=2, status=1)).decode())
            assert await app.disconnect_of(conn) is None  # dropped, no close handshake
            assert await closed_code(ws) == 1006  # no close frame: websockets' code for a dropped link
            assert any("dropping the connection" in r.getMessage() and r.exc_info for r in caplog.records)
            await other_ws.send(encode(StatusSet(id=3, status=1)).decode())
            assert isinstance(await answer_to(other_ws, 3), Ok)
            await other_ws.close()
        finally:
            await server.stop()
    run(scenario)


def test_stop_closes_every_connection_with_1001_and_drops_unfinished_handshakes(
        run: Callable[[Scenario], None]) -> None:
    async def scenario() -> None:
        app = App()
        server = await serving(app)
        ws, conn = await welcomed(server)
        host, port = server.url.removeprefix("ws://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\n")
        await asyncio.sleep(0.05)
        await asyncio.wait_for(server.stop(), 5.0)
        assert await app.disconnect_of(conn) == CloseCode.GOING_AWAY
        assert await closed_code(ws) == CloseCode.GOING_AWAY
        assert await asyncio.wait_for(reader.read(), 3.0) == b""
        writer.close()
    run(scenario)
