"""What the shell's keys ask of the desk: PTT in order, the right alert, alarm, call and group.

The desk here is a recording stand-in over a real `World` (this tests the shell's choices, not the core)."""

from __future__ import annotations

import asyncio
from typing import Any

from pytestqt.qtbot import QtBot

from console.core.desk import CommandFailed
from console.core.talk import PttResult
from console.core.world import World
from console.ui.actions import DeskActions
from console.ui.desk_commands import DeskCommands
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until


class RecordingDesk:
    """Answers like `Desk` and remembers what it was asked, in order."""

    def __init__(self) -> None:
        self.world = World()
        self.asked: list[tuple[str, Any]] = []
        self.press_delay = 0.0
        self.refuse: set[str] = set()

    async def _answer(self, name: str, arg: Any = None) -> Any:
        self.asked.append((name, arg))
        if name in self.refuse:
            raise CommandFailed(409, f"{name} refused")
        return arg

    async def ptt_press(self) -> PttResult:
        self.asked.append(("ptt_press", None))
        await asyncio.sleep(self.press_delay)
        self.asked.append(("ptt_granted", None))
        return PttResult("granted", "c1")

    async def ptt_release(self) -> None:
        await self._answer("ptt_release")

    async def ack_emergency(self, alert: str) -> Any:
        return await self._answer("ack_emergency", alert)

    async def ack_alarm(self, alarm: str) -> Any:
        return await self._answer("ack_alarm", alarm)

    async def answer(self, call: str) -> Any:
        return await self._answer("answer", call)

    async def end_call(self, call: str) -> Any:
        return await self._answer("end_call", call)

    async def select(self, group: str) -> Any:
        return await self._answer("select", group)


def _commands(desk: RecordingDesk) -> tuple[DeskCommands, DeskActions]:
    actions = DeskActions()
    return DeskCommands(desk, actions), actions


def test_a_quick_ptt_tap_releases_after_the_press_completes(run_async: RunAsync) -> None:
    desk = RecordingDesk()
    desk.press_delay = 0.2
    commands, _ = _commands(desk)
    states: list[str] = []
    commands.pttChanged.connect(states.append)

    async def scenario() -> None:
        commands.ptt_down()
        commands.ptt_up()  # let go before the floor was even granted
        await commands.wait_idle()

    run_async(scenario)
    assert [name for name, _ in desk.asked] == ["ptt_press", "ptt_granted", "ptt_release"]
    assert states == ["pending", "granted", "idle"]


def test_ack_emergency_takes_the_oldest_active_alert_and_next_alert_steps_through_them(run_async: RunAsync) -> None:
    desk = RecordingDesk()
    for alert_id, raised, state in (("a2", 200, "active"), ("a1", 100, "acknowledged"), ("a3", 300, "active")):
        desk.world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id=alert_id, terminal="HS-001", state=state,
                                                                    raised_ms=raised)))
    commands, actions = _commands(desk)
    focused: list[str] = []
    wanted: list[str] = []
    commands.alertFocused.connect(focused.append)
    commands.paneWanted.connect(wanted.append)

    async def scenario() -> None:
        actions.action("ack_emergency").trigger()
        await commands.wait_idle()
        actions.action("next_alert").trigger()
        actions.action("next_alert").trigger()
        actions.action("next_alert").trigger()
        actions.action("ack_emergency").trigger()  # the focused one now
        await commands.wait_idle()

    run_async(scenario)
    assert desk.asked == [("ack_emergency", "a2"), ("ack_emergency", "a2")]
    assert focused == ["a2", "a3", "a2"]
    assert wanted == ["emergencies"] * 3


def test_ack_alarm_takes_the_most_severe_raised_alarm(run_async: RunAsync) -> None:
    desk = RecordingDesk()
    for alarm_id, severity, raised in (("m1", "minor", 1), ("m2", "critical", 5), ("m3", "critical", 3)):
        desk.world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id=alarm_id, source="sensor", origin="S01",
                                                               severity=severity, raised_ms=raised)))
    commands, actions = _commands(desk)

    async def scenario() -> None:
        actions.action("ack_alarm").trigger()
        await commands.wait_idle()

    run_async(scenario)
    assert desk.asked == [("ack_alarm", "m3")]


def test_select_group_keys_follow_the_monitored_groups_and_a_refusal_is_reported(run_async: RunAsync) -> None:
    desk = RecordingDesk()
    desk.world.set_affiliations(["G-LINE", "G-S01", "G-S02"], None)
    commands, actions = _commands(desk)
    failures: list[tuple[str, str]] = []
    commands.commandFailed.connect(lambda name, reason: failures.append((name, reason)))

    async def scenario() -> None:
        actions.action("select_group_2").trigger()
        actions.action("select_group_9").trigger()  # no ninth group: nothing asked
        await commands.wait_idle()
        desk.refuse.add("select")
        actions.action("select_group_1").trigger()
        await commands.wait_idle()

    run_async(scenario)
    assert desk.asked == [("select", "G-S01"), ("select", "G-LINE")]
    assert failures == [("select", "409 select refused")]


def test_answer_and_end_call(run_async: RunAsync, qtbot: QtBot) -> None:
    desk = RecordingDesk()
    desk.world.me = "chief"
    desk.world.apply(wire.PrivateCallIncoming(call="p1", caller="TR-07"))
    desk.world.apply(wire.CallStarted(call=wire.CallInfo(id="p0", kind="private", parties=["chief", "HS-003"],
                                                         started_ms=10)))
    _commands_kept, actions = _commands(desk)

    async def scenario() -> None:
        actions.action("answer_call").trigger()
        actions.action("end_call").trigger()
        await until(lambda: len(desk.asked) == 2)

    run_async(scenario)
    assert sorted(desk.asked) == [("answer", "p1"), ("end_call", "p0")]
