"""A fleet of simulated terminals for one line: every station radio, train, handset, recorder and camera
the line lists (or a chosen subset), each over its own session, with behaviours, moving trains and staff.

`Fleet.start` connects them with bounded concurrency and reports every failure in one summary;
`Fleet.stop` closes them all and leaves no task behind.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl as ssl_module
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, get_args

from protocols.aio.client import RequestError
from protocols.messages import TerminalKind
from testbed.line import SAMPLE_OVERRIDE_SECRETS, SAMPLE_TERMINAL_SECRET, Line, Terminal
from testbed.terminals.behaviour import Behaviour
from testbed.terminals.feeds import FeedSettings, media_numbers
from testbed.terminals.floors import TerminalStats
from testbed.terminals.link import platform_urls
from testbed.terminals.service import ServiceClock
from testbed.terminals.staff import SimStaff, StaffWalk
from testbed.terminals.terminal import SimTerminal
from testbed.terminals.train import REPORT_INTERVAL, SimTrain

log = logging.getLogger(__name__)

#: Longest one terminal may take to connect, say hello and affiliate.
START_TIMEOUT = 15.0
#: Failures named one by one in a summary before it says "and N more".
_NAMED_FAILURES = 8
_KINDS = frozenset(get_args(TerminalKind))
#: Which of its groups a terminal talks in by default, by group kind (lower first).
_HOME_RANK = {"station": 0, "talk": 1, "all_call": 2}


class FleetStartError(RuntimeError):
    """Some terminals could not register; ``failures`` maps each one's id to what went wrong."""

    def __init__(self, failures: Mapping[str, str], total: int) -> None:
        self.failures = dict(failures)
        self.total = total
        super().__init__(summarise_failures(self.failures, total))


def summarise_failures(failures: Mapping[str, str], total: int) -> str:
    """One readable paragraph: how many failed, grouped by reason, naming the first few of each."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for terminal_id, reason in failures.items():
        by_reason[reason].append(terminal_id)
    parts = []
    for reason, ids in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        named = ", ".join(ids[:_NAMED_FAILURES]) + (f" and {len(ids) - _NAMED_FAILURES} more"
                                                    if len(ids) > _NAMED_FAILURES else "")
        parts.append(f"{reason} ({len(ids)}: {named})")
    return f"{len(failures)} of {total} terminals failed to register: " + "; ".join(parts)


def describe_failure(exc: BaseException) -> str:
    """What went wrong for one terminal, in words a maintainer acts on."""
    if isinstance(exc, RequestError):
        return f"refused by the platform: {exc.error.code} {exc.error.reason}"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError):
        return f"platform unreachable: {exc}"
    return f"{type(exc).__name__}: {exc}"


def simulated_clock(line: Line, *, speed: float = 1.0, now: float | None = None,
                    offset: float | None = None) -> ServiceClock:
    """The clock a simulated line runs on: from ``now`` (default: the time now) at service time ``offset`` (default:
    the latest first departure, so that every train is in service), ``speed`` times faster than real time."""
    if offset is None:
        offset = max((d.first_s for d in line.timetable.departures.values()), default=0.0)
    return ServiceClock(start=time.time() if now is None else now, speed=speed, offset=offset)


def home_group_of(line: Line, terminal: Terminal) -> str | None:
    """The group a terminal talks in when none is named: a train its talk group, others their station's."""
    groups = [line.groups[g] for g in line.groups_of(terminal.id)]
    if not groups:
        return None
    if terminal.kind == "train":
        return min(groups, key=lambda g: (g.kind != "talk", _HOME_RANK.get(g.kind, 3))).id
    return min(groups, key=lambda g: _HOME_RANK.get(g.kind, 3)).id


@dataclass
class FleetStats:
    """How the fleet is doing: registered terminals (in all and per kind) and the sum of their counters."""

    terminals: int
    registered: int
    registered_by_kind: dict[str, int] = field(default_factory=dict)
    totals: TerminalStats = field(default_factory=TerminalStats)

    def as_dict(self) -> dict[str, Any]:
        return {"terminals": self.terminals, "registered": self.registered,
                "registered_by_kind": dict(self.registered_by_kind), **vars(self.totals)}


class Fleet:
    """Simulated terminals of a line connected to the platform (see the module docstring).

    ``urls`` are the platform's instances: one URL, or both of a dual-live pair (each terminal then comes back
    by itself, on whichever instance is active, when its link is lost).

    ``include`` chooses terminals by kind ("train", "handset", ...) or by id; None takes them all.
    ``rate`` scales the behaviour rates (0: terminals only do what they are told); ``speed`` runs the
    timetable and the staff's walks faster than real time; ``service_offset`` is the service time at
    start (default: once every timetabled train has left its origin). ``media`` says where the terminals'
    media may flow; each terminal stamps its video with its place in the line's terminal list (from 1,
    `feeds.media_numbers`), so a tile's stamp tells which terminal it shows.
    """

    def __init__(
        self,
        line: Line,
        urls: str | Sequence[str],
        *,
        seed: int = 0,
        rate: float = 1.0,
        speed: float = 1.0,
        include: Iterable[str] | None = None,
        connect_concurrency: int = 50,
        behaviour: Behaviour | None = None,
        secret: str = SAMPLE_TERMINAL_SECRET,
        secrets: Mapping[str, str] = SAMPLE_OVERRIDE_SECRETS,
        service_offset: float | None = None,
        service: ServiceClock | None = None,
        report_interval: float = REPORT_INTERVAL,
        answer_calls: bool = True,
        strict: bool = True,
        clock: Callable[[], float] = time.time,
        media: FeedSettings | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        if connect_concurrency < 1:
            raise ValueError("connect_concurrency must be at least 1")
        self.line = line
        self.urls = platform_urls(urls)
        #: the first of ``urls`` (the single platform URL of a fleet made with one)
        self.url = self.urls[0]
        self.seed = seed
        self.connect_concurrency = connect_concurrency
        self.strict = strict
        self.clock = clock
        #: TLS for ``wss://`` instances: every terminal verifies the platform with it
        self.ssl = ssl
        behaviour = behaviour or Behaviour(seed=seed)
        self.behaviour = behaviour.with_rate(behaviour.rate * rate)
        #: the simulated line's clock: ``service`` when given (the one its platform tells consoles), else one
        #: starting now at ``service_offset`` (default: every train in service) and running at ``speed``
        self.service = service or simulated_clock(line, speed=speed, now=clock(), offset=service_offset)
        self.media = media or FeedSettings()
        #: the number each terminal stamps into its video and picks its tone by
        self.media_numbers = media_numbers(line.terminals)
        self.failures: dict[str, str] = {}
        self._started: list[SimTerminal] = []
        self.terminals: dict[str, SimTerminal] = {}
        for terminal in self._choose(include):
            sim = self._make(terminal, secrets.get(terminal.id, secret), report_interval=report_interval,
                             answer_calls=answer_calls)
            self.terminals[terminal.id] = sim

    def _choose(self, include: Iterable[str] | None) -> list[Terminal]:
        terminals = list(self.line.terminals.values())
        if include is None:
            return terminals
        wanted = set(include)
        unknown = sorted(w for w in wanted if w not in _KINDS and w not in self.line.terminals)
        if unknown:
            raise ValueError(f"not a terminal kind or id of line {self.line.name}: {', '.join(unknown)}")
        return [t for t in terminals if t.kind in wanted or t.id in wanted]

    def _make(self, terminal: Terminal, secret: str, *, report_interval: float,
              answer_calls: bool) -> SimTerminal:
        common: dict[str, Any] = {"clock": self.clock, "home_group": home_group_of(self.line, terminal),
                                  "answer_calls": answer_calls, "reconnect_seed": self.seed,
                                  "ssl": self.ssl, "media": self.media,
                                  "media_number": self.media_numbers[terminal.id]}
        if terminal.kind == "train" and terminal.train is not None:
            train = self.line.trains.get(terminal.train)
            return SimTrain(terminal, self.urls, secret, timetable=self.line.timetable, service=self.service,
                            depot=train.depot if train is not None else None, report_interval=report_interval,
                            **common)
        if terminal.kind in ("handset", "recorder"):
            rng = random.Random(f"{self.seed}/walk/{terminal.id}")
            walk = StaffWalk(self.line, terminal.station, rng, start_t=self.service.at(self.clock()))
            return SimStaff(terminal, self.urls, secret, walk=walk, service=self.service, **common)
        return SimTerminal(terminal, self.urls, secret, **common)

    # ----- access -----------------------------------------------------------------------------

    def terminal(self, terminal_id: str) -> SimTerminal:
        """The simulated terminal with this id (KeyError when the fleet has none)."""
        return self.terminals[terminal_id]

    def of_kind(self, kind: str) -> list[SimTerminal]:
        return [t for t in self.terminals.values() if t.kind == kind]

    def stats(self) -> FleetStats:
        registered = [t for t in self.terminals.values() if t.link_up]
        stats = FleetStats(terminals=len(self.terminals), registered=len(registered),
                           registered_by_kind=dict(Counter(t.kind for t in registered)))
        for terminal in self.terminals.values():
            stats.totals.add(terminal.stats)
        return stats

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect every terminal (``connect_concurrency`` at a time), then start their behaviours.

        Failures are collected in ``failures``; with ``strict`` they stop the fleet and raise one
        `FleetStartError` naming them, otherwise they are logged as one summary."""
        gate = asyncio.Semaphore(self.connect_concurrency)

        async def start_one(terminal: SimTerminal) -> None:
            async with gate:
                await asyncio.wait_for(terminal.start(), START_TIMEOUT)

        chosen = list(self.terminals.values())
        began = time.monotonic()
        results = await asyncio.gather(*(start_one(t) for t in chosen), return_exceptions=True)
        self.failures = {}
        for terminal, result in zip(chosen, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                self.failures[terminal.id] = describe_failure(result)
                await terminal.stop()  # whatever it got as far as, nothing of it keeps running
            else:
                self._started.append(terminal)
        log.info("fleet: %d of %d terminals registered at %s in %.1f s", len(self._started), len(chosen),
                 " or ".join(self.urls), time.monotonic() - began)
        if self.failures:
            summary = summarise_failures(self.failures, len(chosen))
            if self.strict:
                await self.stop()
                raise FleetStartError(self.failures, len(chosen))
            log.warning("fleet: %s", summary)
        for terminal in self._started:
            stream = self.behaviour.stream(terminal.id, terminal.kind)
            if stream.rates.total > 0:
                terminal.start_behaviour(stream)

    async def stop(self) -> None:
        """Say bye from every terminal and wait until all their tasks are done."""
        gate = asyncio.Semaphore(self.connect_concurrency)

        async def stop_one(terminal: SimTerminal) -> None:
            async with gate:
                await terminal.stop()

        started, self._started = self._started, []
        results = await asyncio.gather(*(stop_one(t) for t in started), return_exceptions=True)
        for terminal, result in zip(started, results, strict=True):
            if isinstance(result, Exception):
                log.warning("fleet: terminal %s did not stop cleanly: %r", terminal.id, result)

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
