"""Fixtures for integration tests: the real reference platform on loopback and real protocol clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from protocols.aio.client import ConnectionClosed, TrunkingClient
from protocols.messages import Hello, Message, Notification, Ok, Request
from testbed.line import Line, default_line_path, load_line
from testbed.platform.server import PlatformServer

#: demo-only credentials of the sample line (docs/line-format.md, "Sample accounts")
TERMINAL_SECRET = "demo-terminal"
DISPATCHER_PASSWORD = "demo"

M = TypeVar("M", bound=Message)


@pytest.fixture(scope="session")
def sample_line() -> Line:
    return load_line(default_line_path())


class Peer:
    """A connected client that keeps every notification it receives, for tests to wait on."""

    def __init__(self, client: TrunkingClient, ident: str) -> None:
        self.client = client
        self.ident = ident
        self.inbox: list[Message] = []
        self._arrived = asyncio.Condition()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
            while True:
                message = await self.client.next_message()
                async with self._arrived:
                    self.inbox.append(message)
                    self._arrived.notify_all()

    async def request(self, request: Request, **kw: Any) -> Ok:
        return await self.client.request(request, **kw)

    def notify(self, message: Notification) -> None:
        self.client.notify(message)

    def received(self, cls: type[M], where: Callable[[M], bool] | None = None, **fields: Any) -> list[M]:
        return [m for m in self.inbox if isinstance(m, cls)
                and all(getattr(m, k) == v for k, v in fields.items()) and (where is None or where(m))]

    async def expect(self, cls: type[M], timeout: float = 3.0, where: Callable[[M], bool] | None = None,
                     **fields: Any) -> M:
        """The first received `cls` whose fields equal ``fields`` (and satisfying ``where``), waiting up to
        ``timeout`` seconds."""

        async def found() -> M:
            async with self._arrived:
                while True:
                    hits = self.received(cls, where, **fields)
                    if hits:
                        return hits[0]
                    await self._arrived.wait()

        try:
            return await asyncio.wait_for(found(), timeout)
        except TimeoutError:
            seen = [type(m).__name__ for m in self.inbox[-12:]]
            raise AssertionError(f"{self.ident}: no {cls.__name__} {fields} within {timeout}s; last: {seen}") from None

    def forget(self) -> None:
        self.inbox.clear()

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.client.close()


Connect = Callable[..., Awaitable[Peer]]


@pytest.fixture
async def platform(sample_line: Line) -> AsyncIterator[PlatformServer]:
    server = PlatformServer(sample_line, port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def connect(platform: PlatformServer, sample_line: Line) -> AsyncIterator[Connect]:
    """Connect a terminal (by id) or a dispatcher (by user name) to the platform."""
    peers: list[Peer] = []

    async def _connect(ident: str, *, secret: str | None = None, url: str | None = None) -> Peer:
        if ident in sample_line.dispatchers:
            hello = Hello(id=0, versions=[1], role="console", ident=ident, secret=secret or DISPATCHER_PASSWORD)
        else:
            kind = sample_line.terminals[ident].kind
            hello = Hello(id=0, versions=[1], role="terminal", ident=ident, terminal_kind=kind,
                          secret=secret or TERMINAL_SECRET)
        client = await TrunkingClient.connect(url or platform.url, hello)
        peer = Peer(client, ident)
        peers.append(peer)
        return peer

    yield _connect
    for peer in peers:
        with contextlib.suppress(Exception):
            await peer.close()
