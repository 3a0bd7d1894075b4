"""Emergency plans at the desk: propose the plan that fits an event, run its steps, escalate when nobody answers.

`DeskPlans` watches the desk's `World`: a new emergency alert, a new alarm, or a train standing still too long
(from the trains' reported positions and the timetable's planned stops) becomes a `PlanEvent`; the best matching
plan (`plan_match.best_plan`) is proposed with every step resolved to concrete targets at that moment. The
dispatcher runs one step or all of them (`run_step`, `run_all`), skips a step or dismisses the proposal; each
step's outcome (done, refused with the platform's reason, failed, skipped) and every proposal, run, skip and
escalation goes to the event log. A plan's escalation fires ``after`` seconds from the proposal unless it was
acknowledged: the dispatcher acted on the proposal (ran or skipped a step, dismissed it), someone acknowledged
or cleared the alarm or alert at the platform, or the stopped train moved on.

Time is the desk's clock, passed in: `tick(now)` fires due escalations and tells stopped trains, and
`next_deadline` says when it is next needed, so tests drive it without sleeping. How long a train has stood is
counted on the line's clock (``line_rate``: a simulated line may run faster than real time), like the timetable's
planned stops it is compared with; escalation delays are the dispatcher's, in wall seconds. `start` runs a small driver
task that calls `tick` on the running loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, Protocol, cast

from console.core.changes import AlarmChanged, AlertChanged, Change, TerminalChanged
from console.core.desk import CommandFailed
from console.core.eventlog import EventLog
from console.core.plan_format import Escalate, Plan, PlanFacts, PlanStep
from console.core.plan_loader import PlanProblem
from console.core.plan_match import (
    PlanEvent,
    ResolvedStep,
    StoppedTrains,
    best_plan,
    event_of_alarm,
    event_of_alert,
    locate,
    resolve,
)
from console.core.world import World
from protocols import messages as wire

logger = logging.getLogger(__name__)

StepState = Literal["pending", "running", "done", "failed", "skipped"]
ProposalState = Literal["open", "done", "dismissed"]
#: who or what acknowledged a proposal: this desk's dispatcher, the platform (the alarm or alert was acknowledged,
#: cleared or cancelled, here or at another desk), or the stopped train moved on
AckKind = Literal["dispatcher", "platform", "moved"]
#: the driver looks at standing trains at least this often, seconds
POLL_S = 1.0
#: proposals kept (the oldest closed ones go first)
KEEP = 50


class PlanCommands(Protocol):
    """What the engine needs of the desk (`console.core.desk.Desk` has all of it)."""

    world: World
    log: EventLog
    me: str

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> Any: ...
    async def send_status(self, code: int, to: str | None = None, group: str | None = None) -> Any: ...
    async def call_private(self, terminal: str, duplex: wire.Duplex = "half", *,
                           automatic: bool = False) -> str: ...
    async def pull_video(self, source: str, quality: wire.VideoQuality = "thumb", *, camera: str | None = None,
                         tile: int | None = None) -> str: ...
    async def push_pis(self, text: str, text_en: str = "", trains: Iterable[str] = (), *, duration_s: int = 60,
                       urgent: bool = False) -> Any: ...
    async def broadcast(self, target: wire.BroadcastTarget, subsystem: wire.Subsystem | None = None,
                        group: str | None = None) -> Any: ...


@dataclass
class StepRun:
    """One step of a proposal: its resolved targets, state, and the outcome of each target."""

    index: int
    step: PlanStep
    resolved: ResolvedStep
    state: StepState = "pending"
    #: why it failed or was skipped (the platform's code and reason for a refusal)
    reason: str = ""
    #: each target's last outcome, by target name (``group:TG-S03``, ``video:CAM-S03-1``...)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: float | None = None

    @property
    def is_escalation(self) -> bool:
        return isinstance(self.step.spec, Escalate)


@dataclass
class Proposal:
    """A plan proposed for an event."""

    id: str
    plan: Plan
    event: PlanEvent
    why: str
    created: float
    steps: list[StepRun]
    dismissed: bool = False
    #: what acknowledged it (stops the escalation countdown; English, for the log), None while unacknowledged
    acknowledged: str | None = None
    ack_kind: AckKind | None = None
    #: the dispatcher who acknowledged (at this desk or at the platform), when known
    ack_who: str = ""
    escalated: bool = False

    @property
    def state(self) -> ProposalState:
        if self.dismissed:
            return "dismissed"
        if any(s.state in ("pending", "running", "failed") for s in self.steps):
            return "open"
        return "done"

    @property
    def escalation(self) -> StepRun | None:
        return next((s for s in self.steps if s.is_escalation), None)

    @property
    def escalation_due(self) -> float | None:
        """When the escalation fires, while it still may (pending and unacknowledged)."""
        step = self.escalation
        if step is None or step.state != "pending" or self.acknowledged is not None or self.dismissed:
            return None
        assert step.resolved.after is not None
        return self.created + step.resolved.after

    def escalation_left(self, now: float) -> float | None:
        """Seconds until the escalation fires (0 when due), or None when it will not."""
        due = self.escalation_due
        return None if due is None else max(0.0, due - now)


class DeskPlans:
    """The desk's emergency plans (see the module docstring)."""

    def __init__(self, desk: PlanCommands, plans: Sequence[Plan], facts: PlanFacts | None = None, *,
                 clock: Callable[[], float] | None = None, problems: Sequence[PlanProblem] = (),
                 keep: int = KEEP, line_rate: Callable[[], float] | None = None) -> None:
        self.desk = desk
        self.world: World = desk.world
        self.log: EventLog = desk.log
        self.plans = list(plans)
        #: problems of the plan files that did not load (the pane shows them)
        self.problems = list(problems)
        self.facts = facts or PlanFacts()
        self.clock = clock or self.world.clock
        #: the line clock's service seconds per wall second (`attach_plans`: the desk's train graph clock's): how
        #: long a train stands is on the line's clock, as its timetable's planned stops are; escalations are not
        self.line_rate = line_rate or (lambda: 1.0)
        self.keep = keep
        self.proposals: dict[str, Proposal] = {}
        self.stops = StoppedTrains()
        self._numbers = itertools.count(1)
        self._considered: set[str] = set()
        self._proposed: set[tuple[str, str]] = set()
        self._observers: list[Callable[[str], None]] = []
        self._driver: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stop_plans = [p for p in self.plans if p.trigger.event == "train_stopped"]
        self._unsubscribe = self.world.subscribe(self.observe)
        self.scan()

    # ----- observers ----------------------------------------------------------------------------

    def subscribe(self, observer: Callable[[str], None]) -> Callable[[], None]:
        """Call ``observer(proposal_id)`` whenever a proposal appears or changes; returns the unsubscriber."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    def _changed(self, proposal: Proposal) -> None:
        for observer in list(self._observers):
            try:
                observer(proposal.id)
            except Exception:
                logger.exception("plan observer %r failed", observer)
        if self._wake is not None:
            self._wake.set()

    # ----- events -------------------------------------------------------------------------------

    def scan(self) -> None:
        """Look at the world as it is now: every active alert and raised alarm not considered yet."""
        now = self.clock()
        for alert in list(self.world.alerts.values()):
            if alert.state == "active":
                self.consider(event_of_alert(self.world, alert, now))
        for alarm in list(self.world.alarms.values()):
            if alarm.state == "raised":
                self.consider(event_of_alarm(self.world, alarm, now))

    def observe(self, changes: list[Change]) -> None:
        """The world's observer: new alerts and alarms, their acknowledgements, trains' reports."""
        now = self.clock()
        for change in changes:
            try:
                if isinstance(change, AlertChanged):
                    self._alert_changed(change.alert_id, now)
                elif isinstance(change, AlarmChanged):
                    self._alarm_changed(change.alarm_id, now)
                elif isinstance(change, TerminalChanged) and self._stop_plans:
                    self._trains_reported(change.ids, now)
            except Exception:  # a plan problem must not stop the desk following the platform
                logger.exception("plans could not take %r", change)

    def _alert_changed(self, alert_id: str, now: float) -> None:
        alert = self.world.alerts.get(alert_id)
        if alert is not None and alert.state == "active":
            self.consider(event_of_alert(self.world, alert, now))
            return
        if alert is None:  # cancelled: it will not come back (ids are never reused)
            self._forget(f"alert:{alert_id}")
        who = (alert.acknowledged_by or "") if alert is not None else ""
        by = f"alert {alert.state if alert is not None else 'cancelled'}" + (f" by {who}" if who else "")
        self._acknowledge_where(lambda p: p.event.alert == alert_id, by, "platform", who)

    def _alarm_changed(self, alarm_id: str, now: float) -> None:
        alarm = self.world.alarms.get(alarm_id)
        if alarm is not None and alarm.state == "raised":
            self.consider(event_of_alarm(self.world, alarm, now))
            return
        if alarm is None:  # cleared: it will not come back
            self._forget(f"alarm:{alarm_id}")
        who = (alarm.acknowledged_by or "") if alarm is not None else ""
        by = f"alarm {alarm.state if alarm is not None else 'cleared'}" + (f" by {who}" if who else "")
        self._acknowledge_where(lambda p: p.event.alarm == alarm_id, by, "platform", who)

    def _trains_reported(self, ids: frozenset[str], now: float) -> None:
        terminals = self.world.terminals
        for terminal_id in ids:
            info = terminals.get(terminal_id)
            if info is None:
                self.stops.forget(terminal_id)
                continue
            if info.kind != "train":
                continue
            if self.stops.observe(terminal_id, info.location, now):
                self._forget(f"stop:{terminal_id}@", prefix=True)
                self._acknowledge_where(lambda p, t=terminal_id: p.event.kind == "train_stopped"  # type: ignore[misc]
                                        and p.event.terminal == t, "the train moved on", "moved")

    def _forget(self, key: str, *, prefix: bool = False) -> None:
        """An event is over: its keys need not be remembered (the sets stay small on a desk that runs for months)."""
        self._considered.discard(key)
        self._proposed = {p for p in self._proposed if not (p[0].startswith(key) if prefix else p[0] == key)}

    def consider(self, event: PlanEvent, plans: Sequence[Plan] | None = None) -> Proposal | None:
        """Propose the best plan for ``event`` (once per event and plan); the new proposal, if any."""
        if event.kind != "train_stopped":
            if event.key in self._considered:
                return None
            self._considered.add(event.key)
        found = best_plan(self.plans if plans is None else plans, event)
        if found is None:
            return None
        plan, why = found
        if (event.key, plan.id) in self._proposed:
            return None
        self._proposed.add((event.key, plan.id))
        return self.propose(plan, event, why)

    def propose(self, plan: Plan, event: PlanEvent, why: str = "") -> Proposal:
        """Make a proposal of ``plan`` for ``event``, its steps resolved now, and log it."""
        steps = []
        for index, step in enumerate(plan.steps):
            try:
                resolved = resolve(step, event, self.world, self.facts)
            except Exception as exc:  # a plan the line cannot carry out: the step says why, the rest stands
                logger.exception("cannot resolve step %d of plan %s", index + 1, plan.id)
                resolved = ResolvedStep(step.kind, problem=f"cannot resolve: {exc!r}")
            steps.append(StepRun(index, step, resolved))
        proposal = Proposal(f"P-{next(self._numbers)}", plan, event, why, self.clock(), steps)
        self.proposals[proposal.id] = proposal
        self._trim()
        escalation = plan.escalation
        self._record("plan_proposed", proposal, {"why": why, "steps": len(steps),
                                                 "escalate_after_s": escalation.after if escalation else None},
                     data={"event": event.summary(), "steps": [_step_data(s) for s in steps]})
        logger.info("plan %s proposed for %s (%s)", plan.id, event.key, why)
        for run in steps:  # nothing to do for it here: said at once, and the proposal can still be run
            if run.resolved.problem and not run.is_escalation:
                self._finish(proposal, run, "skipped", run.resolved.problem, quiet=True)
        self._changed(proposal)
        return proposal

    def _trim(self) -> None:
        closed = [p for p in self.proposals.values() if p.state != "open"]
        while len(self.proposals) > self.keep and closed:
            self.proposals.pop(closed.pop(0).id, None)

    # ----- the dispatcher's side -----------------------------------------------------------------

    def open_proposals(self) -> list[Proposal]:
        """Open proposals, newest first."""
        return sorted((p for p in self.proposals.values() if p.state == "open"), key=lambda p: -p.created)

    def get(self, proposal_id: str) -> Proposal:
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise KeyError(f"no proposal {proposal_id}")
        return proposal

    async def run_all(self, proposal_id: str) -> list[StepRun]:
        """Run every pending (and failed) step in order, the escalation aside (running acknowledges the proposal);
        the steps run."""
        proposal = self.get(proposal_id)
        if proposal.dismissed:
            return []
        self._by_dispatcher(proposal_id)
        self._record("plan_run", proposal, {"what": "all"})
        ran = []
        for run in proposal.steps:
            if not run.is_escalation and run.state in ("pending", "failed"):
                ran.append(await self._run(proposal, run, trigger="run_all"))
        return ran

    async def run_step(self, proposal_id: str, index: int) -> StepRun:
        """Run one step (0-based) now; running the escalation step escalates at once."""
        proposal = self.get(proposal_id)
        run = proposal.steps[index]
        if proposal.dismissed or run.state in ("running", "done"):
            return run
        if not run.is_escalation:
            self._by_dispatcher(proposal_id)
        return await self._run(proposal, run, trigger="run_step")

    def skip_step(self, proposal_id: str, index: int, reason: str = "") -> StepRun:
        """Leave a pending or failed step undone (logged)."""
        proposal = self.get(proposal_id)
        run = proposal.steps[index]
        if run.state in ("pending", "failed"):
            if not run.is_escalation:
                self._by_dispatcher(proposal_id)
            self._finish(proposal, run, "skipped", reason or f"skipped by {self.desk.me or 'desk'}")
        return run

    def dismiss(self, proposal_id: str, reason: str = "") -> Proposal:
        """The dispatcher turns the proposal down: what is left undone is skipped (logged)."""
        proposal = self.get(proposal_id)
        if proposal.dismissed:
            return proposal
        self._by_dispatcher(proposal_id)
        proposal.dismissed = True
        for run in proposal.steps:
            if run.state in ("pending", "failed"):
                self._finish(proposal, run, "skipped", "dismissed", quiet=True)
        self._record("plan_dismissed", proposal, {"reason": reason or None})
        self._changed(proposal)
        return proposal

    def acknowledge(self, proposal_id: str, by: str, kind: AckKind = "dispatcher", who: str = "") -> None:
        """Stop the proposal's escalation countdown (logged once)."""
        proposal = self.get(proposal_id)
        if proposal.acknowledged is not None:
            return
        proposal.acknowledged, proposal.ack_kind, proposal.ack_who = by, kind, who
        escalation = proposal.escalation
        if escalation is not None and escalation.state == "pending":
            self._finish(proposal, escalation, "skipped", f"acknowledged: {by}", quiet=True)
        self._record("plan_acknowledged", proposal, {"by": by, "ack": kind, "who": who or None})
        self._changed(proposal)

    def _by_dispatcher(self, proposal_id: str) -> None:
        me = self.desk.me
        self.acknowledge(proposal_id, f"dispatcher {me or 'desk'}", "dispatcher", me)

    def _acknowledge_where(self, which: Callable[[Proposal], bool], by: str, kind: AckKind, who: str = "") -> None:
        for proposal in list(self.proposals.values()):
            if proposal.acknowledged is None and which(proposal):
                self.acknowledge(proposal.id, by, kind, who)

    # ----- time ---------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The earliest escalation due (desk clock), or None."""
        dues = [d for p in self.proposals.values() if (d := p.escalation_due) is not None]
        return min(dues) if dues else None

    async def tick(self, now: float | None = None) -> None:
        """Fire the escalations due at ``now`` (default: the clock) and propose plans for trains standing too long."""
        now = self.clock() if now is None else now
        if self._stop_plans:
            self._check_stops(now)
        for proposal in list(self.proposals.values()):
            due = proposal.escalation_due
            if due is not None and due <= now:
                escalation = proposal.escalation
                assert escalation is not None
                proposal.escalated = True
                self._record("plan_escalated", proposal, {"after_s": escalation.resolved.after})
                logger.warning("plan %s (%s) unacknowledged for %.0f s: escalating", proposal.plan.id, proposal.id,
                               now - proposal.created)
                await self._run(proposal, escalation, trigger="timer")

    def _check_stops(self, now: float) -> None:
        shortest = min(p.trigger.stopped_for for p in self._stop_plans)
        rate = self.line_rate()
        for radio, location, standing_wall, since in self.stops.standing(now):
            standing = standing_wall * rate  # service seconds, as the plans' limits and the planned stops are
            if standing < shortest:
                continue
            info = self.world.terminals.get(radio)
            if info is None or info.presence in ("offline", "unreachable", "disabled"):
                continue
            place = locate(self.world, radio, location)
            planned = self.facts.planned_stop_s.get(location.station or "") if place.section is None else None
            event = PlanEvent("train_stopped", f"stop:{radio}@{location.chainage_m}/{since:.3f}", now, place,
                              terminal=radio, terminal_kind="train", stopped_s=standing, planned_s=planned)
            self.consider(event, self._stop_plans)

    def start(self) -> None:
        """Run the driver (`tick` at every deadline, and every POLL_S for standing trains) on the running loop."""
        if self._driver is None:
            self._wake = asyncio.Event()
            self._driver = asyncio.get_running_loop().create_task(self._drive(), name="desk-plans")

    async def _drive(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("plan timers failed")
            deadline = self.next_deadline()
            delay = POLL_S if deadline is None else min(POLL_S, max(0.02, deadline - self.clock()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def close(self) -> None:
        """Stop following the world and stop the driver."""
        self._unsubscribe()
        driver, self._driver = self._driver, None
        if driver is not None:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver

    # ----- running steps -------------------------------------------------------------------------

    async def _run(self, proposal: Proposal, run: StepRun, *, trigger: str) -> StepRun:
        if run.resolved.problem:
            self._finish(proposal, run, "skipped", run.resolved.problem, trigger=trigger)
            return run
        run.state = "running"
        self._changed(proposal)
        failures = []
        for target, command in self._commands(run):
            if run.results.get(target, {}).get("outcome") == "ok":
                continue  # done in an earlier try: not again
            try:
                result = await command()
            except CommandFailed as exc:
                outcome, reason, value = "refused", f"{exc.code} {exc.reason}", None
            except (ConnectionError, TimeoutError, OSError) as exc:
                outcome, reason, value = "failed", str(exc) or type(exc).__name__, None
            else:
                outcome, reason, value = "ok", "", _plain(result)
            run.results[target] = {"outcome": outcome, "reason": reason, "result": value}
            if outcome != "ok":
                failures.append(f"{target}: {reason}")
        if failures:
            self._finish(proposal, run, "failed", "; ".join(failures), trigger=trigger)
        else:
            self._finish(proposal, run, "done", "", trigger=trigger)
        return run

    def _commands(self, run: StepRun) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
        """(target, command) for each thing the step does."""
        desk, resolved = self.desk, run.resolved
        out: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        kind = run.step.kind
        if kind in ("notify", "escalate"):
            for group in resolved.groups:
                if resolved.text:
                    out.append((f"text:{group}", partial(desk.send_text, resolved.text, group=group)))
                if resolved.status is not None:
                    out.append((f"status:{group}", partial(desk.send_status, resolved.status, group=group)))
            for party in resolved.parties:
                if resolved.text:
                    out.append((f"text:{party}", partial(desk.send_text, resolved.text, to=party)))
                if resolved.status is not None:
                    out.append((f"status:{party}", partial(desk.send_status, resolved.status, to=party)))
            if resolved.broadcast is not None:
                target, group_id = resolved.broadcast
                out.append((f"broadcast:{group_id or target}",
                            partial(desk.broadcast, cast(wire.BroadcastTarget, target), group=group_id)))
        elif kind == "call_station":
            duplex = cast(wire.Duplex, resolved.details.get("duplex", "half"))
            out += [(f"call:{p}", partial(desk.call_private, p, duplex)) for p in resolved.parties]
        elif kind == "cameras":
            quality = cast(wire.VideoQuality, resolved.details.get("quality", "thumb"))
            out += [(f"video:{camera or source}", partial(desk.pull_video, source, quality, camera=camera))
                    for source, camera in resolved.feeds]
        elif kind == "pis":
            details = resolved.details
            out.append(("pis:" + (",".join(resolved.trains) or "all"),
                        partial(desk.push_pis, resolved.text, resolved.text_en, resolved.trains,
                                duration_s=int(details.get("duration_s", 300)),
                                urgent=bool(details.get("urgent", False)))))
        return out

    def _finish(self, proposal: Proposal, run: StepRun, state: StepState, reason: str, *, trigger: str = "",
                quiet: bool = False) -> None:
        run.state, run.reason, run.finished = state, reason, self.clock()
        outcome = {"done": "ok", "failed": "failed", "skipped": "skipped"}.get(state, state)
        if state == "failed" and run.results and all(r["outcome"] in ("ok", "refused") for r in run.results.values()):
            outcome = "refused"
        self._record("plan_step", proposal, {"step": run.index + 1, "step_kind": run.step.kind, "outcome": outcome,
                                             "reason": reason or None, "trigger": trigger or None,
                                             **run.resolved.targets()},
                     data={"results": run.results, "step": _step_data(run)})
        if not quiet:
            self._changed(proposal)

    # ----- the event log ---------------------------------------------------------------------------

    def _record(self, kind: str, proposal: Proposal, summary: dict[str, Any], data: Any = None) -> None:
        event = proposal.event
        fields: dict[str, Any] = {"plan": proposal.plan.id, "name": proposal.plan.name,
                                  "name_zh": proposal.plan.name_zh or None, "proposal": proposal.id,
                                  "event": event.kind, **summary}
        self.log.record(kind, actor=self.desk.me or "desk", terminal=event.terminal, alert=event.alert,
                        alarm=event.alarm, summary={k: v for k, v in fields.items() if v is not None},
                        data=data if data is not None else {"event": event.summary()})


def _step_data(run: StepRun) -> dict[str, Any]:
    return {"index": run.index + 1, "kind": run.step.kind, "state": run.state, "reason": run.reason,
            "targets": run.resolved.targets()}


def _plain(value: Any) -> Any:
    """A command's result as plain values for the log."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return repr(value)


__all__ = ["KEEP", "POLL_S", "AckKind", "DeskPlans", "PlanCommands", "Proposal", "ProposalState", "StepRun",
           "StepState"]
