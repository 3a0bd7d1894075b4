"""A headless session: a platform (in-process, the dual-live pair as processes, or an external one), the
dispatcher's desk core logged in to it, and simulated terminals of the line, driven from code::

    async with Session.embedded(pair=True, terminals=["TR1905", "HS-002"]) as s:
        await s.terminal("HS-002").emergency()
        await s.expect.console.emergency_shown("HS-002", within=1.0)
        await s.console.ack_emergency()

The scenario runner (runner.py) drives the same object from a scenario file.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import shutil
import tempfile
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.plans import DeskPlans
from console.core.train_graph import PlanClock
from console.headless.actions import ActionFailed, ConsoleActions, TerminalActions, set_speed
from console.headless.checks import (
    Check,
    ConsoleChecks,
    RadioChecks,
    log_holds,
    media_unavailable_reason,
    platform_active,
)
from console.headless.plans import attach_plans
from console.headless.scenario import PlatformKind, Scenario, TerminalsSetup
from console.headless.wall import WallChecks
from testbed.line import SAMPLE_PASSWORD, SAMPLE_TERMINAL_SECRET, Line, default_line_path, load_line
from testbed.pair import INSTANCES, PairProcesses
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet, SimTerminal
from testbed.terminals.fleet import START_TIMEOUT, describe_failure, summarise_failures

if TYPE_CHECKING:  # media needs the ``media`` extra (aiortc, PyAV): imported only when a session uses it
    from console.core.media_desk import MediaOptions
    from testbed.janus import JanusProcess
    from testbed.terminals.feeds import FeedSettings

logger = logging.getLogger(__name__)

#: longest wait for the desk to be served and to show the platform's snapshot
CONNECT_TIMEOUT = 15.0
#: longest wait for the desk to show started terminals registered
SHOWN_TIMEOUT = 10.0
#: terminals started at once
_CONCURRENCY = 50
#: media of the embedded testbed flows over loopback only
LOOPBACK = ("127.0.0.1",)
#: length of the simulated cameras' looping clips, seconds (short clips encode quickly)
CLIP_SECONDS = 4.0


class SetupFailed(RuntimeError):
    """The session could not be set up (platform, desk or terminals); nothing of it keeps running."""


@dataclass(frozen=True)
class SessionOptions:
    """Everything a session is made of (see `Session.embedded` and `Session.external`)."""

    platform: PlatformKind = "embedded"
    line: Path | None = None
    urls: tuple[str, ...] = ()
    user: str = "chief"
    password: str = SAMPLE_PASSWORD
    terminal_secret: str = SAMPLE_TERMINAL_SECRET
    terminals: TerminalsSetup = field(default_factory=TerminalsSetup)
    monitor: tuple[str, ...] = ()
    select: str | None = None
    log_path: Path | None = None
    #: receive video on the desk's wall and send it from the simulated cameras (real WebRTC, loopback for the
    #: embedded testbed); off, video is signalling only
    media: bool = False
    #: the addresses media may flow on
    media_addresses: tuple[str, ...] = LOOPBACK
    #: propose emergency plans (docs/plans.md): True for resources/plans, or a folder of plan files
    plans: bool | Path = False
    #: the media plane: direct, or janus (the session starts its own Janus, which the platform brokers; media must
    #: then flow on an address that is not loopback: Janus cannot do ICE over 127.0.0.1)
    media_plane: str = "direct"


class Expectations:
    """Expectations by viewpoint: ``await s.expect.console.presence("HS-002", "unreachable", within=2)``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        #: what the desk shows
        self.console = ConsoleChecks(session)
        #: what simulated radios received (each check takes the terminals first)
        self.radio = RadioChecks(session)
        #: what the video wall shows (a session with media)
        self.wall = WallChecks(session)

    def log(self, kind: str, fields: dict[str, str] | None = None, *, within: float = 5.0) -> Check:
        """The event log holds a ``kind`` event with these fields (ids, actor, summary keys)."""
        return log_holds(self._session, kind, fields, within=within)

    def platform_active(self, instance: str, *, within: float = 5.0) -> Check:
        """The desk sees ``instance`` (A or B) active."""
        return platform_active(self._session, instance, within=within)



class Faults:
    """Breaking the platform the session started (not an external one)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def resolve(self, instance: str) -> str:
        """A, B or witness for ``active``/``standby`` (as the desk sees the pair now), else ``instance``."""
        if instance not in ("active", "standby"):
            return instance
        links = self._session.desk.world.links
        active = next((name for name, link in sorted(links.items()) if name in INSTANCES and link.role == "active"
                       and link.state == "up"), None)
        if active is None:
            raise ActionFailed("the desk sees no active instance")
        return active if instance == "active" else INSTANCES[1 - INSTANCES.index(active)]

    def _pair(self, fault: str) -> PairProcesses:
        pair = self._session.pair
        if pair is None:
            raise ActionFailed(f"fault {fault} needs the pair (setup.platform: pair)")
        return pair

    def _janus(self, fault: str) -> Any:
        janus = self._session.janus
        if janus is None:
            raise ActionFailed(f"fault {fault} janus needs the scenario's own Janus (setup.media: janus)")
        return janus

    async def kill(self, instance: str) -> str:
        """SIGKILL an instance (or the witness, or Janus); a single embedded platform is stopped."""
        if instance == "janus":
            await self._janus("kill").kill()
            return instance
        name = self.resolve(instance)
        session = self._session
        if session.platform is not None and name == "A":
            await session.platform.stop()
        else:
            await self._pair("kill").kill(name)
        return name

    async def restart(self, instance: str) -> str:
        """Start a killed instance (or Janus) again on its ports (a single platform comes back empty)."""
        if instance == "janus":
            await self._janus("restart").restart()
            return instance
        name = self.resolve(instance)
        session = self._session
        if session.platform is not None and name == "A":
            old = session.platform
            await old.stop()
            session.platform = PlatformServer(session.line, port=old.port,
                                              janus_url=old.sfu.url if old.sfu is not None else None)
            await session.platform.start()
        else:
            await self._pair("restart").restart(name)
        return name

    async def pause(self, instance: str) -> str:
        """SIGSTOP: frozen with its sockets open."""
        if instance == "janus":
            self._janus("pause").pause()
            return instance
        name = self.resolve(instance)
        self._pair("pause").pause(name)
        return name

    async def resume(self, instance: str) -> str:
        if instance == "janus":
            self._janus("resume").resume()
            return instance
        name = self.resolve(instance)
        self._pair("resume").resume(name)
        return name

    def _links_of(self, pair: PairProcesses, name: str) -> list[str]:
        if name == "witness":
            return [f"witness-{n}" for n in INSTANCES]
        other = INSTANCES[1 - INSTANCES.index(name)]
        return [f"client-{name}", f"witness-{name}", f"peer-{name}-{other}", f"peer-{other}-{name}"]

    async def isolate(self, instance: str) -> str:
        """Freeze every link to and from an instance (clients, its peer, the witness): it hears nothing."""
        name = self.resolve(instance)
        pair = self._pair("isolate")
        for proxy in self._links_of(pair, name):
            pair.proxies[proxy].freeze()
        return name

    async def restore(self, instance: str) -> str:
        name = self.resolve(instance)
        pair = self._pair("restore")
        for proxy in self._links_of(pair, name):
            pair.proxies[proxy].restore()
        return name


class Session:
    """A platform, the desk and simulated terminals, set up by `start` (or ``async with``) and torn down by
    `close`; see the module docstring."""

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.line: Line = load_line(options.line or default_line_path())
        self.platform: PlatformServer | None = None
        self.pair: PairProcesses | None = None
        #: the session's own Janus (media plane janus)
        self.janus: JanusProcess | None = None
        self.urls: tuple[str, ...] = options.urls
        self.fleet: Fleet | None = None
        self.console = ConsoleActions(self)
        self.expect = Expectations(self)
        self.fault = Faults(self)
        #: errors of background actions (talk bursts), in order
        self.background_errors: list[str] = []
        self._desk: Desk | None = None
        self._started: set[str] = set()
        self._labels: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tmp: Path | None = None

    # ----- making sessions ----------------------------------------------------------------------------

    @classmethod
    def embedded(cls, *, pair: bool = False, terminals: Iterable[str] = (), start_later: Iterable[str] = (),
                 line: Path | None = None, user: str = "chief", password: str = SAMPLE_PASSWORD, rate: float = 0.0,
                 seed: int = 0, speed: float = 1.0, answer_calls: bool = True, monitor: Iterable[str] = (),
                 select: str | None = None, log_path: Path | None = None, media: bool = False,
                 plans: bool | Path = False) -> Session:
        """The testbed in this process (or, with ``pair``, the dual-live pair and witness as processes) with
        ``terminals`` (ids or kinds) simulated; the desk logs in as ``user``; with ``media`` video flows."""
        return cls(SessionOptions("pair" if pair else "embedded", line, (), user, password, SAMPLE_TERMINAL_SECRET,
                                  TerminalsSetup(tuple(terminals), tuple(start_later), rate, seed, speed,
                                                 answer_calls), tuple(monitor), select, log_path, media,
                                  plans=plans))

    @classmethod
    def external(cls, urls: Sequence[str], user: str, password: str, *, terminals: Iterable[str] = (),
                 line: Path | None = None, terminal_secret: str = SAMPLE_TERMINAL_SECRET,
                 monitor: Iterable[str] = (), select: str | None = None, log_path: Path | None = None,
                 media_addresses: Sequence[str] = ()) -> Session:
        """A platform this session does not start, at ``urls`` (one instance, or both of a pair); with
        ``media_addresses`` video flows on those local addresses."""
        return cls(SessionOptions("external", line, tuple(urls), user, password, terminal_secret,
                                  TerminalsSetup(tuple(terminals)), tuple(monitor), select, log_path,
                                  bool(media_addresses), tuple(media_addresses) or LOOPBACK))

    @classmethod
    def of(cls, scenario: Scenario, *, log_path: Path | None = None, media_addresses: Sequence[str] = ()) -> Session:
        """The session a scenario's setup describes (with media when a step needs it and this run has it);
        ``media_addresses`` (the runner's ``--media-address``) win over the file's ``setup.media_address``."""
        setup = scenario.setup
        external = setup.external
        media = "media" in scenario.needs and media_unavailable_reason() is None
        addresses = tuple(media_addresses) or setup.media_addresses or LOOPBACK
        return cls(SessionOptions(setup.platform, setup.line, external.urls if external else (), setup.user,
                                  setup.password, external.terminal_secret if external else SAMPLE_TERMINAL_SECRET,
                                  setup.terminals, setup.monitor, setup.select, log_path, media, addresses,
                                  media_plane=setup.media))

    # ----- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the platform, log the desk in, register the simulated terminals; `SetupFailed` otherwise."""
        try:
            await self._start()
        except BaseException as exc:
            await self.close()
            if isinstance(exc, SetupFailed | asyncio.CancelledError | KeyboardInterrupt):
                raise
            raise SetupFailed(describe_failure(exc)) from exc

    async def _start(self) -> None:
        options = self.options
        janus_url = await self._start_janus() if options.media_plane == "janus" else None
        if options.platform == "embedded":
            self.platform = PlatformServer(self.line, port=0, janus_url=janus_url)
            await self.platform.start()
            self.urls = (self.platform.url,)
            if self.platform.sfu is not None:
                try:
                    await self.platform.sfu.wait_up()
                except TimeoutError as exc:
                    raise SetupFailed("the platform did not reach its Janus") from exc
        elif options.platform == "pair":
            self.pair = PairProcesses(line=options.line, proxies=True,
                                      extra=["--janus-url", janus_url] if janus_url else None)
            try:
                await self.pair.start()
            except (OSError, RuntimeError, TimeoutError) as exc:
                raise SetupFailed(f"the pair did not start: {exc}") from exc
            self.urls = tuple(self.pair.urls)
        if not self.urls:
            raise SetupFailed("no platform address")
        log_path = options.log_path
        if log_path is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="trunkdesk-scenario-"))
            log_path = self._tmp / "events.db"
        desk = Desk(log_path, layout=layout_from_line(self.line), media=self._desk_media())
        self._desk = desk
        if options.plans:
            attach_plans(desk, self.line, None if options.plans is True else options.plans)
        try:
            await desk.connect(list(self.urls), options.user, options.password, wait_serving=CONNECT_TIMEOUT)
        except Exception as exc:
            raise SetupFailed(f"the desk could not log in as {options.user} at {', '.join(self.urls)}: "
                              f"{describe_failure(exc)}") from exc
        if not await desk.wait_until(lambda: bool(desk.world.terminals), CONNECT_TIMEOUT):
            raise SetupFailed("the desk got no snapshot of the platform")
        terminals = options.terminals
        chosen = [*terminals.simulate, *terminals.start_later]
        if chosen:
            self.fleet = Fleet(self.line, list(self.urls), seed=terminals.seed, rate=terminals.rate,
                               speed=terminals.speed, include=chosen, answer_calls=terminals.answer_calls,
                               secret=options.terminal_secret, secrets={} if options.platform == "external" else
                               _sample_overrides(), media=self._feed_settings())
            desk.trains.plan_clock = PlanClock.of(self.fleet.service)  # the train graph follows the simulated line
            later = {t.id for t in self.line.terminals.values()
                     if t.id in terminals.start_later or t.kind in terminals.start_later}
            now = [t for t in self.fleet.terminals if t not in later]
            try:
                await self.start_terminals(now)
            except ActionFailed as exc:
                raise SetupFailed(str(exc)) from exc
        if options.monitor:
            await desk.monitor(self.group_id(g) for g in options.monitor)
        if options.select:
            await desk.select(self.group_id(options.select))

    async def _start_janus(self) -> str:
        """Start the session's own Janus (ICE on the media addresses only); its API's URL. `SetupFailed` says what
        is missing: the program, or an address that is not loopback."""
        from console.headless.loader import JANUS_ADDRESS_NEEDED
        from testbed.janus import JanusConfig, JanusNotInstalled, JanusProcess, JanusStartError

        addresses = self.options.media_addresses
        if not self.options.media:
            raise SetupFailed("setup.media: janus needs media (aiortc and PyAV), which this run has not")
        if not addresses or any(_loopback(a) for a in addresses):
            raise SetupFailed(f"setup.media: janus with media on {', '.join(addresses) or 'no address'}: "
                              f"{JANUS_ADDRESS_NEEDED}")
        janus = JanusProcess(JanusConfig(ice_enforce=addresses))
        try:
            await janus.start()
        except (JanusNotInstalled, JanusStartError, OSError) as exc:
            raise SetupFailed(f"Janus did not start: {exc}") from exc
        self.janus = janus
        return janus.url

    def _desk_media(self) -> MediaOptions | None:
        """The desk's media settings: the wall, no voice links (scenarios do not listen), or None."""
        if not self.options.media:
            return None
        from console.core.media_desk import MediaOptions

        return MediaOptions(allowed_addresses=self.options.media_addresses, voice=False)

    def _feed_settings(self) -> FeedSettings | None:
        """Where the simulated terminals' cameras send from (None: the fleet's default, never asked)."""
        if not self.options.media:
            return None
        from testbed.terminals.feeds import FeedSettings

        return FeedSettings(allowed_addresses=self.options.media_addresses, clip_seconds=CLIP_SECONDS)

    async def close(self) -> None:
        """Stop everything this session started (background actions, terminals, desk, platform)."""
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.fleet is not None:
            await asyncio.gather(*(self.fleet.terminal(t).stop() for t in sorted(self._started)),
                                 return_exceptions=True)
            self._started.clear()
        if self._desk is not None:
            with contextlib.suppress(Exception):
                await self._desk.close()
        if self.platform is not None:
            with contextlib.suppress(Exception):
                await self.platform.stop()
            self.platform = None
        if self.pair is not None:
            await self.pair.stop()
            self.pair = None
        if self.janus is not None:
            with contextlib.suppress(Exception):
                await self.janus.stop()
            self.janus = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self.options.media:  # the cameras' senders restricted this process's ICE to the media addresses
            from media import ice

            ice.lift_host_restriction()

    # ----- terminals ----------------------------------------------------------------------------------

    async def start_terminals(self, ids: Sequence[str]) -> None:
        """Register simulated terminals (and start their behaviours), then wait until the desk shows them."""
        fleet = self.fleet
        if fleet is None:
            raise ActionFailed("no terminal is simulated")
        gate = asyncio.Semaphore(_CONCURRENCY)

        async def start_one(sim: SimTerminal) -> None:
            async with gate:
                await asyncio.wait_for(sim.start(), START_TIMEOUT)

        sims = [fleet.terminal(t) for t in ids if t not in self._started]
        results = await asyncio.gather(*(start_one(s) for s in sims), return_exceptions=True)
        failures: dict[str, str] = {}
        for sim, result in zip(sims, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                failures[sim.id] = describe_failure(result)
                await sim.stop()
                continue
            self._started.add(sim.id)
            stream = fleet.behaviour.stream(sim.id, sim.kind)
            if stream.rates.total > 0:
                sim.start_behaviour(stream)
        if failures:
            raise ActionFailed(summarise_failures(failures, len(sims)))
        world = self.desk.world
        started = [s.id for s in sims]
        if not await self.desk.wait_until(lambda: all(world.terminals.get(t) is not None and
                                                      world.terminals[t].presence != "offline" for t in started),
                                          SHOWN_TIMEOUT):
            missing = [t for t in started if t not in world.terminals or world.terminals[t].presence == "offline"]
            raise ActionFailed(f"the desk does not show {', '.join(missing)} registered")

    async def stop_terminal(self, terminal_id: str) -> None:
        """Deregister a simulated terminal (it can `register` again)."""
        if terminal_id in self._started:
            self._started.discard(terminal_id)
            await self.sim(terminal_id).stop()

    def terminal(self, terminal_id: str) -> TerminalActions:
        """Drive one simulated terminal."""
        return TerminalActions(self, self.sim(terminal_id))

    def set_timetable_speed(self, speed: float) -> int:
        """Run every simulated train's timetable (and staff's walks) at ``speed``; how many changed."""
        return set_speed([self.sim(t) for t in self._started], speed)

    # ----- what checks and actions look at -----------------------------------------------------------------

    @property
    def plans(self) -> DeskPlans:
        """The desk's emergency plans (a session made with ``plans``)."""
        plans = self.desk.plans
        if plans is None:
            raise RuntimeError("the session was made without plans (Session.embedded(..., plans=True))")
        return plans

    @property
    def desk(self) -> Desk:
        if self._desk is None:
            raise RuntimeError("the session is not started")
        return self._desk

    def sim(self, terminal_id: str) -> SimTerminal:
        if self.fleet is None or terminal_id not in self.fleet.terminals:
            raise ActionFailed(f"terminal {terminal_id} is not simulated")
        return self.fleet.terminal(terminal_id)

    def sims(self, terminals: Iterable[str]) -> list[SimTerminal]:
        """Simulated terminals named by id, kind (every registered one of it) or train running number."""
        if self.fleet is None:
            return []
        chosen: dict[str, SimTerminal] = {}
        for name in terminals:
            if name in self.fleet.terminals:
                chosen[name] = self.fleet.terminal(name)
            elif name in self.line.trains and self.line.trains[name].radio in self.fleet.terminals:
                radio = self.line.trains[name].radio
                chosen[radio] = self.fleet.terminal(radio)
            else:
                chosen.update({t: self.fleet.terminal(t) for t in sorted(self._started)
                               if self.fleet.terminal(t).kind == name})
        return list(chosen.values())

    def group_id(self, group: str) -> str:
        """The platform's id of a group named by id or by the label a scenario gave a regroup or patch."""
        return self._labels.get(group, group)

    def name_group(self, label: str, group: str) -> None:
        self._labels[label] = group

    def party_id(self, party: str | None) -> str | None:
        """A party as the platform names it: ``dispatcher`` is this desk's user, ``none`` is nobody."""
        if party is None or party == "none":
            return None
        return self.options.user if party == "dispatcher" else party

    def instance_url(self, instance: str) -> str:
        name = self.fault.resolve(instance)
        if self.pair is not None:
            return self.pair.url(name)
        return self.urls[0]

    # ----- background actions -----------------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        """Run an action on in the background (a talk burst); `close` cancels what is left of it."""
        task = asyncio.get_running_loop().create_task(coroutine, name=f"scenario-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = f"{task.get_name()}: {describe_failure(task.exception())}"  # type: ignore[arg-type]
            logger.warning("background action failed: %s", error)
            self.background_errors.append(error)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # an interface name: ICE resolves it


def _sample_overrides() -> dict[str, str]:
    from testbed.line import SAMPLE_OVERRIDE_SECRETS

    return dict(SAMPLE_OVERRIDE_SECRETS)


__all__ = ["Expectations", "Faults", "Session", "SessionOptions", "SetupFailed"]
