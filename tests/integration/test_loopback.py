"""TDP/1 over real sockets on 127.0.0.1: the asyncio client and server drivers end to end.

A stub platform lives in this file only: it authenticates, echoes what it receives into queues the
tests read, and answers every request. Malformed input is sent with a raw websockets client.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

from protocols.aio.client import ConnectionClosed, RequestError, TrunkingClient
from protocols.aio.server import Connection, TrunkingServer
from protocols.codec import decode, encode
from protocols.constants import (
    MAX_CONSECUTIVE_ERRORS,
    MAX_MESSAGE_BYTES,
    MAX_TEXT_CHARS,
    SUBPROTOCOL,
    CloseCode,
)
from protocols.machines.session_events import PeerSilent, SessionEvent, StaleMessage
from protocols.messages import (
    MESSAGE_TYPES,
    Answer,
    Bye,
    CallRelease,
    Error,
    FloorRequest,
    Hello,
    Message,
    Notification,
    Ok,
    Ping,
    Pong,
    PresenceUpdate,
    Request,
    TerminalInfo,
    TextSend,
    Welcome,
    tag_of,
)

pytestmark = pytest.mark.integration

EPOCH = 3
PASSWORD = "pw"


# ----- one instance of every message class ----------------------------------------------------


def _sample_value(t: msgspec.inspect.Type, name: str) -> Any:
    """A non-default value of type ``t``, so that every field travels (defaults are omitted on the wire)."""
    if isinstance(t, msgspec.inspect.StrType):
        return f"{name}-1"
    if isinstance(t, msgspec.inspect.BoolType):
        return True
    if isinstance(t, msgspec.inspect.IntType):
        return 7
    if isinstance(t, msgspec.inspect.FloatType):
        return 12.5
    if isinstance(t, msgspec.inspect.LiteralType):
        return t.values[-1]
    if isinstance(t, msgspec.inspect.UnionType):
        return _sample_value(next(u for u in t.types if not isinstance(u, msgspec.inspect.NoneType)), name)
    if isinstance(t, msgspec.inspect.ListType):
        return [_sample_value(t.item_type, name)]
    if isinstance(t, msgspec.inspect.DictType):
        return {"detail": f"{name}-1", "count": 2}
    if isinstance(t, msgspec.inspect.StructType):
        return sample(t.cls)
    raise NotImplementedError(f"no sample for {t!r}")


def sample(cls: type[Any]) -> Any:
    """An instance of ``cls`` with every field set; session fields (id, epoch, re) left for the session."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    session_fields = ("id", "epoch", "re") if issubclass(cls, Message) else ()
    values = {f.name: _sample_value(f.type, f.name) for f in info.fields if f.name not in session_fields}
    if issubclass(cls, Request):
        values["id"] = 0
        values.pop("key", None)
    return cls(**values)


#: Every request type a client sends after the hello.
REQUEST_TYPES = [c for c in MESSAGE_TYPES.values() if issubclass(c, Request) and c is not Hello]
#: Every notification an application exchanges (heartbeats and bye belong to the session: tested apart).
NOTIFICATION_TYPES = [c for c in MESSAGE_TYPES.values()
                      if issubclass(c, Notification) and c not in (Ping, Pong, Bye)]


# ----- the stub platform ----------------------------------------------------------------------


class EchoPlatform:
    """A test double of the platform: records what it receives, answers every request."""

    def __init__(self, epoch: int = EPOCH, instance: str = "a") -> None:
        self.epoch = epoch
        self.instance = instance
        self.hellos: list[Hello] = []
        self.requests: asyncio.Queue[Request] = asyncio.Queue()
        self.notifications: asyncio.Queue[Notification] = asyncio.Queue()
        self.disconnects: asyncio.Queue[tuple[Connection, int | None]] = asyncio.Queue()
        #: answers by idempotency key, instead of the default echo
        self.answers: dict[str, Ok | Error] = {}
        #: handlers that park here until the test releases them
        self.release = asyncio.Event()
        self.finished: asyncio.Queue[int] = asyncio.Queue()
        self.welcome_extra: dict[str, Any] = {}
        self.issued_tokens: set[str] = set()

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        self.hellos.append(hello)
        if hello.secret != PASSWORD:
            return Error(code=401, reason="wrong password")
        token = f"tok-{len(self.hellos)}"
        self.issued_tokens.add(token)
        return Welcome(version=1, session=f"s-{len(self.hellos)}", resume_token=token,
                       resumed=hello.resume in self.issued_tokens, instance=self.instance, role="active",
                       heartbeat_ms=0, loss_threshold=0, **self.welcome_extra)

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:

        return None  # every request through on_request


    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        await self.requests.put(request)
        if request.key == "park":
            await self.release.wait()
            self.finished.put_nowait(request.id)
        if request.key == "crash":
            raise RuntimeError("handler bug")
        if request.key in self.answers:
            return self.answers[request.key]
        return Ok(result={"tag": tag_of(request)})

    def on_notification(self, conn: Connection, message: Notification) -> None:
        self.notifications.put_nowait(message)

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        self.disconnects.put_nowait((conn, code))


def hello(ident: str = "alice", secret: str = PASSWORD, **kwargs: Any) -> Hello:
    return Hello(id=0, versions=[1], role="console", ident=ident, secret=secret, **kwargs)


async def within(awaitable: Any, seconds: float = 5.0) -> Any:
    async with asyncio.timeout(seconds):
        return await awaitable


@pytest.fixture
async def platform() -> AsyncIterator[tuple[EchoPlatform, TrunkingServer]]:
    app = EchoPlatform()
    # a generous loss threshold: these tests share two cores with others and must not see false silence
    server = TrunkingServer(app, heartbeat_interval=0.1, loss_threshold=20)
    await server.start()
    yield app, server
    await server.stop()


@pytest.fixture
async def client(platform: tuple[EchoPlatform, TrunkingServer]) -> AsyncIterator[TrunkingClient]:
    _, server = platform
    client = await TrunkingClient.connect(server.url, hello())
    yield client
    await client.close()


# ----- every message family -------------------------------------------------------------------


async def test_hello_and_welcome_arrive_intact(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    app, server = platform
    app.welcome_extra = {"dispatcher_role": "train_dispatch", "groups": ["g1", "g2"],
                         "permissions": ["override"]}
    sent = hello(terminal_kind="console", heartbeat_ms=100, agent="tests/1.0")
    client = await TrunkingClient.connect(server.url, sent)
    try:
        assert app.hellos == [msgspec.structs.replace(sent, id=1)]
        assert client.welcome == Welcome(
            epoch=EPOCH, re=1, version=1, session="s-1", resume_token="tok-1", instance="a", role="active",
            heartbeat_ms=100, loss_threshold=20, dispatcher_role="train_dispatch", groups=["g1", "g2"],
            permissions=["override"],
        )
        assert client.epoch == EPOCH
        assert client.session.heartbeat_interval == 0.1
    finally:
        await client.close()


async def test_every_request_type_is_delivered_and_answered(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, _ = platform
    for cls in REQUEST_TYPES:
        sent = sample(cls)
        ok = await within(client.request(sent))
        received = app.requests.get_nowait()
        assert received == msgspec.structs.replace(sent, id=received.id, epoch=EPOCH), tag_of(cls)
        assert ok == Ok(result={"tag": tag_of(cls)}, re=received.id, epoch=EPOCH)


async def test_ok_and_error_answers_arrive_intact(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, _ = platform
    app.answers = {"ok": sample(Ok), "error": sample(Error)}
    ok = await within(client.request(CallRelease(id=0, call="c1", key="ok")))
    assert ok == msgspec.structs.replace(sample(Ok), re=ok.re, epoch=EPOCH)
    assert ok.replayed is True and ok.result == {"detail": "result-1", "count": 2}
    with pytest.raises(RequestError) as info:
        await within(client.request(CallRelease(id=0, call="c1", key="error")))
    assert info.value.error == msgspec.structs.replace(sample(Error), re=info.value.error.re, epoch=EPOCH)


async def test_every_notification_type_travels_both_ways(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, server = platform
    [conn] = server.connections
    for cls in NOTIFICATION_TYPES:
        message = sample(cls)
        client.notify(message)
        conn.send(message)
    for cls in NOTIFICATION_TYPES:
        expected = msgspec.structs.replace(sample(cls), epoch=EPOCH)
        assert await within(app.notifications.get()) == expected, tag_of(cls)
        assert await within(client.next_message()) == expected, tag_of(cls)


async def test_heartbeats_measure_rtt(client: TrunkingClient) -> None:
    async with asyncio.timeout(5):
        while client.rtt is None:  # noqa: ASYNC110  (a measurement, not an event: poll it)
            await asyncio.sleep(0.05)
    assert 0 < client.rtt < 1


async def test_bye_ends_the_session_both_ways(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    app, server = platform
    client = await TrunkingClient.connect(server.url, hello())
    await within(client.close())
    assert await within(app.notifications.get()) == Bye(epoch=EPOCH)
    _, code = await within(app.disconnects.get())
    assert code == CloseCode.NORMAL

    client = await TrunkingClient.connect(server.url, hello())
    [conn] = server.connections
    await within(conn.close(CloseCode.DEPOSED, "instance b is active"))
    assert await within(client.next_message()) == Bye(reason="instance b is active", epoch=EPOCH)
    with pytest.raises(ConnectionClosed):
        await within(client.next_message())
    assert client.closed and client.close_code == CloseCode.DEPOSED


async def test_broadcast_reaches_the_chosen_sessions(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    _, server = platform
    alice = await TrunkingClient.connect(server.url, hello("alice"))
    bob = await TrunkingClient.connect(server.url, hello("bob"))
    try:
        update = PresenceUpdate(terminal=TerminalInfo(id="train-0101", kind="train", presence="registered"))
        assert server.broadcast(update, where=lambda c: c.principal == "bob") == 1
        assert await within(bob.next_message()) == msgspec.structs.replace(update, epoch=EPOCH)
        assert server.broadcast(update) == 2
        assert await within(alice.next_message()) == msgspec.structs.replace(update, epoch=EPOCH)
    finally:
        await alice.close()
        await bob.close()


# ----- the handshake going wrong --------------------------------------------------------------


async def test_wrong_password_is_refused_401_and_closed_4001(
    platform: tuple[EchoPlatform, TrunkingServer],
) -> None:
    app, server = platform
    with pytest.raises(RequestError) as info:
        await TrunkingClient.connect(server.url, hello(secret="guess"))
    assert info.value.error.code == 401
    _, code = await within(app.disconnects.get())
    assert code == CloseCode.AUTH_FAILED


async def test_no_common_version_is_refused_426(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    app, server = platform
    with pytest.raises(RequestError) as info:
        await TrunkingClient.connect(server.url, Hello(id=0, versions=[9], role="console", ident="alice"))
    assert info.value.error.code == 426
    _, code = await within(app.disconnects.get())
    assert code == CloseCode.UNSUPPORTED_VERSION
    assert app.hellos == []  # refused by the session before the platform was asked


async def test_resumption_token_is_honoured(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    _, server = platform
    first = await TrunkingClient.connect(server.url, hello())
    token = first.welcome.resume_token
    await first.close()
    second = await TrunkingClient.connect(server.url, hello(resume=token))
    try:
        assert second.welcome.resumed is True
    finally:
        await second.close()


async def test_unreachable_server_raises_oserror() -> None:
    app = EchoPlatform()
    server = TrunkingServer(app)
    await server.start()
    url = server.url
    await server.stop()
    with pytest.raises(OSError):
        await TrunkingClient.connect(url, hello(), open_timeout=2)


async def test_client_without_the_subprotocol_is_told_426_and_closed_4002(
    platform: tuple[EchoPlatform, TrunkingServer],
) -> None:
    app, server = platform
    ws = await ws_connect(server.url)  # offers no subprotocol: the handshake still completes
    try:
        assert ws.subprotocol is None
        await ws.send(encode(Hello(id=1, versions=[1], role="terminal", ident="raw", secret=PASSWORD)), text=True)
        answer = await raw_answer(ws)
        assert isinstance(answer, Error) and (answer.code, answer.re) == (426, 1)
        with pytest.raises(websockets.ConnectionClosed) as info:
            await within(ws.recv())
        assert info.value.rcvd is not None and info.value.rcvd.code == CloseCode.UNSUPPORTED_VERSION
        assert app.hellos == []
    finally:
        await ws.close()


# ----- requests going wrong -------------------------------------------------------------------


async def test_slow_handler_blocks_neither_heartbeats_nor_other_requests(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, _ = platform
    parked = asyncio.ensure_future(client.request(CallRelease(id=0, call="c1", key="park")))
    await within(app.requests.get())
    # several loss thresholds pass while the handler is parked; the session must stay up
    for _ in range(3):
        assert await within(client.request(FloorRequest(id=0, group="g1")))
        await asyncio.sleep(0.1)
    assert not parked.done() and not client.closed
    app.release.set()
    assert (await within(parked)).result == {"tag": "call.release"}


async def test_unanswered_request_times_out_504_and_the_session_stays_up(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, _ = platform
    with pytest.raises(RequestError) as info:
        await within(client.request(CallRelease(id=0, call="c1", key="park"), timeout=0.2))
    assert info.value.error.code == 504
    assert await within(client.request(FloorRequest(id=0, group="g1")))
    app.release.set()


async def test_handler_exception_is_answered_500_and_the_session_stays_up(client: TrunkingClient) -> None:
    with pytest.raises(RequestError) as info:
        await within(client.request(CallRelease(id=0, call="c1", key="crash")))
    assert info.value.error.code == 500
    assert await within(client.request(FloorRequest(id=0, group="g1")))


async def test_request_too_large_to_send_fails_locally_413(client: TrunkingClient) -> None:
    with pytest.raises(RequestError) as info:
        await client.request(TextSend(id=0, text="x" * MAX_MESSAGE_BYTES))
    assert info.value.error.code == 413
    assert await within(client.request(FloorRequest(id=0, group="g1")))


async def test_client_vanishing_mid_request_leaves_the_server_serving(
    platform: tuple[EchoPlatform, TrunkingServer],
) -> None:
    app, server = platform
    client = await TrunkingClient.connect(server.url, hello())
    parked = asyncio.ensure_future(client.request(CallRelease(id=0, call="c1", key="park")))
    parked_request = await within(app.requests.get())
    await within(client.abort())  # the console's process dies
    with pytest.raises(ConnectionClosed):
        await within(parked)
    assert [r.id for r in client.session.unacknowledged()] == [parked_request.id]
    await within(app.disconnects.get())
    app.release.set()
    assert await within(app.finished.get()) == parked_request.id
    await asyncio.sleep(0.05)  # let the late answer hit the closed session
    other = await TrunkingClient.connect(server.url, hello("bob"))
    try:
        assert await within(other.request(FloorRequest(id=0, group="g1")))
    finally:
        await other.close()


# ----- epochs ---------------------------------------------------------------------------------


async def test_superseded_instance_refuses_requests_410_and_its_messages_are_dropped(
    platform: tuple[EchoPlatform, TrunkingServer], client: TrunkingClient
) -> None:
    app, server = platform
    stale: list[Message] = []
    stale_presence = asyncio.Event()

    def watch(event: SessionEvent) -> None:
        if isinstance(event, StaleMessage):
            stale.append(event.message)
            if isinstance(event.message, PresenceUpdate):
                stale_presence.set()

    client.on_event = watch
    client.session.raise_epoch(EPOCH + 1)  # the console has heard from a newer active elsewhere
    # the old instance refuses with 410; the client drops that answer too (its epoch is older), so the
    # request's outcome stays unknown until its timeout (SPEC.md §4.5, §7.2)
    with pytest.raises(RequestError) as info:
        await within(client.request(FloorRequest(id=0, group="g1"), timeout=0.3))
    assert info.value.error.code == 504
    [refusal] = [m for m in stale if isinstance(m, Error)]
    assert (refusal.code, refusal.re, refusal.epoch) == (410, info.value.error.re, EPOCH)
    assert refusal.reason == f"instance epoch {EPOCH} is older than {EPOCH + 1}"
    assert app.requests.empty()  # and the platform never saw it
    [conn] = server.connections
    conn.send(PresenceUpdate(terminal=TerminalInfo(id="from-old-epoch", kind="handset")))
    await within(stale_presence.wait())  # dropped, never delivered

    app.epoch = EPOCH + 1  # this instance is promoted: it now speaks the newer epoch
    assert await within(client.request(FloorRequest(id=0, group="g1")))
    conn.send(PresenceUpdate(terminal=TerminalInfo(id="from-new-epoch", kind="handset")))
    delivered = await within(client.next_message())
    assert isinstance(delivered, PresenceUpdate)
    assert (delivered.terminal.id, delivered.epoch) == ("from-new-epoch", EPOCH + 1)


# ----- malformed input from a raw WebSocket ---------------------------------------------------


async def raw_connect(server: TrunkingServer) -> ClientConnection:
    return await ws_connect(server.url, subprotocols=[Subprotocol(SUBPROTOCOL)], max_size=None,
                            ping_interval=None, compression=None)


async def raw_answer(ws: ClientConnection) -> Answer:
    """The next answer from the server, keeping the heartbeat going meanwhile."""
    while True:
        message = decode(await within(ws.recv(decode=False)))
        if isinstance(message, Ping):
            await ws.send(encode(Pong(seq=message.seq)), text=True)
        elif isinstance(message, Answer):
            return message


async def raw_session(server: TrunkingServer) -> ClientConnection:
    ws = await raw_connect(server)
    await ws.send(encode(Hello(id=1, versions=[1], role="terminal", ident="raw", secret=PASSWORD)), text=True)
    assert isinstance(await raw_answer(ws), Welcome)
    return ws


BAD_INPUT: list[tuple[str, Callable[[], bytes], bool, int, int | None]] = [
    ("malformed JSON", lambda: b'{"t": "call.release", "id": 5, "call": ', False, 400, None),
    ("text over its limit", lambda: encode(TextSend(id=6, text="x" * (MAX_TEXT_CHARS + 1))), False, 413, 6),
    ("unknown type", lambda: b'{"t": "teleport", "id": 7}', False, 415, 7),
    ("epoch above the server's", lambda: encode(CallRelease(id=8, call="c1", epoch=EPOCH + 1)), False, 410, 8),
    ("reused id", lambda: encode(CallRelease(id=2, call="c1")), False, 423, 2),
    ("valid request in a binary frame", lambda: encode(CallRelease(id=9, call="c1")), True, 400, None),
]


@pytest.mark.parametrize(("payload", "binary", "code", "re"), [b[1:] for b in BAD_INPUT],
                         ids=[b[0] for b in BAD_INPUT])
async def test_bad_input_is_answered_and_the_session_stays_up(
    platform: tuple[EchoPlatform, TrunkingServer], payload: Callable[[], bytes], binary: bool, code: int,
    re: int | None,
) -> None:
    app, server = platform
    ws = await raw_session(server)
    try:
        await ws.send(encode(CallRelease(id=2, call="c0")), text=True)  # id 2 is now used
        assert isinstance(await raw_answer(ws), Ok)
        await ws.send(payload(), text=not binary)
        answer = await raw_answer(ws)
        assert isinstance(answer, Error)
        assert (answer.code, answer.re) == (code, re)
        await ws.send(encode(CallRelease(id=20, call="c1")), text=True)
        assert await raw_answer(ws) == Ok(re=20, result={"tag": "call.release"}, epoch=EPOCH)
        assert [r.id for r in (app.requests.get_nowait(), app.requests.get_nowait())] == [2, 20]
    finally:
        await ws.close()


async def test_request_before_hello_is_refused_401_and_hello_still_works(
    platform: tuple[EchoPlatform, TrunkingServer],
) -> None:
    _, server = platform
    ws = await raw_connect(server)
    try:
        await ws.send(encode(CallRelease(id=1, call="c1")), text=True)
        answer = await raw_answer(ws)
        assert isinstance(answer, Error) and (answer.code, answer.re) == (401, 1)
        second_hello = Hello(id=2, versions=[1], role="terminal", ident="raw", secret=PASSWORD)
        await ws.send(encode(second_hello), text=True)
        assert isinstance(await raw_answer(ws), Welcome)
    finally:
        await ws.close()


async def test_frame_over_the_limit_closes_1009(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    app, server = platform
    ws = await raw_session(server)
    await ws.send(b"x" * (MAX_MESSAGE_BYTES + 1), text=True)
    with pytest.raises(websockets.ConnectionClosedError) as info:
        while True:
            await within(ws.recv())
    assert info.value.rcvd is not None and info.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG
    _, code = await within(app.disconnects.get())
    assert code == CloseCode.MESSAGE_TOO_BIG


async def test_too_many_errors_in_a_row_close_4007(platform: tuple[EchoPlatform, TrunkingServer]) -> None:
    _, server = platform
    ws = await raw_session(server)
    for _ in range(MAX_CONSECUTIVE_ERRORS):
        await ws.send(b"garbage", text=True)
    errors = 0
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            if isinstance(decode(await within(ws.recv(decode=False))), Error):
                errors += 1
    assert errors == MAX_CONSECUTIVE_ERRORS
    assert info.value.rcvd is not None and info.value.rcvd.code == CloseCode.TOO_MANY_ERRORS


async def test_no_hello_in_time_closes_4006() -> None:
    server = TrunkingServer(EchoPlatform(), hello_timeout=0.2)
    await server.start()
    try:
        ws = await raw_connect(server)
        with pytest.raises(websockets.ConnectionClosed) as info:
            await within(ws.recv())
        assert info.value.rcvd is not None and info.value.rcvd.code == CloseCode.HELLO_TIMEOUT
    finally:
        await server.stop()


# ----- heartbeat loss, through a proxy the test can freeze ------------------------------------


class FreezableProxy:
    """A TCP relay on 127.0.0.1 that stops forwarding in both directions while frozen."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self.thawed.set()
        for writer in self._writers:
            writer.close()
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [client_writer, server_writer]
        await asyncio.gather(self._pipe(client_reader, server_writer),
                             self._pipe(server_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                await self.thawed.wait()
                writer.write(data)
                await writer.drain()
        writer.close()


async def test_frozen_link_is_detected_by_both_sides_and_pending_requests_are_kept() -> None:
    app = EchoPlatform()
    server = TrunkingServer(app, heartbeat_interval=0.1, loss_threshold=3)
    await server.start()
    proxy = FreezableProxy(server.port)
    await proxy.start()
    try:
        client = await TrunkingClient.connect(f"ws://127.0.0.1:{proxy.port}", hello())
        events: list[SessionEvent] = []
        client.on_event = events.append
        assert await within(client.request(FloorRequest(id=0, group="g1")))

        proxy.thawed.clear()
        frozen_at = asyncio.get_running_loop().time()
        pending = asyncio.ensure_future(client.request(CallRelease(id=0, call="c1", key="k-1")))
        with pytest.raises(ConnectionClosed):
            await within(pending)
        detected_after = asyncio.get_running_loop().time() - frozen_at
        [silent] = [e for e in events if isinstance(e, PeerSilent)]
        assert 0.3 <= silent.silent_for < 1.0
        assert detected_after < 3.0
        assert [(r.key, r.call) for r in client.session.unacknowledged()] == [("k-1", "c1")]

        _, code = await within(app.disconnects.get())
        assert code == CloseCode.HEARTBEAT_TIMEOUT
        assert app.requests.qsize() == 1  # the frozen request never reached the platform
    finally:
        await proxy.stop()
        await server.stop()


# ----- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


async def test_wss_with_a_self_signed_certificate(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    server = TrunkingServer(EchoPlatform(), ssl=server_tls)
    await server.start()
    try:
        assert server.url.startswith("wss://")
        client = await TrunkingClient.connect(server.url, hello(), ssl=client_tls)
        assert await within(client.request(FloorRequest(id=0, group="g1")))
        await client.close()
        with pytest.raises(OSError):  # the system trust store does not know the certificate
            await TrunkingClient.connect(server.url, hello(), ssl=ssl.create_default_context())
    finally:
        await server.stop()


def test_every_message_class_is_exercised() -> None:
    covered = {Hello, Welcome, Ok, Error, Ping, Pong, Bye, *REQUEST_TYPES, *NOTIFICATION_TYPES}
    assert covered == set(MESSAGE_TYPES.values())
    assert all(isinstance(sample(cls), cls) for cls in MESSAGE_TYPES.values())
    assert all(isinstance(sample(cls), Message) for cls in MESSAGE_TYPES.values())
