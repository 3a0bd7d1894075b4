"""Running a checked scenario: set up its session, run its steps at their times, and report each one.

Steps run one after another in file order, each no earlier than its time (``at``, or ``after`` another step's
end). Actions end when the platform answered (a talk burst goes on in the background once its floor is
decided); expectations end as soon as they hold, or fail at their deadline. A failed expectation does not stop
the run; an action that could not be carried out does (the steps after it are reported as not run, since they
would act on a world that is not the one the scenario describes). Steps that need media are skipped with the
reason while the desk core has none.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import msgspec

from console.core.desk import CommandFailed
from console.headless.actions import ActionFailed, describe_error
from console.headless.checks import (
    Check,
    MediaUnavailable,
    log_holds,
    media_unavailable_reason,
    platform_active,
)
from console.headless.report import ScenarioReport, StepResult
from console.headless.scenario import Scenario, Step
from console.headless.session import Session, SetupFailed
from protocols import messages as wire
from protocols.aio.client import ConnectionClosed, RequestError
from testbed.terminals import TerminalDisabled

logger = logging.getLogger(__name__)

#: longest an action may take before the step is given up
ACTION_TIMEOUT = 30.0
#: YAML field names that are Python keywords or clash, and the argument names they become
_RENAMED = {"for": "seconds", "from": "from_", "as": "as_", "is": "is_"}
_ACTION_ERRORS = (ActionFailed, CommandFailed, RequestError, ConnectionClosed, TerminalDisabled, TimeoutError,
                  ValueError)

Progress = Callable[[StepResult], None]


def unmet(requirements: frozenset[str]) -> str | None:
    """Why requirements cannot be met by this run, or None when they all can."""
    if "media" in requirements and (reason := media_unavailable_reason()) is not None:
        return f"requires media: {reason}"
    return None


async def run(scenario: Scenario, *, progress: Progress | None = None, log_path: Path | None = None,
              partial: bool = False, media_addresses: Sequence[str] = ()) -> ScenarioReport:
    """Run ``scenario`` and report every step; ``progress`` hears each step's result as it ends.

    A scenario that requires what this run cannot give (media; the Janus plane requires it whole) is skipped whole,
    unless ``partial``: then it runs, and only the steps that need it are skipped. ``media_addresses`` are where
    media may flow (the runner's ``--media-address``; the Janus plane needs one that is not loopback)."""
    report = ScenarioReport(scenario.name, str(scenario.path), scenario.setup.platform, time.time())
    janus = scenario.setup.media == "janus"
    skipped = None if partial and not janus else unmet(scenario.requires | ({"media"} if janus else set()))
    if skipped is not None:
        report.skipped = skipped
        report.steps = [_result(step, "skipped", detail=skipped) for step in scenario.steps]
        return report
    session = Session.of(scenario, log_path=log_path, media_addresses=media_addresses)
    began = time.monotonic()
    try:
        await session.start()
    except SetupFailed as exc:
        report.setup_error = str(exc)
        report.setup_seconds = time.monotonic() - began
        return report
    report.setup_seconds = time.monotonic() - began
    try:
        await _run_steps(scenario, session, report, progress)
    finally:
        report.notes += session.background_errors
        await session.close()
    return report


async def _run_steps(scenario: Scenario, session: Session, report: ScenarioReport, progress: Progress | None) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    ends: dict[str, float] = {}
    previous_end = 0.0
    stopped_by: int | None = None
    for step in scenario.steps:
        if stopped_by is not None:
            result = _result(step, "skipped", detail=f"not run: step {stopped_by} could not be carried out")
        elif (missing := unmet(step.requires)) is not None:
            result = _result(step, "skipped", detail=missing, started=loop.time() - t0)
        else:
            due = _due(step, ends, previous_end)
            now = loop.time() - t0
            if due > now:
                await asyncio.sleep(due - now)
            started = loop.time() - t0
            result = await _run_step(step, session)
            result.started, result.late = started, max(0.0, started - due)
            if result.status == "error" and step.kind != "expect":
                stopped_by = step.index
        end = loop.time() - t0
        previous_end = end
        if step.id is not None:
            ends[step.id] = end
        report.steps.append(result)
        if progress is not None:
            progress(result)
    report.duration = loop.time() - t0


def _due(step: Step, ends: Mapping[str, float], previous_end: float) -> float:
    """Seconds after the steps began at which ``step`` should start (never before the step before ended)."""
    timing = step.timing
    if timing.at is not None:
        return max(timing.at, previous_end)
    if timing.after is not None:
        base = previous_end if timing.after == "previous" else ends.get(timing.after, previous_end)
        return max(base + timing.delay, previous_end)
    return previous_end


def _result(step: Step, status: Any, *, detail: str = "", started: float = 0.0) -> StepResult:
    return StepResult(step.index, step.mark.line, step.mark.column, step.kind, step.describe(), status,
                      started=started, detail=detail)


async def _run_step(step: Step, session: Session) -> StepResult:
    began = time.monotonic()
    result = _result(step, "passed")
    try:
        if step.kind == "expect":
            check = build_check(session, step)
            outcome = await check.wait()
            result.expected, result.seen = check.expected, outcome.seen
            result.status = "passed" if outcome.held else "failed"
            result.detail = f"held after {outcome.after:.2f}s" if outcome.held else f"not within {step.within:g}s"
        elif step.kind == "wait":
            await asyncio.sleep(step.within or 0.0)
        else:
            value = await asyncio.wait_for(perform(session, step), ACTION_TIMEOUT)
            result.detail = result_text(value)
    except MediaUnavailable as exc:
        result.status, result.detail = "skipped", str(exc)
    except _ACTION_ERRORS as exc:
        result.status, result.detail = "error", describe_error(exc)
    except Exception as exc:  # a bug of ours, or of the platform: report it as the step's error, go on closing
        logger.exception("step %d failed", step.index)
        result.status, result.detail = "error", f"{type(exc).__name__}: {exc}"
    result.duration = time.monotonic() - began
    return result


def _kwargs(args: Mapping[str, Any], *skip: str) -> dict[str, Any]:
    return {_RENAMED.get(k, k): v for k, v in args.items() if k not in skip}


async def perform(session: Session, step: Step) -> Any:
    """Carry out one action or fault step."""
    args = step.args
    if step.kind == "terminal":
        if step.action == "timetable_speed" and "terminal" not in args:
            return f"{session.set_timetable_speed(args['speed'])} terminals"
        handle = session.terminal(args["terminal"])
        if step.action == "timetable_speed":
            return await handle.timetable_speed(args["speed"])
        return await getattr(handle, step.action)(**_kwargs(args, "terminal"))
    if step.kind == "console":
        return await getattr(session.console, step.action)(**_kwargs(args))
    if step.kind == "fault":
        return await getattr(session.fault, step.action)(args["instance"])
    raise ValueError(f"not an action: {step.kind}")


def build_check(session: Session, step: Step) -> Check:
    """The `Check` an expectation step describes."""
    within = step.within or 1.0
    args = dict(step.args)
    if step.viewpoint == "console":
        return getattr(session.expect.console, step.action)(**_kwargs(args), within=within)  # type: ignore[no-any-return]
    if step.viewpoint == "radio":
        subjects = args.pop("terminals", None) or [args.pop("terminal", None) or args.pop("train")]
        args.pop("terminal", None)
        args.pop("train", None)
        return getattr(session.expect.radio, step.action)(subjects, **_kwargs(args),  # type: ignore[no-any-return]
                                                          within=within)
    if step.viewpoint == "log":
        return log_holds(session, step.action, args.get("with"), within=within)
    if step.viewpoint == "platform":
        return platform_active(session, args["instance"], within=within)
    return getattr(session.expect.wall, step.action)(**_kwargs(args), within=within)  # type: ignore[no-any-return]


def result_text(value: Any) -> str:
    """An action's result in a few words for the report (the fields that say something)."""
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, wire.Location):
        value = {k: v for k, v in msgspec.structs.asdict(value).items() if v is not None}
    elif is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, dict):
        parts = [f"{k}=({result_text(v)})" if is_dataclass(v) else f"{k}={v}" for k, v in value.items()
                 if v not in (None, "", (), [])]
        return " ".join(parts)
    return str(value)


__all__ = ["ACTION_TIMEOUT", "build_check", "perform", "result_text", "run", "unmet"]
