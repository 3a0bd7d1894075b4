"""The audit trail: every dispatcher command the desk gives leaves exactly one event in the event log, naming
the dispatcher, the command and its outcome, whether the platform carried it out or refused it."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from console.core.desk import CommandFailed, Desk
from tests.console.core.conftest import StartFleet

pytestmark = pytest.mark.integration

#: Desk coroutines that are not dispatcher commands
NOT_COMMANDS = {"connect", "close", "wait_until"}

#: every command with arguments, in an order that lets most of them succeed (regroup before dissolve, ...)
COMMANDS: list[tuple[str, Callable[[Desk, dict[str, Any]], Awaitable[object]]]] = [
    ("monitor", lambda d, _s: d.monitor(["TG-S01", "TG-S02"])),
    ("select", lambda d, _s: d.select("TG-S01")),
    ("ptt_press", lambda d, _s: d.ptt_press()),
    ("ptt_release", lambda d, _s: d.ptt_release()),
    ("ptt_override", lambda d, _s: d.ptt_override()),
    ("call_private", lambda d, _s: d.call_private("HS-001", "full")),
    ("answer", lambda d, _s: d.answer("C-999")),
    ("end_call", lambda d, _s: d.end_call("C-999")),
    ("force_release", lambda d, _s: d.force_release("C-999", "test")),
    ("broadcast", lambda d, _s: d.broadcast("all_stations")),
    ("regroup", lambda d, s: _keep(s, "regroup", d.regroup("incident", ["HS-001"]))),
    ("patch", lambda d, _s: d.patch("joined", ["TG-S01", "TG-S02"])),
    ("dissolve", lambda d, s: d.dissolve(s.get("regroup", "G-none"))),
    ("ack_emergency", lambda d, _s: d.ack_emergency("E-999")),
    ("cancel_emergency", lambda d, _s: d.cancel_emergency("E-999", "test")),
    ("ack_alarm", lambda d, _s: d.ack_alarm("AL-999")),
    ("clear_alarm", lambda d, _s: d.clear_alarm("AL-999")),
    ("send_text", lambda d, _s: d.send_text("come to the office", to="HS-001")),
    ("send_status", lambda d, _s: d.send_status(3, group="TG-S01")),
    ("push_pis", lambda d, _s: d.push_pis("delays on the line", "delays", ["1901"])),
    ("disable", lambda d, _s: d.disable("HS-002")),
    ("enable", lambda d, _s: d.enable("HS-002")),
    ("pull_video", lambda d, _s: d.pull_video("CAM-S01-1")),
    ("push_video", lambda d, _s: d.push_video(source="CAM-S01-1", to=["HS-001"])),
    ("stop_video", lambda d, _s: d.stop_video("V-999")),
    ("replay", lambda d, _s: d.replay("TG-S01", 15, play=False)),
    ("play_recording", lambda d, _s: d.play_recording("R-999", play=False)),
]


async def _keep(store: dict[str, Any], name: str, pending: Awaitable[object]) -> object:
    store[name] = await pending
    return store[name]


def test_the_table_covers_every_desk_command() -> None:
    commands = {name for name, member in inspect.getmembers(Desk, inspect.iscoroutinefunction)
                if not name.startswith("_")} - NOT_COMMANDS
    assert commands == {name for name, _ in COMMANDS}, "a new Desk command needs a row here (and an audit event)"


async def test_every_command_leaves_one_audit_event_with_actor_command_and_outcome(
        desk: Desk, start_fleet: StartFleet) -> None:
    await start_fleet("HS-001", "HS-002")
    store: dict[str, Any] = {}
    outcomes: dict[str, str] = {}
    last_id = 0
    for name, give in COMMANDS:
        try:
            await give(desk, store)
            raised = False
        except CommandFailed:
            raised = True
        commands = [e for e in desk.log.search(kind="command") if e.id > last_id]
        assert len(commands) == 1, f"{name}: {len(commands)} audit events"
        [event] = commands
        last_id = event.id
        assert event.actor == "chief", name
        assert event.summary["command"] == name
        outcome = event.summary["outcome"]
        assert isinstance(outcome, str) and outcome, name
        assert (outcome == "error") == raised, f"{name}: outcome {outcome} but raised={raised}"
        if raised:
            assert isinstance(event.summary["code"], int) and event.summary["reason"], name
        outcomes[name] = outcome
    # the platform carried out the ones that could succeed, and refused the ones naming nothing real
    assert outcomes["select"] == "ok" and outcomes["ptt_press"] == "granted" and outcomes["regroup"] == "ok"
    assert outcomes["dissolve"] == "ok" and outcomes["push_pis"] == "ok" and outcomes["disable"] == "ok"
    assert outcomes["force_release"] == "error" and outcomes["ack_alarm"] == "error"
