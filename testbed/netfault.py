"""A TCP proxy on loopback that a test or the testbed can cut, freeze and restore: network faults on demand.

``cut`` closes every connection through it and refuses new ones (a clean partition: peers see resets);
``freeze`` keeps the connections open but stops moving bytes (a silent partition: peers see silence,
as with a pulled cable); ``restore`` heals both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port``."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0,
                 name: str = "proxy") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = port
        self.name = name
        self.state = "open"
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.state = "cut"
        self._flowing.set()
        for a, b in list(self._links):
            a.transport.abort()
            b.transport.abort()
        self._links.clear()
        log.info("%s: cut", self.name)

    def freeze(self) -> None:
        """Keep connections open but move no bytes (and accept new connections that go nowhere)."""
        self.state = "frozen"
        self._flowing.clear()
        log.info("%s: frozen", self.name)

    def restore(self) -> None:
        self.state = "open"
        self._flowing.set()
        log.info("%s: restored", self.name)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state == "cut":
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self._links.add(link)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pipe(src, dst, link))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                if link not in self._links:
                    break
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._links.discard(link)
            for w in link:
                w.transport.abort()
