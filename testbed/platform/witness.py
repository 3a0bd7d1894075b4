"""The witness: the third vote of the dual-live pair, as corosync's qdevice is for a two-node cluster.

An instance may act as active only while it holds the witness's lease, renewed several times a second;
a standby is promoted (with a higher epoch) only when the active's lease has run out. So two instances
can never both hold a valid lease, and promotion needs two votes of three: the candidate's and the
witness's. `WitnessState` decides (no I/O, time passed in); `WitnessServer` puts it on a WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

import msgspec
import websockets
from websockets.asyncio.server import Server, ServerConnection, serve

log = logging.getLogger(__name__)

#: how long an active's lease lasts after the witness received its last renewal (seconds)
LEASE = 0.6
#: how often an active renews its lease
RENEW_EVERY = 0.15


class WitnessRequest(msgspec.Struct, tag_field="t", frozen=True):
    """Base of what an instance asks the witness."""

    instance: str


class Renew(WitnessRequest, tag="renew", frozen=True):
    """The instance acts as active at ``epoch`` and renews its lease; ``alone``: it has no standby, so it
    acknowledges commands the other instance does not hold (that one is outdated until it follows again)."""

    epoch: int
    alone: bool = False
    #: identifies the instance's process run: a new one means it restarted and lost its memory
    boot: str = ""


class Promote(WitnessRequest, tag="promote", frozen=True):
    """The instance asks to become active; ``epoch`` is the highest it knows (the new one will be above)."""

    epoch: int = 0
    boot: str = ""


class Status(WitnessRequest, tag="status", frozen=True):
    """Who is active, at which epoch?"""


class Verdict(msgspec.Struct, frozen=True):
    """The witness's answer: ``ok`` grants the renewal or promotion; otherwise who holds the lease."""

    ok: bool
    epoch: int
    active: str | None
    lease_valid: bool


_request_decoder = msgspec.json.Decoder(Renew | Promote | Status)
_verdict_decoder = msgspec.json.Decoder(Verdict)
_encoder = msgspec.json.Encoder()


@dataclass
class WitnessState:
    """The witness's memory: the highest epoch it granted, to whom, and when the lease was last renewed.

    Two rules beyond the lease keep acknowledged commands safe across restarts and partitions:
    a witness that (re)started grants no promotion for one lease period, so that a live active can renew
    first and be recognised; and while the active says it runs alone, the other instance is outdated and is
    not promoted (losing availability rather than acknowledged commands, as DRBD's outdated peer)."""

    lease: float = LEASE
    epoch: int = 0
    active: str | None = None
    renewed: float = float("-inf")
    #: when the witness started (on its own clock): no promotion during the first lease period
    started: float = float("-inf")
    #: the active acknowledges alone: the other instance lacks some acknowledged commands
    sole: bool = False
    #: the process run of the active, and when the active was first seen back with another one
    active_boot: str = ""
    restart_seen: float | None = None

    def lease_valid(self, now: float) -> bool:
        return self.active is not None and now - self.renewed <= self.lease

    def verdict(self, ok: bool, now: float) -> Verdict:
        return Verdict(ok=ok, epoch=self.epoch, active=self.active, lease_valid=self.lease_valid(now))

    def handle(self, request: WitnessRequest, now: float) -> Verdict:
        if isinstance(request, Renew):
            return self.renew(request.instance, request.epoch, now, alone=request.alone, boot=request.boot)
        if isinstance(request, Promote):
            return self.promote(request.instance, now, epoch=request.epoch, boot=request.boot)
        return self.verdict(True, now)

    def renew(self, instance: str, epoch: int, now: float, *, alone: bool = False, boot: str = "") -> Verdict:
        if instance == self.active and epoch == self.epoch:
            self.renewed, self.sole = now, alone
            return self.verdict(True, now)
        if epoch > self.epoch and not self.lease_valid(now):
            # A witness that restarted (or never knew this pair) adopts the highest epoch it is shown.
            log.warning("witness adopts %s as active at epoch %d", instance, epoch)
            self.epoch, self.active, self.renewed, self.sole = epoch, instance, now, alone
            self.active_boot, self.restart_seen = boot, None
            return self.verdict(True, now)
        return self.verdict(False, now)

    def promote(self, instance: str, now: float, *, epoch: int = 0, boot: str = "") -> Verdict:
        if self.active == instance and self.lease_valid(now):
            return self.verdict(True, now)
        if self.lease_valid(now) or now - self.started < self.lease:
            return self.verdict(False, now)
        if instance == self.active and self.active_boot and boot != self.active_boot:
            # The old active restarted and lost its memory: it holds no more than the other instance, which
            # now goes first; this one is promoted only if the other does not ask within a lease period.
            if self.restart_seen is None:
                self.restart_seen = now
                self.sole = False
                log.warning("witness: %s restarted; the other instance may take over first", instance)
            if now - self.restart_seen < self.lease:
                return self.verdict(False, now)
        elif self.sole and self.active is not None and instance != self.active:
            log.warning("witness refuses to promote %s: outdated while %s acknowledged alone", instance, self.active)
            return self.verdict(False, now)
        self.epoch = max(self.epoch, epoch) + 1
        self.active = instance
        self.active_boot, self.restart_seen = boot, None
        self.renewed = now
        self.sole = False
        log.warning("witness promotes %s to active at epoch %d", instance, self.epoch)
        return self.verdict(True, now)


class WitnessServer:
    """`WitnessState` on a WebSocket: one JSON request, one JSON verdict."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, lease: float = LEASE) -> None:
        self.state = WitnessState(lease=lease)
        self.host = host
        self.port = port
        self._server: Server | None = None

    async def start(self) -> None:
        self.state.started = asyncio.get_running_loop().time()
        self._server = await serve(self._serve, self.host, self.port, compression=None,
                                   ping_interval=None, max_size=4096)
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self.port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in ws:
                try:
                    request = _request_decoder.decode(data)
                except msgspec.DecodeError as exc:
                    await ws.close(1002, f"bad witness request: {exc}"[:120])
                    return
                await ws.send(_encoder.encode(self.state.handle(request, loop.time())).decode())


class WitnessClient:
    """An instance's link to the witness: ask, and get the verdict or None when the witness is unreachable."""

    def __init__(self, url: str, instance: str, *, timeout: float = 0.3) -> None:
        self.url = url
        self.instance = instance
        self.timeout = timeout
        #: this process run, as the witness sees it (a restarted instance has lost its memory)
        self.boot = secrets.token_hex(8)
        self._ws: websockets.ClientConnection | None = None
        self._lock = asyncio.Lock()

    async def ask(self, what: Literal["renew", "promote", "status"], epoch: int = 0, *,
                  alone: bool = False) -> Verdict | None:
        request: WitnessRequest
        if what == "renew":
            request = Renew(instance=self.instance, epoch=epoch, alone=alone, boot=self.boot)
        elif what == "promote":
            request = Promote(instance=self.instance, epoch=epoch, boot=self.boot)
        else:
            request = Status(instance=self.instance)
        async with self._lock:
            try:
                if self._ws is None:
                    self._ws = await asyncio.wait_for(
                        websockets.connect(self.url, compression=None, ping_interval=None, open_timeout=self.timeout),
                        self.timeout)
                await self._ws.send(_encoder.encode(request).decode())
                reply = await asyncio.wait_for(self._ws.recv(), self.timeout)
                return _verdict_decoder.decode(reply)
            except (OSError, TimeoutError, websockets.WebSocketException, msgspec.DecodeError) as exc:
                log.debug("%s: witness unreachable: %s", self.instance, exc)
                await self.close()
                return None

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.transport.abort()
