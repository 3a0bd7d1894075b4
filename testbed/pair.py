"""The dual-live pair as real processes: witness, instance A and instance B, with fault injection.

Used by `trunkdesk testbed --pair`, the fault tests and the failover benchmark. Every process is a
`trunkdesk platform` or `trunkdesk witness` child of this one; with ``proxies=True`` every link (clients to
each instance, the pair link in each direction, each instance to the witness) runs through a `TcpProxy`
so that partitions can be made on demand. Everything listens on loopback.

With ``tls`` the instances serve clients over ``wss`` with the testbed's certificate (testbed/tls.py); the pair
link and the witness stay plain ``ws``: they are loopback-only here, between processes of one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from testbed.netfault import TcpProxy

if TYPE_CHECKING:
    from testbed.tls import TestCertificates

log = logging.getLogger(__name__)

INSTANCES = ("A", "B")


#: how long a child has to end after SIGTERM, and to be reaped after SIGKILL
STOP_TIMEOUT = 5.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class _Child:
    name: str
    argv: list[str]
    process: asyncio.subprocess.Process | None = None
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None


class PairProcesses:
    """Start, stop and break a dual-live pair of platform processes plus its witness."""

    def __init__(self, *, line: Path | None = None, host: str = "127.0.0.1", base_port: int = 0,
                 proxies: bool = False, log_level: str = "WARNING", extra: list[str] | None = None,
                 tls: TestCertificates | None = None) -> None:
        self.host = host
        self.tls = tls
        self.line = line
        self.proxies_enabled = proxies
        self.log_level = log_level
        self.extra = extra or []
        self.fixed_ports = bool(base_port)
        self._pick_ports(base_port)
        self.proxies: dict[str, TcpProxy] = {}
        self.children: dict[str, _Child] = {}

    def _pick_ports(self, base_port: int) -> None:
        ports = iter(range(base_port, base_port + 5)) if base_port else None
        self.port = {name: next(ports) if ports else free_port(self.host) for name in INSTANCES}
        self.peer_port = {name: next(ports) if ports else free_port(self.host) for name in INSTANCES}
        self.witness_port = next(ports) if ports else free_port(self.host)

    # ----- addresses ----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "wss" if self.tls is not None else "ws"

    def direct_url(self, name: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port[name]}"

    @property
    def urls(self) -> list[str]:
        """Client URLs of A and B (through their client proxies when proxies are on)."""
        if self.proxies_enabled:
            return [self.proxies[f"client-{n}"].url.replace("ws://", f"{self.scheme}://", 1) for n in INSTANCES]
        return [self.direct_url(n) for n in INSTANCES]

    def url(self, name: str) -> str:
        return self.urls[INSTANCES.index(name)]

    # ----- lifecycle -----------------------------------------------------------------------------

    async def start(self, *, timeout: float = 20.0, attempts: int = 3) -> None:
        """Start witness, A, then B. Ports picked free may be taken by someone else before a child binds
        them: then the pair starts again on fresh ports (unless the ports were given)."""
        for attempt in range(attempts):
            try:
                await self._start_once(timeout)
                return
            except RuntimeError as exc:
                if "address already in use" not in str(exc) or self.fixed_ports or attempt == attempts - 1:
                    raise
                log.warning("a port was taken before the pair could bind it; starting again on fresh ports")
                await self.stop()
                self._pick_ports(0)

    async def _start_once(self, timeout: float) -> None:
        if self.proxies_enabled:
            await self._start_proxies()
        self.children["witness"] = _Child("witness", self._witness_argv())
        for name in INSTANCES:
            self.children[name] = _Child(name, self._instance_argv(name))
        await self._spawn(self.children["witness"], "witness ws://", timeout)
        await self._spawn(self.children["A"], f"listening {self.scheme}://", timeout)
        await self._wait_line("A", "role active", timeout)
        await self._spawn(self.children["B"], f"listening {self.scheme}://", timeout)
        await self._wait_line("B", "following", timeout)

    async def stop(self) -> None:
        for child in self.children.values():
            await self._terminate(child)
        for proxy in self.proxies.values():
            await proxy.stop()
        self.proxies.clear()

    def _witness_argv(self) -> list[str]:
        return [sys.executable, "-m", "console.cli", "witness", "--host", self.host, "--port", str(self.witness_port)]

    def _instance_argv(self, name: str) -> list[str]:
        other = INSTANCES[1 - INSTANCES.index(name)]
        if self.proxies_enabled:
            witness = self.proxies[f"witness-{name}"].url
            peer_other = self.proxies[f"peer-{name}-{other}"].url
        else:
            witness = f"ws://{self.host}:{self.witness_port}"
            peer_other = f"ws://{self.host}:{self.peer_port[other]}"
        argv = [sys.executable, "-m", "console.cli", "-v", "platform", "--instance", name,
                "--host", self.host, "--port", str(self.port[name]), "--peer-port", str(self.peer_port[name]),
                "--witness", witness,
                "--peer", f"{name}=ws://{self.host}:{self.peer_port[name]}", "--peer", f"{other}={peer_other}"]
        for n in INSTANCES:
            argv += ["--client", f"{n}={self.url(n)}"]
        if self.line is not None:
            argv += ["--line", str(self.line)]
        if self.tls is not None:
            argv += ["--tls-cert", str(self.tls.cert_file), "--tls-key", str(self.tls.key_file)]
        return argv + self.extra

    async def _start_proxies(self) -> None:
        specs: dict[str, int] = {}
        for name in INSTANCES:
            other = INSTANCES[1 - INSTANCES.index(name)]
            specs[f"client-{name}"] = self.port[name]
            specs[f"witness-{name}"] = self.witness_port
            specs[f"peer-{name}-{other}"] = self.peer_port[other]  # name's link to the other's peer port
        for key, target in specs.items():
            proxy = TcpProxy(self.host, target, host=self.host, name=key)
            await proxy.start()
            self.proxies[key] = proxy

    async def _spawn(self, child: _Child, ready: str, timeout: float) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        child.lines = []
        child.process = await asyncio.create_subprocess_exec(
            *child.argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
            start_new_session=True)
        child.reader = asyncio.get_running_loop().create_task(self._read(child))
        await self._wait_line(child.name, ready, timeout)

    async def _read(self, child: _Child) -> None:
        assert child.process is not None and child.process.stdout is not None
        while True:
            raw = await child.process.stdout.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip()
            child.lines.append(line)
            log.debug("[%s] %s", child.name, line)

    async def _wait_line(self, name: str, needle: str, timeout: float) -> str:
        child = self.children[name]
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while asyncio.get_running_loop().time() < deadline:
            for line in child.lines[seen:]:
                if needle in line:
                    return line
            seen = max(0, len(child.lines) - 1) if child.lines else 0
            if child.process is not None and child.process.returncode is not None:
                raise RuntimeError(f"{name} exited with {child.process.returncode}: {child.lines[-5:]}")
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{name}: no line with {needle!r} within {timeout}s; last: {child.lines[-5:]}")

    async def _terminate(self, child: _Child) -> None:
        """SIGTERM the child's process group (woken first, if paused), SIGKILL it after `STOP_TIMEOUT`; bounded."""
        process = child.process
        if process is not None and process.returncode is None:
            _signal_group(process, signal.SIGCONT)
            _signal_group(process, signal.SIGTERM)
            if not await _ended(process, STOP_TIMEOUT):
                log.warning("%s (pid %d) did not stop on SIGTERM: killed", child.name, process.pid)
                await self._kill(child)
        if child.reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(child.reader, 1)

    async def _kill(self, child: _Child) -> None:
        """SIGKILL the child's process group and wait (bounded) until it is reaped and its output pipe closed.

        The group, not only the child: `Process.wait` (Python 3.11.7 here) also waits for the child's pipes to close,
        so anything in the group holding its stdout would keep the wait from returning."""
        process = child.process
        if process is None or process.returncode is not None:
            return
        _signal_group(process, signal.SIGKILL)
        if not await _ended(process, STOP_TIMEOUT):
            log.error("%s (pid %d): not reaped %.0f s after SIGKILL; its pipe is closed and it is left behind",
                      child.name, process.pid, STOP_TIMEOUT)
            transport = getattr(process, "_transport", None)
            if transport is not None:
                transport.close()

    # ----- faults ---------------------------------------------------------------------------------

    def pid(self, name: str) -> int:
        process = self.children[name].process
        assert process is not None
        return process.pid

    def alive(self, name: str) -> bool:
        process = self.children[name].process
        return process is not None and process.returncode is None

    async def kill(self, name: str) -> None:
        """SIGKILL: the process vanishes without a word."""
        await self._kill(self.children[name])

    def pause(self, name: str) -> None:
        """SIGSTOP: the process is frozen with its sockets open."""
        os.kill(self.pid(name), signal.SIGSTOP)

    def resume(self, name: str) -> None:
        os.kill(self.pid(name), signal.SIGCONT)

    async def restart(self, name: str, *, timeout: float = 20.0) -> None:
        """Start a stopped or killed process again on the same ports."""
        child = self.children[name]
        await self._terminate(child)
        ready = "witness ws://" if name == "witness" else f"listening {self.scheme}://"
        await self._spawn(child, ready, timeout)

    def lines(self, name: str) -> list[str]:
        return list(self.children[name].lines)


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    """Signal the child's process group (each child leads its own session); nothing if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


async def _ended(process: asyncio.subprocess.Process, timeout: float) -> bool:
    """Wait (at most ``timeout`` seconds) for the process to end and be reaped; whether it did."""
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        return False
    return True
