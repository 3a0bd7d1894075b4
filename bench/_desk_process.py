"""The bench's end of a desk run in a process of its own (bench/_desk.py): orders down a pipe, answers back.

The desk benches (bench_desk, bench_plots) start the real desk in a spawned process, so that its GUI thread has
a process to itself as on a dispatcher's PC, and drive it with orders (``begin``/``end`` a measurement window,
and orders of their own); the desk answers each with a tuple whose last item is the answer, or
``("error", why)``. Every wait has a deadline: a desk that fails, dies or stays silent ends the bench with
`DeskFailed`, and `stop` always ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bench._procs import BenchError

__all__ = ["DeskFailed", "DeskProcess"]


class DeskFailed(BenchError):
    """The desk process reported an error, ended or did not answer in time."""


class DeskProcess:
    """``target(run, conn)`` in a spawned process, talked to over ``conn``.

    ``daemon`` only for a desk that starts no processes of its own (a daemon process may not: no media engine).
    """

    def __init__(self, target: Callable[[Any, Connection], None], run: Any, *, name: str, timeout: float,
                 daemon: bool = False) -> None:
        self.timeout = timeout
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=target, args=(run, theirs), name=name, daemon=daemon)
        self.process.start()
        theirs.close()

    async def receive(self, what: str, timeout: float | None = None) -> tuple[Any, ...]:
        """The desk's next message (within ``timeout``, by default the one given at the start)."""
        wait_for = self.timeout if timeout is None else timeout

        def wait() -> tuple[Any, ...]:
            try:
                if self.conn.poll(wait_for):
                    message: tuple[Any, ...] = self.conn.recv()
                    return message
            except (EOFError, OSError):
                return ("error", "the desk process exited without a word (see its log above)")
            return ("error", f"no {what} within {wait_for:.0f} s")

        message = await asyncio.to_thread(wait)
        if message[0] == "error":
            raise DeskFailed(f"desk failed ({what}): {message[1]}")
        return message

    async def ask(self, order: tuple[Any, ...] | None, what: str, timeout: float | None = None) -> Any:
        """Send ``order`` (None: nothing, only wait) and return the answer: the last item of the desk's reply."""
        if order is not None:
            self.conn.send(order)
        return (await self.receive(what, timeout))[-1]

    def begin(self, name: str) -> None:
        """Open the measurement window ``name``."""
        self.conn.send(("begin", name))

    async def end(self, name: str) -> dict[str, Any]:
        """Close the window ``name``; what the desk measured in it."""
        result: dict[str, Any] = await self.ask(("end", name), f"measurement {name!r}")
        return result

    async def measure(self, name: str, seconds: float) -> dict[str, Any]:
        """A window ``name`` of ``seconds``."""
        self.begin(name)
        await asyncio.sleep(seconds)
        return await self.end(name)

    def stop(self, timeout: float = 20.0) -> int | None:
        """Ask the desk to close, then terminate, then kill it; its exit code."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.process.join(timeout)
        for end in (self.process.terminate, self.process.kill):
            if self.process.is_alive():
                end()
                self.process.join(5.0)
        self.conn.close()
        return self.process.exitcode
