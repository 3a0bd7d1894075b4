"""asyncio driver for a console's sessions to both instances of the dual-live pair (SPEC.md §7).

Thin on purpose: one `TrunkingClient` per instance, kept connected; every decision (which instance serves,
what to hold, replay, re-attach or refuse) is the `FailoverMachine`'s. This module moves its inputs in
(welcomes, role announcements, losses, answers) and carries its events out (connect, restore, fail).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import random
import ssl as ssl_module
import uuid
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from protocols.aio.client import ConnectionClosed, RequestError, TrunkingClient
from protocols.constants import HEARTBEAT_INTERVAL, HEARTBEAT_LOSS_THRESHOLD, REQUEST_TIMEOUT, ErrorCode
from protocols.machines.failover import (
    CommandsFailed,
    Connect,
    FailoverEvent,
    FailoverMachine,
    LinkState,
    Offline,
    Resend,
    Restore,
    ServingChanged,
    SplitBrain,
    SplitBrainCleared,
    StaleAnnouncement,
)
from protocols.machines.session_client import ClientSession
from protocols.machines.session_events import EpochRaised, PeerSilent, SessionEvent, StaleMessage
from protocols.messages import (
    Bye,
    Error,
    FloorQueuePositionRequest,
    FloorRequest,
    Hello,
    Message,
    Notification,
    Ok,
    PlatformRole,
    PriorityClass,
    Request,
    Role,
    SnapshotRequest,
    tag_of,
)

logger = logging.getLogger(__name__)

#: Requests that change nothing: they carry no key, and are simply asked again on the next serving link.
_READS = (SnapshotRequest, FloorQueuePositionRequest)
#: Extra time a link's session waits for an answer beyond the command's deadline, so that the machine's
#: deadline (with the right code, 503 or 504) is what ends a command.
_ANSWER_MARGIN = 1.0


@dataclass(frozen=True)
class LinkInfo:
    """One instance of the pair as the desk's status bar shows it."""

    url: str
    state: LinkState
    #: the name the instance gives itself
    instance: str | None
    role: Role | None
    epoch: int | None
    peer_up: bool
    #: commands go through this instance now
    serving: bool
    #: round-trip time of the latest answered ping, seconds
    rtt: float | None
    #: seconds since anything arrived from the instance
    heartbeat_age: float | None


class DualLiveClient:
    """A console's connection to the platform pair: requests get exactly one outcome across failovers."""

    def __init__(
        self,
        urls: Sequence[str],
        hello: Hello,
        *,
        ssl: ssl_module.SSLContext | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        reconnect_max: float = 2.0,
        request_timeout: float = REQUEST_TIMEOUT,
        connect_timeout: float = 2.0,
        fail_after: float | None = 10.0,
        follow_attachment: bool = False,
        queue_size: int = 1024,
    ) -> None:
        """``request_timeout`` bounds each request's wait for its outcome, failovers included;
        ``connect_timeout`` bounds each connection attempt (WebSocket opening and welcome)."""
        self.urls = list(urls)
        self._hello = hello
        self._ssl = ssl
        self._heartbeat_interval = heartbeat_interval
        self._loss_threshold = loss_threshold
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._queue_size = queue_size
        self._machine = FailoverMachine(self.urls, reconnect_max=reconnect_max, jitter=random.random,
                                        fail_after=fail_after, follow_attachment=follow_attachment)
        #: optional tap called with every failover event (metrics, the desk's status bar)
        self.on_change: Callable[[FailoverEvent], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: dict[str, TrunkingClient] = {}
        self._generation: dict[TrunkingClient, int] = {}
        self._calls: dict[str, asyncio.Future[Ok]] = {}
        self._deadlines: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._messages: collections.deque[Message] = collections.deque(maxlen=queue_size)
        self._message_ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when: float | None = None
        self._pumping = False
        self._closed = False
        #: the hello was refused (401/403): retrying with the same credentials cannot help
        self._refused: RequestError | None = None

    # ----- state ------------------------------------------------------------------------------

    @property
    def serving(self) -> str | None:
        """URL of the instance commands go to, None while none can serve."""
        return self._machine.serving

    @property
    def via_standby(self) -> bool:
        return self._machine.via_standby

    @property
    def epoch(self) -> int:
        """The highest platform epoch seen on any link."""
        return self._machine.highest_epoch

    @property
    def split_brain(self) -> bool:
        return self._machine.split_brain is not None

    @property
    def machine(self) -> FailoverMachine:
        """The failover machine (read it; feed it only through this client)."""
        return self._machine

    def links(self) -> dict[str, LinkInfo]:
        """Per instance URL: its link as the desk's status bar shows it."""
        now = self._loop.time() if self._loop is not None else None
        info: dict[str, LinkInfo] = {}
        for url, view in self._machine.links.items():
            client = self._clients.get(url)
            heard = _last_received(client.session) if client is not None else None
            if heard is None:
                heard = view.heard_at
            info[url] = LinkInfo(
                url=url, state=view.state, instance=view.instance, role=view.role, epoch=view.epoch,
                peer_up=view.peer_up, serving=url == self._machine.serving,
                rtt=client.rtt if client is not None else None,
                heartbeat_age=None if heard is None or now is None or view.state != "up" else max(0.0, now - heard),
            )
        return info

    # ----- API --------------------------------------------------------------------------------

    async def start(self, *, wait_serving: float = 5.0) -> None:
        """Connect to every instance (reconnecting for as long as the client lives) and wait until one serves
        and commands go out at once.

        Raises `RequestError` (401, 403) at once when an instance refuses the credentials, TimeoutError when none
        serves within ``wait_serving``; the links keep trying until `close`."""
        self._loop = asyncio.get_running_loop()
        self._machine.start(self._loop.time())
        self._pump()
        deadline = self._loop.time() + wait_serving
        while not self._machine.ready:
            if self._closed:
                raise ConnectionClosed("client is closed")
            if self._refused is not None:
                raise self._refused
            if self._time() >= deadline:
                raise TimeoutError(f"no platform instance served within {wait_serving:g} s")
            await self._wait_change(deadline)

    async def request(self, request: Request, *, timeout: float | None = None) -> Ok:
        """Send a request on the serving link and wait for its one outcome, across failovers.

        A state-changing request gets a key if it has none; if its link dies before the answer it is
        replayed with the same key on the next serving link. Raises `RequestError` for an `Error` answer,
        503 when no instance serves (or during split brain), 504 when no answer came within ``timeout``."""
        if self._closed:
            raise ConnectionClosed("client is closed")
        loop = self._running_loop()
        timeout = self._request_timeout if timeout is None else timeout
        if isinstance(request, _READS):
            return await self._read(request, loop.time() + timeout)
        if not self._machine.commands_allowed:
            raise RequestError(_error(ErrorCode.UNAVAILABLE, "split brain: two instances claim to be active"))
        if request.key is None:
            request = msgspec.structs.replace(request, key=uuid.uuid4().hex)
        key = request.key
        assert key is not None
        if key in self._calls:
            raise ValueError(f"a request with key {key} is already outstanding")
        future: asyncio.Future[Ok] = loop.create_future()
        self._calls[key] = future
        self._deadlines[key] = loop.time() + timeout
        try:
            target = self._machine.command_sent(request, loop.time(), timeout=timeout)
            if target is not None:
                self._send_command(target, request)
            self._pump()
            return await future
        finally:  # answered, failed, or the caller gave up (cancelled): the machine forgets the command
            del self._calls[key]
            del self._deadlines[key]
            self._machine.command_answered(key)
            self._pump()

    def notify(self, message: Notification) -> None:
        """Send a notification on the serving link; dropped (with a warning) while none serves."""
        client = self._serving_client()
        if client is None:
            logger.warning("no serving platform instance: %s dropped", tag_of(message))
            return
        try:
            client.notify(message)
        except ConnectionClosed:
            logger.warning("serving link closed: %s dropped", tag_of(message))

    async def next_message(self) -> Message:
        """The next notification from the serving instance, and every platform.role from either instance.
        Raises `ConnectionClosed` once the client is closed and every message received before was read."""
        while not self._messages:
            if self._closed:
                raise ConnectionClosed("client is closed")
            self._message_ready.clear()
            await self._message_ready.wait()
        return self._messages.popleft()

    async def set_affiliations(self, groups: Iterable[str], selected: str | None) -> Ok:
        """Affiliate to ``groups`` (talking in ``selected``); remembered and re-sent after every switch."""
        self._machine.set_affiliations(groups, selected)
        affiliation = self._machine.affiliation
        assert affiliation is not None
        return await self.request(affiliation)

    def floor_wanted(self, call: str, priority: PriorityClass = "dispatcher", override: bool = False) -> None:
        """PTT is held in ``call``: re-request its floor after a switch until `floor_released`."""
        self._machine.floor_wanted(call, priority, override)

    def floor_released(self, call: str) -> None:
        self._machine.floor_released(call)

    async def close(self) -> None:
        """Say bye on every link, fail what is still waiting with `ConnectionClosed`, stop reconnecting."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
        for future in self._calls.values():
            if not future.done():
                future.set_exception(ConnectionClosed("client closed before the answer"))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._message_ready.set()
        self._changed.set()

    # ----- requests ---------------------------------------------------------------------------

    async def _read(self, request: Request, deadline: float) -> Ok:
        """A request that changes nothing: ask the serving instance, again on the next one if its link dies."""
        while True:
            client = await self._wait_serving(deadline)
            try:
                return await client.request(request, timeout=max(deadline - self._time(), 0.001))
            except ConnectionClosed:
                continue
            except RequestError as exc:
                if exc.error.code not in (ErrorCode.NOT_ACTIVE, ErrorCode.STALE_EPOCH) or self._time() >= deadline:
                    raise
                await self._wait_change(deadline)

    def _send_command(self, instance: str, request: Request) -> None:
        client = self._clients.get(instance)
        if client is None:  # cannot happen while the machine and this driver agree on which links are up
            logger.error("no connection to %s for command %s; it waits for the next switch", instance, request.key)
            return
        self._spawn(self._carry(instance, client, request))

    async def _carry(self, instance: str, client: TrunkingClient, request: Request) -> None:
        """Send one command on one connection and report what became of it."""
        key = request.key
        assert key is not None
        generation = self._generation.get(client)
        deadline = self._deadlines.get(key, self._time() + self._request_timeout)
        try:
            answer = await client.request(request, timeout=max(deadline - self._time(), 0.0) + _ANSWER_MARGIN)
        except (ConnectionClosed, RuntimeError):
            return  # unacknowledged: the machine replays it once a link serves again
        except RequestError as exc:
            code = exc.error.code
            if self._machine.command_refused(key, instance, code, self._time(), generation=generation):
                logger.info("command %s (%s) refused by %s with %d; it will be sent again", key,
                            tag_of(request), instance, code)
                self._pump()
                return
            self._pump()
            self._settle(key, exc)
            return
        self._machine.command_answered(key)
        self._pump()
        self._settle(key, answer)

    def _restore(self, event: Restore) -> None:
        """Replay the unanswered commands (now, so that they go out before any newer command), then
        re-send the affiliation set and re-request held floors."""
        for request in event.replay:
            self._send_command(event.instance, request)
        client = self._clients.get(event.instance)
        desired: list[Request] = []
        if event.affiliation is not None:
            desired.append(msgspec.structs.replace(event.affiliation, key=uuid.uuid4().hex))
        desired += [FloorRequest(id=0, key=uuid.uuid4().hex, call=floor.call, priority=floor.priority,
                                 override=floor.override) for floor in event.floors]
        if client is not None and desired:
            self._spawn(self._restore_desired(event.instance, client, desired))

    async def _restore_desired(self, instance: str, client: TrunkingClient, desired: list[Request]) -> None:
        # sent in order at once, awaited together: one slow answer does not hold back the others
        sends = [asyncio.ensure_future(client.request(request)) for request in desired]
        for request, outcome in zip(desired, await asyncio.gather(*sends, return_exceptions=True), strict=True):
            if isinstance(outcome, BaseException):
                logger.warning("restoring %s on %s failed: %s", tag_of(request), instance, outcome)
            else:
                logger.info("restored %s on %s: %s", tag_of(request), instance, outcome.result)

    def _settle(self, key: str, outcome: Ok | RequestError) -> None:
        future = self._calls.get(key)
        if future is None or future.done():
            return
        if isinstance(outcome, Ok):
            future.set_result(outcome)
        else:
            future.set_exception(outcome)

    # ----- links ------------------------------------------------------------------------------

    async def _open(self, event: Connect) -> None:
        """Open one connection as the machine asked; on success it becomes the link's connection."""
        url = event.instance
        hello = msgspec.structs.replace(self._hello, resume=event.resume, epoch=self._machine.highest_epoch)
        try:
            client = await TrunkingClient.connect(
                url, hello, ssl=self._ssl, open_timeout=self._connect_timeout,
                request_timeout=self._request_timeout, heartbeat_interval=self._heartbeat_interval,
                loss_threshold=self._loss_threshold, queue_size=self._queue_size,
            )
        except Exception as exc:
            if not self._closed:
                if isinstance(exc, RequestError) and exc.error.code in (ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN):
                    logger.warning("link %s: the platform refused the credentials of %s: %s", url,
                                   self._hello.ident, exc)
                    if self._refused is None:
                        self._refused = exc
                        self._changed.set()  # wake start(): no retry will get past this
                        self._changed = asyncio.Event()
                elif isinstance(exc, OSError | RequestError):
                    logger.info("link %s: connection attempt %d failed: %s", url, event.attempt + 1, exc)
                else:
                    logger.exception("link %s: connection attempt %d failed", url, event.attempt + 1)
                self._machine.connect_failed(url, self._time())
                self._pump()
            return
        if self._closed:
            await client.close()
            return
        old = self._clients.get(url)
        self._clients[url] = client
        client.on_event = functools.partial(self._on_session_event, url, client)
        client.session.raise_epoch(self._machine.highest_epoch)
        self._machine.link_up(url, client.welcome, self._time())
        self._generation[client] = self._machine.link(url).generation
        logger.info("link %s up (%s, %s%s)", url, client.welcome.instance, client.welcome.role,
                    ", resumed" if client.welcome.resumed else "")
        self._spawn(self._read_link(url, client))
        self._pump()
        if old is not None:
            self._spawn(self._retire(old, keep_session=old.welcome.resume_token == event.resume))

    async def _retire(self, client: TrunkingClient, *, keep_session: bool) -> None:
        """Close a superseded connection: with bye when its session is a spare, by dropping it when its
        session lives on in the connection that replaced it (a bye would end that session)."""
        if keep_session:
            await client.abort()
        else:
            await client.close()

    async def _read_link(self, url: str, client: TrunkingClient) -> None:
        """Hand the link's messages on: the serving instance's notifications, and every platform.role."""
        try:
            while True:
                message = await client.next_message()
                if self._clients.get(url) is not client:
                    continue  # superseded: the connection replacing it delivers from now on
                now = self._time()
                self._machine.heard(url, now)
                if isinstance(message, PlatformRole):
                    self._machine.role_announced(url, message, now)
                    self._pump()
                    self._deliver(message)
                elif isinstance(message, Bye):
                    logger.info("%s says bye: %s", url, message.reason)
                elif url == self._machine.serving:
                    self._deliver(message)
                else:
                    logger.debug("dropped %s from %s (not serving)", tag_of(message), url)
        except ConnectionClosed:
            self._link_lost(url, client, 0.0)

    def _on_session_event(self, url: str, client: TrunkingClient, event: SessionEvent) -> None:
        if self._clients.get(url) is not client:
            return
        if isinstance(event, PeerSilent):  # the client drops the connection itself; count the loss from now
            self._link_lost(url, client, event.silent_for)
        elif isinstance(event, EpochRaised):
            self._machine.epoch_seen(event.new, self._time())
            self._pump()
        elif isinstance(event, StaleMessage) and isinstance(event.message, PlatformRole):
            self._machine.role_announced(url, event.message, self._time())
            self._pump()

    def _link_lost(self, url: str, client: TrunkingClient, silent_for: float) -> None:
        if self._closed or self._clients.get(url) is not client:
            return
        del self._clients[url]
        self._generation.pop(client, None)
        self._machine.link_down(url, self._time(), silent_for=silent_for)
        self._pump()

    # ----- the machine ------------------------------------------------------------------------

    def _pump(self) -> None:
        """Carry out the machine's events, align every session's epoch, re-arm the timer."""
        if self._pumping or self._closed:
            return
        self._pumping = True
        try:
            while events := self._machine.events():
                for event in events:
                    self._dispatch(event)
            epoch = self._machine.highest_epoch
            for client in self._clients.values():
                client.session.raise_epoch(epoch)
            self._arm_timer()
        finally:
            self._pumping = False

    def _dispatch(self, event: FailoverEvent) -> None:
        if self.on_change is not None:
            try:
                self.on_change(event)
            except Exception:
                logger.exception("on_change tap failed on %s", type(event).__name__)
        if isinstance(event, Connect):
            self._spawn(self._open(event))
        elif isinstance(event, Restore):
            logger.info("restoring on %s: %d command(s) to replay", event.instance, len(event.replay))
            self._restore(event)
        elif isinstance(event, Resend):
            for request in event.requests:
                self._send_command(event.instance, request)
        elif isinstance(event, CommandsFailed):
            for key in event.keys:
                self._settle(key, RequestError(_error(event.code, event.reason)))
        elif isinstance(event, StaleAnnouncement):
            logger.info("ignored platform.role of %s at stale epoch %d (highest %d)", event.instance,
                        event.epoch, event.highest_epoch)
        if isinstance(event, ServingChanged | Offline | Restore | SplitBrain | SplitBrainCleared):
            self._changed.set()  # wake whoever waits for a serving (or ready) link
            self._changed = asyncio.Event()

    def _arm_timer(self) -> None:
        when = None if self._closed else self._machine.get_timer()
        if when == self._timer_when:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_when = when
        if when is not None:
            self._timer = self._running_loop().call_at(when, self._on_timer, when)

    def _on_timer(self, when: float) -> None:
        self._timer = None
        self._timer_when = None
        # call_at may fire a hair early; the machine must see its own deadline as reached
        self._machine.handle_timer(max(self._time(), when))
        self._pump()

    # ----- helpers ----------------------------------------------------------------------------

    async def _wait_serving(self, deadline: float) -> TrunkingClient:
        """The serving link's connection; RequestError 503 when none serves by ``deadline``."""
        while True:
            if self._closed:
                raise ConnectionClosed("client is closed")
            client = self._serving_client()
            if client is not None:
                return client
            if self._time() >= deadline:
                raise RequestError(_error(ErrorCode.UNAVAILABLE, "no platform instance serves"))
            await self._wait_change(deadline)

    async def _wait_change(self, deadline: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), max(deadline - self._time(), 0.0))

    def _serving_client(self) -> TrunkingClient | None:
        serving = self._machine.serving
        return None if serving is None else self._clients.get(serving)

    def _deliver(self, message: Message) -> None:
        if len(self._messages) == self._messages.maxlen:
            logger.warning("notification queue full (%d): dropping the oldest", self._messages.maxlen)
        self._messages.append(message)
        self._message_ready.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = self._running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("dual-live task failed", exc_info=task.exception())

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("call start() first")
        return self._loop

    def _time(self) -> float:
        return self._running_loop().time()


def _error(code: int, reason: str) -> Error:
    return Error(code=code, reason=reason)


def _last_received(session: ClientSession) -> float | None:
    """When the session last heard anything (pings included); ClientSession keeps it privately for now."""
    value = getattr(session, "last_received", getattr(session, "_last_received", None))
    return value if isinstance(value, float) else None


__all__ = ["DualLiveClient", "LinkInfo"]
