"""Faults injected into the dual-live pair while a console issues commands, and the invariants the pair keeps.

Shared by the fault tests (tests/integration/test_failover_faults.py) and the failover benchmark
(bench/bench_failover.py). A `ConsoleProbe` is a console on both instances (`DualLiveClient`) that raises a
numbered alarm every ``period`` seconds and records each command's one outcome; `inject` and `heal` break
and mend the pair (`PairProcesses` with proxies); `ConsoleProbe.check` reads the serving instance's snapshot
and returns a `Verdict`: no acknowledged command lost, none applied twice, none without an outcome, the
console's affiliations as it wanted them, and never two epochs accepting commands at once.

Every time here is the event loop's clock (``loop.time()``), the clock the failover machine's events use.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from protocols.aio.client import ConnectionClosed, RequestError
from protocols.aio.dual import DualLiveClient
from protocols.constants import REQUEST_TIMEOUT
from protocols.machines.failover import FailoverEvent, Offline, ServingChanged, SplitBrain
from protocols.messages import (
    AlarmRaise,
    FloorAck,
    FloorGranted,
    Hello,
    Message,
    PlatformRole,
    Snapshot,
    SnapshotRequest,
)
from testbed.pair import INSTANCES, PairProcesses

log = logging.getLogger(__name__)

FaultKind = Literal["kill", "pause", "partition-console", "partition-pair", "witness-down"]
FAULT_KINDS: tuple[FaultKind, ...] = ("kill", "pause", "partition-console", "partition-pair", "witness-down")
#: what each fault does, for reports
FAULT_NAMES: dict[FaultKind, str] = {
    "kill": "SIGKILL of the active",
    "pause": "SIGSTOP of the active, then SIGCONT",
    "partition-console": "console cut off from the active (link frozen)",
    "partition-pair": "pair link frozen both ways (A-B partition)",
    "witness-down": "witness killed, then restarted",
}
#: faults after which a new epoch serves
EPOCH_RAISING: frozenset[FaultKind] = frozenset({"kill", "pause"})


# ----- commands and the verdict -------------------------------------------------------------------


@dataclass
class CommandRecord:
    """One command of the probe and its one outcome."""

    n: int
    code: str
    sent_at: float
    outcome: Literal["ok", "failed"] | None = None
    #: epoch of the Ok answer
    epoch: int | None = None
    answered_at: float | None = None
    #: error code of a failure (0 when it failed without one, e.g. the client closed)
    error: int | None = None
    #: name of the instance serving the console when the outcome came
    served_by: str | None = None
    #: outcomes reported after the first one: must stay 0
    extra_outcomes: int = 0

    @property
    def wait(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.sent_at


def split_brain_windows(records: Sequence[CommandRecord]) -> int:
    """Runs of acknowledged commands answered at an epoch below one already answered, in answer order: each
    run is a window in which two epochs accepted commands."""
    oks = sorted((r for r in records if r.outcome == "ok" and r.answered_at is not None),
                 key=lambda r: r.answered_at or 0.0)
    highest, windows, inside = 0, 0, False
    for record in oks:
        epoch = record.epoch or 0
        if epoch < highest:
            windows += 0 if inside else 1
            inside = True
        else:
            highest, inside = epoch, False
    return windows


@dataclass
class Verdict:
    """The invariants after a fault, checked against the serving instance's snapshot."""

    #: instance whose snapshot was checked
    instance: str | None
    commands: int
    acknowledged: int
    failed: int
    #: codes of commands with no outcome within the bound (a hang), or with more than one outcome
    unresolved: list[str]
    #: codes of acknowledged commands missing from the snapshot
    lost: list[str]
    #: codes found in more than one alarm
    twice: list[str]
    affiliated: list[str]
    selected: str | None
    wanted: tuple[list[str], str | None]
    split_brain_windows: int
    #: error codes of the failed commands, with their counts
    errors: dict[int, int] = field(default_factory=dict)

    @property
    def affiliations_kept(self) -> bool:
        return (sorted(self.affiliated), self.selected) == (sorted(self.wanted[0]), self.wanted[1])

    @property
    def problems(self) -> list[str]:
        """Each broken invariant in words; empty when all hold."""
        found = []
        if self.lost:
            found.append(f"{len(self.lost)} acknowledged command(s) lost: {self.lost[:10]}")
        if self.twice:
            found.append(f"{len(self.twice)} command(s) applied twice: {self.twice[:10]}")
        if self.unresolved:
            found.append(f"{len(self.unresolved)} command(s) without exactly one outcome: {self.unresolved[:10]}")
        if not self.affiliations_kept:
            found.append(f"affiliations {self.affiliated} selected {self.selected}, wanted {self.wanted}")
        if self.split_brain_windows:
            found.append(f"{self.split_brain_windows} split-brain window(s): an older epoch acknowledged after a newer")
        return found


def merge_snapshot(parts: Sequence[Snapshot]) -> Snapshot:
    """One snapshot from its parts (lists concatenated, the receiver's affiliations from part 1)."""
    first = next(p for p in parts if p.part == 1)
    return Snapshot(
        terminals=[t for p in parts for t in p.terminals], groups=[g for p in parts for g in p.groups],
        calls=[c for p in parts for c in p.calls], alerts=[a for p in parts for a in p.alerts],
        alarms=[a for p in parts for a in p.alarms], affiliated=first.affiliated, selected=first.selected,
        epoch=first.epoch, part=1, parts=1)


# ----- the console ------------------------------------------------------------------------------


class ConsoleProbe:
    """A console on both instances issuing a numbered state-changing command every ``period`` seconds."""

    def __init__(self, urls: Sequence[str], *, ident: str = "chief", secret: str = "demo",
                 groups: Sequence[str] = ("TG-S01", "TG-TRAIN"), selected: str | None = "TG-S01",
                 period: float = 0.1, prefix: str = "cmd", request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.ident = ident
        self.groups = list(groups)
        self.selected = selected
        self.period = period
        self.prefix = prefix
        self.request_timeout = request_timeout
        hello = Hello(id=0, versions=[1], role="console", ident=ident, secret=secret, agent="failover-probe")
        self.client = DualLiveClient(urls, hello, request_timeout=request_timeout)
        self.client.on_change = self._tap
        self.records: list[CommandRecord] = []
        #: every failover event, and every platform.role received, with when it came
        self.events: list[tuple[float, FailoverEvent]] = []
        self.roles: list[tuple[float, PlatformRole]] = []
        self.grants: list[tuple[float, FloorGranted]] = []
        self._snapshots: list[Snapshot] = []
        self._messages: collections.deque[tuple[float, Message]] = collections.deque(maxlen=2000)
        self._arrived = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    # ----- lifecycle ------------------------------------------------------------------------

    async def start(self, *, wait_serving: float = 10.0) -> None:
        """Connect to both instances, affiliate, and start reading what the platform sends."""
        await self.client.start(wait_serving=wait_serving)
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="failover-probe-reader")
        await self.client.set_affiliations(self.groups, self.selected)

    async def close(self) -> None:
        await self.stop_commands()
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        await self.client.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    # ----- what the console sees --------------------------------------------------------------

    def _tap(self, event: FailoverEvent) -> None:
        self.events.append((self.now(), event))

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await self.client.next_message()
                now = self.now()
                if isinstance(message, PlatformRole):
                    self.roles.append((now, message))
                elif isinstance(message, Snapshot):
                    self._snapshots.append(message)
                elif isinstance(message, FloorGranted):
                    self.grants.append((now, message))
                    if message.holder == self.ident:  # the desk acknowledges every grant to it (T20)
                        self.client.notify(FloorAck(call=message.call))
                self._messages.append((now, message))
                self._arrived.set()

    def instance_of(self, url: str | None) -> str | None:
        """The name the instance at ``url`` gives itself (A, B), None if unknown."""
        info = self.client.links().get(url or "")
        return info.instance if info is not None else None

    @property
    def serving(self) -> str | None:
        """Name of the instance serving the console now."""
        return self.instance_of(self.client.serving)

    def active(self) -> str | None:
        """Name of the instance announcing active at the highest epoch on a link that is up."""
        for info in self.client.links().values():
            if info.state == "up" and info.role == "active" and info.epoch == self.client.epoch:
                return info.instance
        return None

    def healthy(self) -> bool:
        """One active and one standby following it, both reachable at the highest epoch, the console served
        by the active, no split brain."""
        links = list(self.client.links().values())
        if len(links) != 2 or any(info.state != "up" or info.epoch != self.client.epoch for info in links):
            return False
        if sorted(str(info.role) for info in links) != ["active", "standby"] or not all(i.peer_up for i in links):
            return False
        return not self.client.split_brain and self.serving == self.active() and not self.client.via_standby

    def describe_links(self) -> str:
        return "; ".join(f"{i.instance or '?'} {i.state} {i.role} epoch {i.epoch} peer_up {i.peer_up}"
                         f"{' serving' if i.serving else ''}" for i in self.client.links().values())

    async def wait_healthy(self, timeout: float = 15.0) -> float:
        """Wait until `healthy`; the seconds it took. TimeoutError naming the links when it does not happen."""
        began = self.now()
        while not self.healthy():
            if self.now() - began > timeout:
                raise TimeoutError(f"pair not healthy within {timeout:g} s: {self.describe_links()}")
            await asyncio.sleep(0.02)
        return self.now() - began

    async def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        began = self.now()
        while not condition():
            if self.now() - began > timeout:
                raise TimeoutError(f"not within {timeout:g} s: {what} ({self.describe_links()})")
            await asyncio.sleep(0.02)

    def messages_since(self, since: float) -> list[Message]:
        return [m for t, m in self._messages if t >= since]

    # ----- commands ---------------------------------------------------------------------------

    def start_commands(self, period: float | None = None) -> None:
        """Issue a command every ``period`` seconds (each its own task: a slow answer stops nothing)."""
        if period is not None:
            self.period = period
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(self._command_loop(), name="failover-probe")

    async def stop_commands(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _command_loop(self) -> None:
        next_at = self.now()
        while True:
            self.issue()
            next_at = max(next_at + self.period, self.now() - self.period)  # no catch-up storm after a stall
            await asyncio.sleep(max(0.0, next_at - self.now()))

    def issue(self) -> CommandRecord:
        """Send one numbered command now."""
        n = len(self.records)
        record = CommandRecord(n=n, code=f"{self.prefix}-{n}", sent_at=self.now())
        self.records.append(record)
        task = asyncio.get_running_loop().create_task(self._command(record), name=f"failover-probe-{n}")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return record

    async def _command(self, record: CommandRecord) -> None:
        request = AlarmRaise(id=0, source="sensor", code=record.code, text="failover probe")
        outcome: Literal["ok", "failed"]
        epoch = error = None
        try:
            answer = await self.client.request(request)
            outcome, epoch = "ok", answer.epoch
        except RequestError as exc:
            outcome, error = "failed", exc.error.code
        except (ConnectionClosed, TimeoutError):
            outcome, error = "failed", 0
        if record.outcome is not None:
            record.extra_outcomes += 1
            return
        record.outcome, record.epoch, record.error = outcome, epoch, error
        record.answered_at, record.served_by = self.now(), self.serving

    async def burst(self, period: float, duration: float) -> None:
        """Issue commands every ``period`` for ``duration`` seconds, then go back to the usual period."""
        usual = self.period
        self.period = period
        try:
            await asyncio.sleep(duration)
        finally:
            self.period = usual

    async def drain(self, timeout: float | None = None) -> list[str]:
        """Wait (bounded) until every command has its outcome; the codes of those that did not (cancelled)."""
        bound = self.request_timeout + 3.0 if timeout is None else timeout
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=bound)
        hung = [task for task in self._pending if not task.done()]
        for task in hung:
            task.cancel()
        await asyncio.gather(*hung, return_exceptions=True)
        return [r.code for r in self.records if r.outcome is None or r.extra_outcomes]

    # ----- the snapshot and the invariants -----------------------------------------------------

    async def snapshot(self, timeout: float = 5.0) -> tuple[Snapshot, str | None]:
        """The serving instance's snapshot (all parts merged) and that instance's name."""
        mark = len(self._snapshots)
        instance = self.serving
        await self.client.request(SnapshotRequest(id=0), timeout=timeout)
        began = self.now()
        while True:
            current: list[Snapshot] = []
            for part in self._snapshots[mark:]:
                if part.part == 1:
                    current = []
                current.append(part)
                if {p.part for p in current} == set(range(1, part.parts + 1)):
                    return merge_snapshot(current), instance
            if self.now() - began > timeout:
                raise TimeoutError(f"no complete snapshot within {timeout:g} s")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), 0.1)

    async def check(self, *, first: int = 0, last: int | None = None, drain: bool = True,
                    drain_timeout: float | None = None) -> Verdict:
        """Check the invariants for commands ``first`` to ``last`` (excluded) on the serving instance's snapshot.

        With ``drain`` every command's outcome is awaited first (bounded; one still missing is unresolved).
        Without, the command loop may keep running: only commands acknowledged before the snapshot was asked
        for must be in it, and commands still waiting are not counted as unresolved."""
        unresolved = set(await self.drain(drain_timeout)) if drain else set()
        records = self.records[first:last]
        acked = [r for r in records if r.outcome == "ok"]
        snapshot, instance = await self.snapshot()
        counts = Counter(a.code for a in snapshot.alarms)
        failed = [r for r in records if r.outcome == "failed"]
        return Verdict(
            instance=instance, commands=len(records), acknowledged=len(acked), failed=len(failed),
            unresolved=[r.code for r in records if r.code in unresolved or r.extra_outcomes],
            lost=[r.code for r in acked if counts[r.code] == 0],
            twice=[r.code for r in records if counts[r.code] > 1],
            affiliated=list(snapshot.affiliated), selected=snapshot.selected, wanted=(self.groups, self.selected),
            split_brain_windows=split_brain_windows(records),
            errors=dict(Counter(r.error or 0 for r in failed)),
        )

    # ----- timings ----------------------------------------------------------------------------

    def detection(self, since: float) -> tuple[float | None, str]:
        """Seconds from ``since`` to the first sign of trouble the console got, and which: the serving link
        lost (the failover machine's detected_at), or an instance announcing its pair link down."""
        signs: list[tuple[float, str]] = []
        for _, event in self.events:
            if isinstance(event, ServingChanged | Offline) and event.detected_at is not None \
                    and event.detected_at >= since:
                signs.append((event.detected_at, "serving link lost"))
        signs += [(t, f"{role.instance} announced its pair link down") for t, role in self.roles
                  if t >= since and not role.peer_up]
        if not signs:
            return None, "nothing seen"
        at, how = min(signs)
        return at - since, how

    def switchover(self, since: float, *, epoch_above: int | None = None,
                   instance_not: str | None = None) -> float | None:
        """Seconds from ``since`` to the first command acknowledged after it at an epoch above ``epoch_above``,
        or through an instance other than ``instance_not``; with neither, to the first acknowledged command
        sent after ``since`` (how long commands stalled)."""
        times = []
        for r in self.records:
            if r.outcome != "ok" or r.answered_at is None or r.answered_at < since:
                continue
            if epoch_above is not None and (r.epoch or 0) <= epoch_above:
                continue
            if instance_not is not None and r.served_by in (instance_not, None):
                continue
            if epoch_above is None and instance_not is None and r.sent_at < since:
                continue
            times.append(r.answered_at)
        return min(times) - since if times else None

    def split_brain_events(self, since: float = 0.0) -> int:
        return sum(1 for t, e in self.events if t >= since and isinstance(e, SplitBrain))

    def serving_changes(self, since: float) -> list[ServingChanged | Offline]:
        return [e for t, e in self.events if t >= since and isinstance(e, ServingChanged | Offline)]


# ----- faults -----------------------------------------------------------------------------------


def other(instance: str) -> str:
    return INSTANCES[1 - INSTANCES.index(instance)]


async def inject(pair: PairProcesses, kind: FaultKind, target: str) -> None:
    """Break the pair: ``target`` is the instance the fault hits (the active, for all kinds here)."""
    if kind == "kill":
        await pair.kill(target)
    elif kind == "pause":
        pair.pause(target)
    elif kind == "partition-console":
        pair.proxies[f"client-{target}"].freeze()
    elif kind == "partition-pair":
        pair.proxies[f"peer-{target}-{other(target)}"].freeze()
        pair.proxies[f"peer-{other(target)}-{target}"].freeze()
    elif kind == "witness-down":
        await pair.kill("witness")
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    log.info("fault %s injected on %s", kind, target)


async def heal(pair: PairProcesses, kind: FaultKind, target: str) -> None:
    """Mend what `inject` broke: restart, resume, restore the links."""
    if kind == "kill":
        await pair.restart(target)
    elif kind == "pause":
        pair.resume(target)
    elif kind == "partition-console":
        pair.proxies[f"client-{target}"].restore()
    elif kind == "partition-pair":
        pair.proxies[f"peer-{target}-{other(target)}"].restore()
        pair.proxies[f"peer-{other(target)}-{target}"].restore()
    elif kind == "witness-down":
        await pair.restart("witness")
    log.info("fault %s on %s healed", kind, target)


@dataclass
class FaultRun:
    """One fault injected on the active while the probe issued commands, with what the console saw."""

    kind: FaultKind
    target: str
    at: float
    epoch_before: int
    epoch_after: int
    #: seconds from the fault to the first sign the console got of it, and what that sign was
    detection: float | None
    detected_by: str
    #: seconds from the fault to the first command acknowledged by the new epoch (kill, pause), through the
    #: other instance (partition-console), or sent after the fault (the others: how long commands stalled)
    switchover: float | None
    #: seconds from healing to the pair healthy again
    healthy_after: float
    #: the probe's commands of this run start at this number
    first_command: int


async def run_fault(pair: PairProcesses, probe: ConsoleProbe, kind: FaultKind, *, hold: float = 2.0,
                    settle: float = 0.5, healthy_timeout: float = 15.0) -> FaultRun:
    """With the probe's command loop running: hit the active with ``kind`` for ``hold`` seconds, heal, wait
    until the pair is healthy, let ``settle`` seconds of commands pass, and report the timings."""
    target = probe.active()
    if target is None:
        raise RuntimeError(f"no active instance to hit: {probe.describe_links()}")
    first = len(probe.records)
    epoch_before, serving_before = probe.client.epoch, probe.serving
    at = probe.now()
    await inject(pair, kind, target)
    await asyncio.sleep(max(0.0, at + hold - probe.now()))
    await heal(pair, kind, target)
    healthy_after = await probe.wait_healthy(healthy_timeout)
    await asyncio.sleep(settle)
    detection, how = probe.detection(at)
    if kind in EPOCH_RAISING:
        switchover = probe.switchover(at, epoch_above=epoch_before)
    elif kind == "partition-console":
        switchover = probe.switchover(at, instance_not=serving_before)
    else:
        switchover = probe.switchover(at)
    return FaultRun(kind=kind, target=target, at=at, epoch_before=epoch_before, epoch_after=probe.client.epoch,
                    detection=detection, detected_by=how, switchover=switchover, healthy_after=healthy_after,
                    first_command=first)


__all__ = [
    "EPOCH_RAISING", "FAULT_KINDS", "FAULT_NAMES", "CommandRecord", "ConsoleProbe", "FaultKind", "FaultRun",
    "Verdict", "heal", "inject", "merge_snapshot", "other", "run_fault", "split_brain_windows",
]
