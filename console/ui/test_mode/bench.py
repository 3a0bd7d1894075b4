"""The desk's test bench: the platform to break (the dual-live pair and witness as processes, with proxies on every
link) and simulated terminals of the line in the desk's own process, on its qasync loop, driven by hand.

The bench drives terminals and faults through the headless scenario API (`console.headless.session.Session`), the
same code `trunkdesk scenario run` uses, over the Qt desk's own `Desk`: what the maintainer does here is what a
scenario step does, so a recording replays the same way. The bench is Qt-free; the panel
(`console.ui.panes.test_mode`) runs its coroutines on the qasync loop and polls its state.

Against an external platform (`trunkdesk desk --test-mode`) the bench only simulates terminals: faults need the
bench's own pair (`trunkdesk demo --test-mode`). On the Janus plane (`trunkdesk demo --test-mode --media janus
--media-address ADDR`) the bench also starts the Janus its pair brokers, and Janus takes faults too (kill, pause,
resume, restart), recorded like the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from console.core.desk import Desk
from console.core.train_graph import PlanClock
from console.headless.actions import ActionFailed, TerminalActions
from console.headless.checks import media_unavailable_reason
from console.headless.scenario import JANUS_FAULTS, TerminalsSetup
from console.headless.session import Session, SessionOptions
from console.ui.test_mode import TestModeOptions
from console.ui.test_mode.recording import ScenarioRecording
from protocols import messages as wire
from testbed.line import SAMPLE_OVERRIDE_SECRETS, SAMPLE_TERMINAL_SECRET, Line, default_line_path, load_line
from testbed.pair import INSTANCES, PairProcesses
from testbed.terminals import EmergencyOutcome, Fleet, PttOutcome, SimTerminal
from testbed.terminals.feeds import FeedSettings

logger = logging.getLogger(__name__)

#: faults the bench can make, in the words of scenario files (``fault:``)
FAULTS = ("kill", "pause", "resume", "restart", "isolate", "restore")
#: the witness takes only these
WITNESS_FAULTS = ("kill", "restart")
#: the bench's own Janus (the Janus plane) takes these, in this order on the panel
BENCH_JANUS_FAULTS = ("kill", "pause", "resume", "restart")
assert set(BENCH_JANUS_FAULTS) == JANUS_FAULTS
#: terminals registered at once when many are added (the panel shows progress between batches)
ADD_BATCH = 25

ProcessState = Literal["running", "paused", "isolated", "stopped"]


@dataclass(frozen=True)
class InstanceState:
    """One process of the pair as the bench knows it, and as the desk sees it."""

    name: str
    #: the process: running, paused (SIGSTOP), isolated (every link frozen), stopped (killed or exited)
    process: ProcessState
    pid: int | None
    #: the desk's view: the instance's role and the state of the desk's link to it (None for the witness)
    role: str | None = None
    link: str | None = None


class BenchSession(Session):
    """A headless `Session` whose desk is the Qt desk the dispatcher sees (the bench never starts a desk of its
    own): checks, console actions and faults look at and act through that desk."""

    def __init__(self, options: SessionOptions, desk: Desk) -> None:
        super().__init__(options)
        self._shown_desk = desk

    @property
    def desk(self) -> Desk:
        return self._shown_desk


class TestBench:
    """The bench (see the module docstring): `start_platform`, then `attach` to the signed-in desk, then drive."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, options: TestModeOptions | None = None, *, line: Path | None = None,
                 urls: Sequence[str] = (), own_pair: bool = True, ssl: Any = None,
                 terminal_secret: str = SAMPLE_TERMINAL_SECRET) -> None:
        self.options = options or TestModeOptions()
        self.line_path = line
        self.line: Line = load_line(line or default_line_path())
        self.own_pair = own_pair
        self.urls: list[str] = list(urls)
        self.ssl = ssl
        self.terminal_secret = terminal_secret
        self.pair: PairProcesses | None = None
        #: the Janus of the bench's own pair (the Janus plane)
        self.janus: Any = None
        self.session: BenchSession | None = None
        self.fleet: Fleet | None = None
        self.user = ""
        #: why video cannot be prepared here (None: it can)
        self.media_unavailable: str | None = media_unavailable_reason()
        self.recording: ScenarioRecording | None = None
        #: what went wrong last in the background (adding terminals at start), for the panel
        self.problem = ""
        self._simulated: set[str] = set()
        self._adding: set[str] = set()
        self._paused: set[str] = set()
        self._presses: dict[str, asyncio.Future[PttOutcome]] = {}
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def with_pair(cls, options: TestModeOptions | None = None, *, line: Path | None = None) -> TestBench:
        """A bench that starts its own pair (`trunkdesk demo --test-mode`)."""
        return cls(options, line=line, own_pair=True)

    @classmethod
    def against(cls, urls: Sequence[str], options: TestModeOptions | None = None, *, line: Path | None = None,
                ssl: Any = None, terminal_secret: str = SAMPLE_TERMINAL_SECRET) -> TestBench:
        """A bench whose terminals register with an external platform (`trunkdesk desk --test-mode`): no faults."""
        return cls(options or TestModeOptions(terminals=(), rate=0.0), line=line, urls=urls, own_pair=False,
                   ssl=ssl, terminal_secret=terminal_secret)

    # ----- listeners ------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when the simulated terminals, the pair or the recording changed; the unsubscriber."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                logger.exception("test bench listener %r failed", listener)

    # ----- lifecycle ----------------------------------------------------------------------------------

    async def start_platform(self) -> list[str]:
        """Start the pair and the witness (with proxies, so that instances can be isolated); the client URLs, A
        first. Against an external platform: its URLs."""
        if self.own_pair and self.pair is None:
            janus_url = await self._start_janus() if self.options.media == "janus" else None
            pair = PairProcesses(line=self.line_path, proxies=True,
                                 extra=["--janus-url", janus_url] if janus_url else None)
            self.pair = pair
            try:
                await pair.start()
            except BaseException:
                self.pair = None
                await pair.stop()
                raise
            self.urls = list(pair.urls)
            logger.info("test bench: pair up at %s", ", ".join(self.urls))
        return list(self.urls)

    @property
    def media_addresses(self) -> tuple[str, ...]:
        """Where the bench's terminals send media from (loopback unless the options say otherwise)."""
        return self.options.media_addresses or ("127.0.0.1",)

    async def _start_janus(self) -> str:
        """Start the Janus the bench's pair brokers (ICE on the media addresses only); its API's URL."""
        from console.headless.loader import JANUS_ADDRESS_NEEDED
        from testbed.janus import JanusConfig, JanusProcess

        addresses = self.options.media_addresses
        if not addresses or any(a.startswith("127.") or a == "::1" for a in addresses):
            raise ActionFailed(f"test mode on Janus: {JANUS_ADDRESS_NEEDED}")
        janus = JanusProcess(JanusConfig(ice_enforce=addresses))
        await janus.start()
        self.janus = janus
        logger.info("test bench: Janus at %s, media on %s", janus.url, ", ".join(addresses))
        return janus.url

    async def attach(self, desk: Desk, user: str, password: str = "") -> None:
        """Follow the signed-in ``desk`` (as ``user``): make the simulated line (no terminal registered yet)."""
        options = self.options
        media = self.media_unavailable is None
        session_options = SessionOptions("pair" if self.pair is not None else "external", self.line_path,
                                         tuple(self.urls), user, password, self.terminal_secret,
                                         TerminalsSetup(rate=options.rate, seed=options.seed, speed=options.speed),
                                         media=media, media_addresses=self.media_addresses,
                                         media_plane=options.media)
        session = BenchSession(session_options, desk)
        session.pair = self.pair
        session.janus = self.janus
        session.urls = tuple(self.urls)
        self.fleet = Fleet(self.line, self.urls, seed=options.seed, rate=options.rate, speed=options.speed,
                           secret=self.terminal_secret, secrets=SAMPLE_OVERRIDE_SECRETS if self.own_pair else {},
                           ssl=self.ssl, media=FeedSettings(allowed_addresses=self.media_addresses) if media else None)
        desk.trains.plan_clock = PlanClock.of(self.fleet.service)  # the train graph follows the simulated line
        session.fleet = self.fleet
        self.session = session
        self.user = user
        self._changed()

    def initial_terminals(self) -> list[str]:
        """The terminals the options register when the desk is up (ids and kinds expanded, in line order)."""
        wanted = self.options.terminals
        if wanted is None:
            return list(self.line.terminals)
        chosen = set(wanted)
        return [t.id for t in self.line.terminals.values() if t.id in chosen or t.kind in chosen]

    async def start_terminals(self) -> None:
        """Register the options' terminals (in batches, so the panel can show progress); failures are kept in
        ``problem``, never raised."""
        ids = self.initial_terminals()
        for first in range(0, len(ids), ADD_BATCH):
            try:
                await self.add(ids[first:first + ADD_BATCH])
            except ActionFailed as exc:
                self.problem = str(exc)
                logger.warning("test bench: %s", exc)

    async def close(self) -> None:
        """Stop every simulated terminal and the pair (the desk is the caller's to close)."""
        if self.recording is not None and self.recording.recording:
            self.recording.finish(())
        session, self.session = self.session, None
        if session is not None:
            await session.close()  # stops its started terminals, background actions, the pair and Janus
        else:
            if self.pair is not None:
                await self.pair.stop()
            if self.janus is not None:
                await self.janus.stop()
        self.pair = self.janus = None
        self._simulated.clear()

    # ----- the simulated terminals ----------------------------------------------------------------------

    def _session(self) -> BenchSession:
        if self.session is None:
            raise ActionFailed("the test bench is not attached to a desk yet")
        return self.session

    @property
    def simulated(self) -> list[str]:
        """Terminals the bench simulates now (registered, or with their link dropped), in line order."""
        return [t for t in self.line.terminals if t in self._simulated]

    def is_simulated(self, terminal: str) -> bool:
        return terminal in self._simulated

    @property
    def adding(self) -> int:
        """Terminals being registered right now."""
        return len(self._adding)

    def candidates(self) -> list[str]:
        """Terminals of the line the bench can add (not simulated yet), in line order."""
        return [t for t in self.line.terminals if t not in self._simulated and t not in self._adding]

    def sim(self, terminal: str) -> SimTerminal:
        return self._session().sim(terminal)

    def _driven(self, terminal: str) -> TerminalActions:
        if terminal not in self._simulated:
            raise ActionFailed(f"terminal {terminal} is not simulated: add it first")
        return self._session().terminal(terminal)

    async def add(self, terminals: Iterable[str]) -> list[str]:
        """Register terminals of the line (and start their behaviours); the ones that registered. `ActionFailed`
        names those that did not."""
        session = self._session()
        ids = [t for t in dict.fromkeys(terminals) if t not in self._simulated and t not in self._adding]
        unknown = [t for t in ids if t not in self.line.terminals]
        if unknown:
            raise ActionFailed(f"not terminals of line {self.line.name}: {', '.join(unknown)}")
        if not ids:
            return []
        when = time.time()
        self._adding.update(ids)
        self._changed()
        failure: ActionFailed | None = None
        try:
            await session.start_terminals(ids)
        except ActionFailed as exc:
            failure = exc
        finally:
            self._adding.difference_update(ids)
        started = [t for t in ids if session.sim(t).link_up]
        self._simulated.update(started)
        if self.recording is not None and self.recording.recording:
            for terminal in started:
                self.recording.registered(when, terminal)
        logger.info("test bench: %d terminal(s) added", len(started))
        self._changed()
        if failure is not None:
            raise failure
        return started

    async def remove(self, terminals: Iterable[str]) -> None:
        """Stop simulated terminals (each says bye to the platform; it can be added again)."""
        session = self._session()
        when = time.time()
        for terminal in [t for t in dict.fromkeys(terminals) if t in self._simulated]:
            self._simulated.discard(terminal)
            self._presses.pop(terminal, None)
            await session.stop_terminal(terminal)
            if self.recording is not None and self.recording.recording:
                self.recording.deregistered(when, terminal)
        self._changed()

    # ----- driving one terminal ---------------------------------------------------------------------------

    def _note(self, when: float, action: str, terminal: str, **fields: Any) -> None:
        if self.recording is not None and self.recording.recording:
            self.recording.terminal(when, action, terminal, **fields)

    async def ptt_press(self, terminal: str) -> PttOutcome:
        """Press the terminal's PTT in its home group and keep it pressed until `ptt_release`."""
        handle, when = self._driven(terminal), time.time()
        press = asyncio.ensure_future(handle.ptt())
        self._presses[terminal] = press
        outcome = await press
        self._note(when, "ptt", terminal)
        return outcome

    async def ptt_release(self, terminal: str) -> None:
        """Let go of PTT (after the press before it has been answered: a quick tap leaves no request behind)."""
        handle = self._driven(terminal)
        press = self._presses.pop(terminal, None)
        if press is not None:
            with contextlib.suppress(Exception):
                await press
        when = time.time()
        await handle.release()
        self._note(when, "release", terminal)

    async def talk(self, terminal: str, seconds: float) -> PttOutcome:
        """A talk burst of ``seconds`` in the home group (it goes on after this returns)."""
        handle, when = self._driven(terminal), time.time()
        outcome = await handle.talk(seconds)
        self._note(when, "talk", terminal, **{"for": _seconds(seconds)})
        return outcome

    async def emergency(self, terminal: str, kind: Literal["emergency", "imminent_peril"] = "emergency"
                        ) -> EmergencyOutcome:
        handle, when = self._driven(terminal), time.time()
        outcome = await handle.emergency(kind)
        self._note(when, "emergency", terminal, kind=None if kind == "emergency" else kind)
        return outcome

    async def cancel_emergency(self, terminal: str) -> None:
        handle, when = self._driven(terminal), time.time()
        await handle.cancel_emergency()
        self._note(when, "cancel_emergency", terminal)

    async def status(self, terminal: str, code: int) -> None:
        handle, when = self._driven(terminal), time.time()
        await handle.status(code)
        self._note(when, "status", terminal, code=code)

    async def text(self, terminal: str, text: str, *, to_dispatcher: bool = True) -> str:
        """Send a text to the dispatcher (this desk), or to the terminal's home group."""
        handle, when = self._driven(terminal), time.time()
        to = "dispatcher" if to_dispatcher else None
        message = await handle.text(text, to=to)
        self._note(when, "text", terminal, text=text, to=to)
        return message

    async def move(self, terminal: str, station: str, next_station: str | None = None, *,
                   hold: bool = False) -> wire.Location:
        """A train to ``station`` (or between it and ``next_station``) on its timetable; others to the station."""
        handle, when = self._driven(terminal), time.time()
        between = [station, next_station] if next_station else None
        location = await handle.move(station=None if between else station, between=between, hold=hold)
        self._note(when, "move", terminal, station=None if between else station, between=between,
                   hold=True if hold else None)
        return location

    async def alarm(self, terminal: str, code: str, text: str = "", source: wire.AlarmSource = "equipment",
                    severity: wire.Severity = "major") -> str:
        handle, when = self._driven(terminal), time.time()
        alarm = await handle.alarm(code, text, source, severity)
        self._note(when, "alarm", terminal, code=code, text=text or None, source=source, severity=severity)
        return alarm

    async def drop_link(self, terminal: str) -> None:
        handle, when = self._driven(terminal), time.time()
        await handle.drop_link()
        self._note(when, "drop_link", terminal)
        self._changed()

    async def restore_link(self, terminal: str) -> None:
        handle, when = self._driven(terminal), time.time()
        await handle.restore_link()
        self._note(when, "restore_link", terminal)
        self._changed()

    async def publish_video(self, terminal: str) -> None:
        """Get the terminal's camera ready to send (its clip encoded now): a pull from the desk is answered at once."""
        handle, when = self._driven(terminal), time.time()
        await handle.publish_video()
        self._note(when, "publish_video", terminal)

    # ----- faults ------------------------------------------------------------------------------------------

    @property
    def has_pair(self) -> bool:
        return self.pair is not None

    def active_instance(self) -> str | None:
        """The instance the desk sees active over a link that is up, if any."""
        session = self.session
        if session is None:
            return None
        links = session.desk.world.links
        return next((n for n in INSTANCES if (link := links.get(n)) is not None and link.role == "active"
                     and link.state == "up"), None)

    async def fault(self, action: str, instance: str) -> str:
        """Break (or mend) instance A, B or the witness the way a scenario's ``fault:`` step does; the instance."""
        session = self._session()
        allowed = WITNESS_FAULTS if instance == "witness" else BENCH_JANUS_FAULTS if instance == "janus" else FAULTS
        if action not in allowed:
            raise ActionFailed(f"no fault {action} for {instance}")
        if self.pair is None:
            raise ActionFailed("faults need the test bench's own pair: run trunkdesk demo --test-mode")
        if instance == "janus" and self.janus is None:
            raise ActionFailed("the bench runs no Janus: run trunkdesk demo --test-mode --media janus "
                               "--media-address ADDR")
        running = self.janus.running if instance == "janus" else self.pair.alive(instance)
        if action in ("pause", "resume", "isolate", "restore") and not running:
            raise ActionFailed(f"{instance} is not running: restart it first")
        active, when = self.active_instance(), time.time()
        try:
            name = str(await getattr(session.fault, action)(instance))
        except OSError as exc:
            raise ActionFailed(f"{action} {instance}: {exc}") from exc
        if action == "pause":
            self._paused.add(name)
        elif action in ("resume", "kill", "restart"):
            self._paused.discard(name)
        if self.recording is not None and self.recording.recording:
            self.recording.fault(when, action, name, active_before=active)
        logger.warning("test bench: fault %s on %s", action, name)
        self._changed()
        return name

    def instances(self) -> list[InstanceState]:
        """A, B, the witness and the bench's Janus (if it has one) as they are now (empty without the bench's own
        pair)."""
        pair = self.pair
        if pair is None:
            return []
        links = self.session.desk.world.links if self.session is not None else {}
        states: list[InstanceState] = []
        for name in (*INSTANCES, "witness"):
            child = pair.children.get(name)
            process = child.process if child is not None else None
            alive = process is not None and process.returncode is None
            state: ProcessState = "stopped"
            if alive:
                state = "paused" if name in self._paused else "isolated" if self._isolated(name) else "running"
            link = links.get(name)
            states.append(InstanceState(name, state, process.pid if alive and process is not None else None,
                                        link.role if link is not None else None,
                                        link.state if link is not None else None))
        janus = self.janus
        if janus is not None:
            janus_state: ProcessState = ("stopped" if not janus.running else "paused" if "janus" in self._paused
                                         else "running")
            states.append(InstanceState("janus", janus_state, janus.pid if janus.running else None))
        return states

    def _isolated(self, name: str) -> bool:
        assert self.pair is not None
        proxy = self.pair.proxies.get("witness-A" if name == "witness" else f"client-{name}")
        return proxy is not None and proxy.state != "open"

    # ----- recording ---------------------------------------------------------------------------------------

    def start_recording(self, *, checks: bool = True) -> ScenarioRecording:
        """Record from now on: every action and fault here, and the desk's commands (taken from its event log)."""
        session = self._session()
        world = session.desk.world
        self.recording = ScenarioRecording(line=self.line, line_path=self.line_path, user=self.user,
                                           monitor=world.affiliations, select=world.selected,
                                           simulated=self._simulated, seed=self.options.seed,
                                           speed=self.options.speed, world=world, checks=checks,
                                           media=self.options.media, media_addresses=self.options.media_addresses)
        logger.info("test bench: recording")
        self._changed()
        return self.recording

    async def stop_recording(self) -> ScenarioRecording:
        """Stop recording and collect the dispatcher's commands given meanwhile from the desk's event log."""
        recording = self.recording
        if recording is None:
            raise ActionFailed("nothing is being recorded")
        if recording.recording:
            ended = time.time()
            since = int(recording.started * 1000)
            events = await self._session().desk.log.asearch(kind="command", since=since, limit=100_000)
            recording.finish(events, ended)
            logger.info("test bench: recording stopped (%d steps)", recording.step_count)
        self._changed()
        return recording


def _seconds(value: float) -> str:
    return f"{value:g}s"


__all__ = ["BENCH_JANUS_FAULTS", "FAULTS", "WITNESS_FAULTS", "BenchSession", "InstanceState", "TestBench"]
