"""A simulated terminal's link to the platform: one TDP/1 session that comes back by itself after a failover.

`PlatformLink` opens the session (trying the pair's addresses in turn), notices when it drops without being
asked to (closed by the platform, or the platform silent), and finds the platform again as a field radio does
(SPEC.md §7.1, §7.2): the instance that last announced itself active at the highest epoch first, a short seeded
backoff, the resumption token of the last welcome, and a standby kept only when nothing active answers in time.
Requests caught by the loss are retried once on the new session with their idempotency keys.
`KnownInstances` is the pure part: what the terminal heard of each instance, and the order to try them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from protocols.aio.client import ConnectionClosed, RequestError, TrunkingClient
from protocols.constants import REQUEST_TIMEOUT, CloseCode, ErrorCode
from protocols.machines.session_events import EpochRaised, PeerSilent, SessionEvent
from protocols.messages import Hello, Message, Notification, Ok, PlatformRole, Request, Role, Welcome
from testbed.terminals.floors import TerminalStats

log = logging.getLogger(__name__)

#: First pause between two reconnection attempts; it doubles up to `BACKOFF_MAX`, plus up to half again of jitter.
BACKOFF_FIRST = 0.05
BACKOFF_MAX = 1.0
#: How long a standby's session is held while waiting for an active instance (the standby's promotion, or the
#: other instance answering as active) before the terminal settles for the standby, which forwards to the active.
STANDBY_PATIENCE = 2.0
#: Longest a request waits for a lost link to come back before it fails with `ConnectionClosed` (SPEC.md §7.2:
#: commands wait for the new active within their own timeout).
RELINK_WAIT = REQUEST_TIMEOUT
#: Longest one reconnection attempt waits for its welcome (a deposed instance's welcome is dropped as stale).
ATTEMPT_TIMEOUT = 2.0
#: Longest an orderly close (bye and closing handshake) may take before the link is simply dropped.
CLOSE_TIMEOUT = 5.0
#: Close codes after which a terminal does not come back by itself: it was refused, or another session took over.
NO_RETURN = frozenset({int(CloseCode.AUTH_FAILED), int(CloseCode.UNSUPPORTED_VERSION),
                       int(CloseCode.SESSION_REPLACED)})
#: Registration answers that mean "not here, not now": look for the active instance elsewhere.
TRY_ELSEWHERE = frozenset({int(ErrorCode.NOT_ACTIVE), int(ErrorCode.UNAVAILABLE), int(ErrorCode.INTERNAL),
                           int(ErrorCode.TIMEOUT)})


def platform_urls(urls: str | Sequence[str]) -> list[str]:
    """One platform URL or several as a list, in order, without repeats; ValueError for none."""
    listed = [urls] if isinstance(urls, str) else list(urls)
    unique = list(dict.fromkeys(listed))
    if not unique:
        raise ValueError("at least one platform URL is needed")
    return unique


def reconnect_delay(attempt: int, rng: random.Random) -> float:
    """The pause before reconnection attempt ``attempt`` (0 first): 50 ms doubling to 1 s, plus up to half as much
    again at random, so that a fleet cut off at once does not come back at once. The first waits only a jitter."""
    if attempt <= 0:
        return rng.uniform(0.0, BACKOFF_FIRST / 2)
    base = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** min(attempt - 1, 16))
    return base + rng.uniform(0.0, base / 2)


@dataclass
class InstanceNews:
    """What a terminal last heard from one platform instance: its welcome, or a `PlatformRole` announcement."""

    url: str
    instance: str | None = None
    role: Role | None = None
    epoch: int = 0
    peer_up: bool = False


class KnownInstances:
    """The platform instances a terminal knows of (configured, or named as ``peer`` by one of them)."""

    def __init__(self, urls: Sequence[str]) -> None:
        self._news: dict[str, InstanceNews] = {}
        for url in platform_urls(urls):
            self.add(url)
        #: the highest platform epoch seen on any session (stamped on every hello, SPEC.md §7.2)
        self.epoch = 0

    @property
    def urls(self) -> list[str]:
        return list(self._news)

    def add(self, url: str) -> None:
        self._news.setdefault(url, InstanceNews(url))

    def news_of(self, url: str) -> InstanceNews | None:
        return self._news.get(url)

    def role_of(self, url: str) -> Role | None:
        news = self._news.get(url)
        return news.role if news is not None else None

    def welcomed(self, url: str, welcome: Welcome) -> None:
        self._heard(url, welcome.instance, welcome.role, welcome.epoch)

    def announced(self, url: str, message: PlatformRole) -> None:
        """A `PlatformRole` arrived on the session to ``url``; its ``peer`` becomes known too."""
        self._heard(url, message.instance, message.role, message.epoch)
        news = self._news[url]
        news.peer_up = message.peer_up
        if message.peer:
            self.add(message.peer)

    def raise_epoch(self, epoch: int) -> None:
        self.epoch = max(self.epoch, epoch)

    def order(self) -> list[str]:
        """The order to try the instances in: the last announced active at the highest epoch first, the others
        in configured order."""
        news = list(self._news.values())
        active = sorted((n for n in news if n.role == "active"), key=lambda n: -n.epoch)
        return [n.url for n in active] + [n.url for n in news if n.role != "active"]

    def _heard(self, url: str, instance: str, role: Role, epoch: int) -> None:
        self.add(url)
        news = self._news[url]
        news.instance, news.role, news.epoch = instance, role, epoch
        self.raise_epoch(epoch)


class PlatformLink:
    """One terminal's session with the platform, found again by itself after a failover (see the module docstring).

    The owner is told through callbacks: ``on_open(client)`` affiliates on a new session (raise `RequestError` to
    refuse it), ``on_registered(after_loss)`` starts what runs while the link is up, ``on_message`` gets every
    notification, and ``on_lost(coming_back)`` says that the session is gone and whether the link comes back
    by itself (then the owner keeps what it needs to restore: its floors).
    """

    def __init__(
        self,
        ident: str,
        urls: Sequence[str],
        hello: Hello,
        *,
        stats: TerminalStats,
        rng: random.Random,
        on_open: Callable[[TrunkingClient], Awaitable[None]],
        on_registered: Callable[[bool], Awaitable[None]],
        on_message: Callable[[Message], None],
        on_lost: Callable[[bool], None],
        open_timeout: float = 5.0,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.ident = ident
        self.instances = KnownInstances(urls)
        self._hello = hello
        self.stats = stats
        self._rng = rng
        self._on_open = on_open
        self._on_registered = on_registered
        self._on_message = on_message
        self._on_lost = on_lost
        self.open_timeout = open_timeout
        #: TLS for ``wss://`` instances (None: verify against the system's trust store)
        self.ssl = ssl

        self.client: TrunkingClient | None = None
        #: the instance of the present session (or of the last one)
        self.url = self.instances.urls[0]
        #: the welcome of the last session taken up: its resumption token opens the next one
        self.welcome: Welcome | None = None
        #: the present session is open and the terminal affiliated on it
        self.registered = False
        self._auto = False  # come back by itself after an unrequested loss (set once registered)
        self._closing = False
        self._reconnector: asyncio.Task[None] | None = None
        self._receivers: set[asyncio.Task[None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._news = asyncio.Event()

    # ----- state ------------------------------------------------------------------------------

    @property
    def up(self) -> bool:
        """True while the terminal holds a registered, open session."""
        return self.registered and self.client is not None and not self.client.closed

    @property
    def coming_back(self) -> bool:
        """True while the link, lost without being asked to, is being found again."""
        return self._reconnector is not None and not self._reconnector.done()

    # ----- lifecycle --------------------------------------------------------------------------

    async def open(self, url: str | None = None) -> None:
        """Connect and register, trying each known instance once (``url`` first); raise what stopped the last
        (a refusal rather than an unreachable instance). A standby that answers 421 counts as unreachable."""
        await self._stop_reconnecting()
        self._closing = False
        order = self.instances.order()
        if url is not None:
            self.instances.add(url)
            order = [url] + [u for u in order if u != url]
        refused: BaseException | None = None
        unreachable: BaseException | None = None
        for candidate in order:
            try:
                client = await self._connect(candidate, self.open_timeout)
            except RequestError as exc:
                refused = exc
                continue
            except OSError as exc:  # unreachable, closed before the welcome, no welcome in time
                unreachable = exc
                continue
            self._adopt(client, candidate)
            try:
                await self._register(client, after_loss=False)
            except RequestError as exc:
                await self._discard(client)
                if exc.error.code not in TRY_ELSEWHERE:
                    raise
                unreachable = exc
                continue
            except BaseException:  # refused, link lost, or cancelled: leave nothing running
                await self._discard(client)
                raise
            return
        failure = refused or unreachable
        assert failure is not None
        if self._auto:  # asked while the link was being found again: go on looking by itself
            self._start_coming_back()
        raise failure

    async def drop(self) -> None:
        """Lose the link abruptly (no bye, no closing handshake), and do not come back until `open` is called."""
        self._auto = False
        await self._stop_reconnecting()
        client = self.client
        if client is not None:
            await client.abort()
            if self.client is client:
                self._lost(client)
        else:
            self._on_lost(False)  # it was already being found again: forget what was kept for that
        await cancel_and_wait(set(self._receivers))

    async def close(self) -> None:
        """Say bye and close (the link does not come back); cancel and await every task of the link."""
        self._closing = True
        self._auto = False
        await self._stop_reconnecting()
        client = self.client
        if client is not None:
            if not client.closed:
                try:
                    await asyncio.wait_for(client.close(), CLOSE_TIMEOUT)
                except (TimeoutError, OSError) as exc:
                    log.warning("terminal %s: close failed (%s); dropping the link", self.ident, exc)
                    await client.abort()
            if self.client is client:
                self._lost(client)
        else:
            self._on_lost(False)
        await cancel_and_wait(set(self._receivers) | self._tasks)
        self._closing = False

    # ----- requests and notifications ---------------------------------------------------------

    async def request(self, request: Request) -> Ok:
        """Send a request and wait for its answer. Lost with the link, or refused with 421 by an instance that does
        not serve, it is sent once more (same idempotency key) once the link is back; the platform answers a
        request it had applied with the stored answer."""
        client = await self._ready()
        try:
            return await client.request(request)
        except ConnectionClosed:
            if not self._auto:
                raise
            why = "the link was lost"
        except RequestError as exc:
            if exc.error.code != ErrorCode.NOT_ACTIVE or not self._auto:
                raise
            why = f"{self.url} is not active"
            if self.client is client:
                log.info("terminal %s: %s answers 421: looking for the active instance", self.ident, self.url)
                await client.abort()  # the loss brings the terminal to the active instance
        self.stats.requests_retried += 1
        log.info("terminal %s: %s (key %s) sent again: %s", self.ident, type(request).__name__, request.key, why)
        client = await self._ready()
        return await client.request(request)

    def notify(self, message: Notification, *, strict: bool = False) -> None:
        """Send a notification on the open session; without one it is dropped (``strict``: `ConnectionClosed`)."""
        client = self.client
        try:
            if client is None:
                raise ConnectionClosed(f"terminal {self.ident} has no link")
            client.notify(message)
        except ConnectionClosed:
            if strict:
                raise
            log.debug("terminal %s: %s not sent, link down", self.ident, type(message).__name__)

    async def _ready(self) -> TrunkingClient:
        """The registered session; while the link comes back, wait for it (at most `RELINK_WAIT`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RELINK_WAIT
        while True:
            client = self.client
            if client is not None and not client.closed and self.registered:
                return client
            if not self._auto:
                raise ConnectionClosed(f"terminal {self.ident} has no link")
            if not await self._wait_news(deadline - loop.time()) and loop.time() >= deadline:
                raise ConnectionClosed(f"terminal {self.ident}: link not back within {RELINK_WAIT:g} s")

    # ----- sessions ---------------------------------------------------------------------------

    async def _connect(self, url: str, timeout: float) -> TrunkingClient:
        """Say hello at ``url`` with the last resumption token and the highest epoch seen."""
        resume = self.welcome.resume_token if self.welcome is not None else None
        hello = msgspec.structs.replace(self._hello, resume=resume, epoch=self.instances.epoch)
        client = await TrunkingClient.connect(url, hello, open_timeout=timeout, ssl=self.ssl)
        self.instances.welcomed(url, client.welcome)
        return client

    def _adopt(self, client: TrunkingClient, url: str) -> None:
        """Make ``client`` the terminal's session; a superseded open one (a standby waited on) is closed."""
        old, self.client = self.client, client
        self.url, self.welcome, self.registered = url, client.welcome, False
        client.on_event = lambda event: self._session_event(client, event)
        task = asyncio.get_running_loop().create_task(self._receive(client, url), name=f"terminal-{self.ident}-receive")
        self._receivers.add(task)
        task.add_done_callback(self._receivers.discard)
        task.add_done_callback(log_failure)
        if old is not None and old is not client and not old.closed:
            self._spawn(_close_quietly(old), f"terminal-{self.ident}-close-superseded")

    async def _register(self, client: TrunkingClient, *, after_loss: bool) -> None:
        """Affiliate on a new session; then the link is up. After a loss, a refusal other than "not here" still
        leaves the session registered (a disabled terminal, say): the platform knows the terminal is back."""
        try:
            await self._on_open(client)
        except RequestError as exc:
            if not after_loss or exc.error.code in TRY_ELSEWHERE:
                raise
            log.warning("terminal %s: affiliation refused on %s: %s", self.ident, self.url, exc)
        if self.client is not client or client.closed:
            raise ConnectionClosed(f"terminal {self.ident}: link lost while registering")
        self.registered = True
        self._auto = True
        self.stats.registrations += 1
        log.debug("terminal %s registered at %s (%s, epoch %d%s)", self.ident, self.url, client.welcome.role,
                  client.epoch, ", resumed" if client.welcome.resumed else "")
        await self._on_registered(after_loss)
        self._pulse()

    async def _discard(self, client: TrunkingClient) -> None:
        """Give up a session that could not be registered."""
        if self.client is client:
            self.client, self.registered = None, False
        await client.abort()

    async def _receive(self, client: TrunkingClient, url: str) -> None:
        try:
            while True:
                message = await client.next_message()
                if isinstance(message, PlatformRole):
                    before = self.instances.role_of(url)
                    self.instances.announced(url, message)
                    if message.role != before:
                        log.info("terminal %s: %s announces %s %s at epoch %d", self.ident, url, message.instance,
                                 message.role, message.epoch)
                    self._pulse()
                try:
                    self._on_message(message)
                except Exception:  # one bad notification must not end the session
                    log.exception("terminal %s: failed to handle %s", self.ident, type(message).__name__)
                    self.stats.errors += 1
        except ConnectionClosed:
            pass
        finally:
            if self.client is client:
                self._lost(client)

    def _session_event(self, client: TrunkingClient, event: SessionEvent) -> None:
        if isinstance(event, PeerSilent):
            log.warning("terminal %s: %s silent for %.1f s; dropping the link", self.ident, self.url,
                        event.silent_for)
            self._spawn(client.abort(), f"terminal-{self.ident}-abort")
        elif isinstance(event, EpochRaised):
            self.instances.raise_epoch(event.new)

    def _lost(self, client: TrunkingClient) -> None:
        """The present session is gone: tell the owner, and come back by itself unless asked not to."""
        was_registered = self.registered
        self.client, self.registered = None, False
        code = client.close_code
        if code in NO_RETURN:
            self._auto = False
        coming_back = self._auto and not self._closing
        if was_registered and not self._closing:
            self.stats.link_drops += 1
            log.info("terminal %s: link to %s lost (close code %s)%s", self.ident, self.url, code,
                     "; coming back" if coming_back else "")
        self._on_lost(coming_back)
        if coming_back:
            self._start_coming_back()
        self._pulse()

    def _start_coming_back(self) -> None:
        if not self.coming_back:
            self._reconnector = asyncio.get_running_loop().create_task(
                self._come_back(), name=f"terminal-{self.ident}-reconnect")
            self._reconnector.add_done_callback(log_failure)

    # ----- coming back ------------------------------------------------------------------------

    async def _come_back(self) -> None:
        """Find the platform again after an unrequested loss and register there (SPEC.md §7.2).

        Instances are tried in `KnownInstances.order`, one attempt per `reconnect_delay`. A session welcomed by
        an active instance is taken at once. A standby's session is held while trying on: it is taken as soon as
        it announces its promotion, or after `STANDBY_PATIENCE` when nothing active answered; a registration it
        refuses (421: no link to the active) sends the terminal looking again."""
        loop = asyncio.get_running_loop()
        lost_at = loop.time()
        attempt = 0
        patience_until: float | None = None
        tried: list[str] = []
        while self._auto:
            client = self.client
            if client is None or client.closed:
                patience_until = None
            else:
                if patience_until is None:  # the session held is not (yet) an active instance's
                    patience_until = loop.time() + STANDBY_PATIENCE
                if self.instances.role_of(self.url) == "active" or loop.time() >= patience_until:
                    if await self._register_again(client) and self.up:
                        self.stats.reconnects += 1
                        log.info("terminal %s: back on %s (%s) after %.2f s", self.ident, self.url,
                                 self.instances.role_of(self.url), loop.time() - lost_at)
                        return
                    patience_until = None
                    continue
            delay = reconnect_delay(attempt, self._rng)
            attempt += 1
            if patience_until is not None:
                delay = min(delay, max(0.0, patience_until - loop.time()))
            await self._wait_news(delay)
            client = self.client
            holding = client is not None and not client.closed
            if holding and (self.instances.role_of(self.url) == "active"
                            or (patience_until is not None and loop.time() >= patience_until)):
                continue  # promoted meanwhile, or patience over: register there
            if not tried:
                tried = self.instances.order()
            url = tried.pop(0)
            if holding and url == self.url:
                continue
            try:
                candidate = await self._connect(url, min(self.open_timeout, ATTEMPT_TIMEOUT))
            except (OSError, RequestError) as exc:
                log.debug("terminal %s: %s did not take us back: %s", self.ident, url, exc)
                continue
            if candidate.welcome.role == "active" or not holding:
                self._adopt(candidate, url)
                patience_until = None
                if candidate.welcome.role != "active":
                    log.info("terminal %s: %s is standby; waiting up to %g s for an active instance",
                             self.ident, url, STANDBY_PATIENCE)
            else:
                await _close_quietly(candidate)  # already waiting on one standby

    async def _register_again(self, client: TrunkingClient) -> bool:
        try:
            await self._register(client, after_loss=True)
        except RequestError as exc:
            log.info("terminal %s: %s refused the registration (%s); looking further", self.ident, self.url, exc)
            await self._discard(client)
            return False
        except ConnectionClosed:
            return False
        return True

    async def _stop_reconnecting(self) -> None:
        task, self._reconnector = self._reconnector, None
        if task is not None and task is not asyncio.current_task():
            await cancel_and_wait({task})

    # ----- plumbing ---------------------------------------------------------------------------

    def _pulse(self) -> None:
        """Wake everyone waiting for news of the link (a role announced, a session registered or lost)."""
        news, self._news = self._news, asyncio.Event()
        news.set()

    async def _wait_news(self, within: float) -> bool:
        """Wait for the next news of the link, at most ``within`` seconds; whether there was any."""
        if within <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._news.wait(), within)
            return True
        return False

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(_awaited(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(log_failure)


async def _awaited(awaitable: Awaitable[Any]) -> None:
    await awaitable


async def _close_quietly(client: TrunkingClient) -> None:
    """Close a session no longer needed (1000, with bye); drop it if that takes too long."""
    try:
        await asyncio.wait_for(client.close(), CLOSE_TIMEOUT)
    except (TimeoutError, OSError):
        await client.abort()


async def cancel_and_wait(tasks: set[asyncio.Task[Any]]) -> None:
    """Cancel tasks (never the caller itself) and wait until they are done."""
    current = asyncio.current_task()
    tasks = {t for t in tasks if t is not current}
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def log_failure(task: asyncio.Task[Any]) -> None:
    """Done callback: log a task that ended with an exception (cancellation is not one)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("task %s failed: %r", task.get_name(), exc, exc_info=exc)
