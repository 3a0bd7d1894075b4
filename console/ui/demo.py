"""The demo's testbed for the desk: `trunkdesk demo --headless` (the dual-live pair and the simulated line) run
as a child process, so that the simulated fleet never competes with painting on the GUI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

logger = logging.getLogger(__name__)

#: the demo's dispatcher (docs/line-format.md, "Sample accounts"): demo-only, public credentials
DEMO_USER = "chief"
DEMO_PASSWORD = "demo"


class DemoTestbedError(RuntimeError):
    """The testbed child did not start; the message carries the end of its output."""


class DemoTestbed:
    """Start and stop ``trunkdesk demo --headless`` and learn the URLs of instances A and B from its output."""

    def __init__(self, args: Sequence[str] = (), *, instances: int = 2) -> None:
        self.args = list(args)
        self.instances = instances
        self.urls: list[str] = []
        self.output: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listening: asyncio.Event = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self, *, timeout: float = 60.0) -> list[str]:
        """Start the child and wait until every instance listens; the instances' URLs, A first."""
        argv = [sys.executable, "-m", "console.cli", "demo", "--headless", "--quiet", "--port", "0", *self.args]
        logger.info("starting the demo testbed: %s", " ".join(argv))
        self._process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        try:
            await asyncio.wait_for(self._listening.wait(), timeout)
        except TimeoutError:
            await self.stop()
            raise DemoTestbedError("the demo testbed did not start in time:\n" + "\n".join(self.output[-20:])) from None
        if not self.running:
            raise DemoTestbedError("the demo testbed stopped:\n" + "\n".join(self.output[-20:]))
        return list(self.urls)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while raw := await self._process.stdout.readline():
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            del self.output[:-200]
            logger.debug("[testbed] %s", line)
            if line.startswith("listening ") and len(self.urls) < self.instances:
                self.urls.append(line.split(" ", 1)[1].strip())
                if len(self.urls) == self.instances:
                    self._listening.set()
        self._listening.set()  # the child ended: stop waiting (start() reports it)

    async def stop(self, *, timeout: float = 20.0) -> int | None:
        """Stop the child (SIGTERM, then SIGKILL after ``timeout``); its exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                logger.warning("the demo testbed ignored SIGTERM for %.0f s: killing it", timeout)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        logger.info("demo testbed stopped (exit %s)", process.returncode)
        return process.returncode
