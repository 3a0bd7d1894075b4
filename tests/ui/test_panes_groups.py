"""Groups and PTT: the monitored groups' lamps, floor and queue from a real World; and PTT from the on-screen button
and from Space taking and giving back the floor on the real platform."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from console.core.world import World
from console.ui.actions import DeskActions
from console.ui.bridge import DeskBridge
from console.ui.desk_commands import DeskCommands
from console.ui.i18n import Languages
from console.ui.panes import PaneContext
from console.ui.panes.groups import ACTIVITY_ROLE, GroupsModel, GroupsPane
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import live_desk


def _world() -> World:
    world = World()
    world.me = "chief"
    groups = (("TG-S01", "Qingshiqiao station", "青石桥站"), ("TG-S02", "Liuhu station", "柳湖站"),
              ("TG-TRAIN", "Train dispatch", "行车调度"))
    for group_id, name, name_zh in groups:
        world.apply(wire.GroupUpdate(group=wire.GroupInfo(id=group_id, name=name, name_zh=name_zh)))
    world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id="HS-003", kind="handset", name="Station staff HS-003",
                                                               name_zh="站务员 HS-003")))
    world.set_affiliations(["TG-S01", "TG-S02", "TG-TRAIN"], "TG-S02")
    return world


class StandInDesk:
    """Only what the groups pane reads of a `Desk` without a platform: no floor of our own."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.ptt_state = "has_no_permission"
        self.talk_time_left: float | None = None
        self.selected: list[str] = []

    async def select(self, group: str) -> Any:
        self.selected.append(group)


def _pane(world: World, qtbot: QtBot) -> tuple[GroupsPane, DeskBridge, StandInDesk]:
    bridge = DeskBridge(world, interval_ms=10)
    desk = StandInDesk(world)
    actions = DeskActions()
    commands = DeskCommands(desk, actions)
    pane = GroupsPane(PaneContext(bridge=bridge, world=world, desk=desk, actions=actions, commands=commands))
    qtbot.addWidget(pane)
    return pane, bridge, desk


def test_lamps_say_idle_call_floor_and_emergency_and_the_talk_group_is_marked(qtbot: QtBot) -> None:
    world = _world()
    pane, bridge, _desk = _pane(world, qtbot)
    model = pane.model
    lamps = {model.rows[r].group.id: model.index(r, 0).data(ACTIVITY_ROLE) for r in range(model.rowCount())}
    assert lamps == {"TG-S01": "idle", "TG-S02": "idle", "TG-TRAIN": "idle"}
    assert [model.index(r, GroupsModel.KEY).data() for r in range(3)] == ["1", "2", "3"]  # the Ctrl+n keys

    world.apply(wire.CallStarted(call=wire.CallInfo(id="c1", kind="group", group="TG-S01", started_ms=1)))
    world.apply(wire.CallStarted(call=wire.CallInfo(id="c2", kind="group", group="TG-S02", holder="HS-003",
                                                    holder_priority="normal", started_ms=1,
                                                    queue=[wire.QueueEntry(party="chief", priority="dispatcher",
                                                                           position=1)])))
    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-1", terminal="HS-003", group="TG-TRAIN")))
    bridge.flush()
    lamps = {model.rows[r].group.id: model.index(r, 0).data(ACTIVITY_ROLE) for r in range(model.rowCount())}
    assert lamps == {"TG-S01": "call", "TG-S02": "floor", "TG-TRAIN": "emergency"}
    row = model.row_of("TG-S02")
    assert row is not None
    assert model.index(row, GroupsModel.GROUP).data() == "Liuhu station (talk group)"
    assert model.index(row, GroupsModel.FLOOR).data() == "Station staff HS-003"
    assert model.index(row, GroupsModel.QUEUE).data() == "1 waiting"
    assert pane.talk_group_label.text() == "Talk group: Liuhu station"
    assert pane.holder_label.text() == "Station staff HS-003 is talking (normal)"
    assert pane.queue_model.rowCount() == 1 and "you (chief)" in pane.queue_model.index(0, 0).data()
    bridge.close()


def test_clicking_a_group_makes_it_the_talk_group(qtbot: QtBot, run_async: RunAsync) -> None:
    world = _world()
    pane, bridge, desk = _pane(world, qtbot)
    pane.show()

    async def scenario() -> None:
        row = pane.model.row_of("TG-TRAIN")
        assert row is not None
        rect = pane.table.visualRect(pane.model.index(row, GroupsModel.GROUP))
        qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        await pane.runner.wait_idle()

    run_async(scenario)
    assert desk.selected == ["TG-TRAIN"]
    bridge.close()


def test_queued_shows_the_position_in_amber_and_the_pane_speaks_chinese(qtbot: QtBot, languages: Languages) -> None:
    world = _world()
    world.apply(wire.CallStarted(call=wire.CallInfo(id="c2", kind="group", group="TG-S02", holder="HS-003",
                                                    holder_priority="normal", started_ms=1,
                                                    queue=[wire.QueueEntry(party="HS-009", priority="normal",
                                                                           position=1),
                                                           wire.QueueEntry(party="chief", priority="dispatcher",
                                                                           position=2)])))
    pane, bridge, desk = _pane(world, qtbot)
    desk.ptt_state = "queued"
    pane.ptt.refresh()
    assert pane.ptt.state == "queued" and pane.ptt.button.property("state") == "queued"
    assert pane.ptt.state_label.text() == "Queued #2 — wait for the floor"

    languages.set_language("zh_CN")
    qtbot.waitUntil(lambda: pane.ptt.state_label.text() == "排队第 2 位 — 请等待话权")
    assert pane.talk_group_label.text() == "讲话组：柳湖站"
    assert pane.model.headerData(GroupsModel.FLOOR, Qt.Orientation.Horizontal) == "话权"
    assert "按住讲话" in pane.ptt.button.text()
    bridge.close()


@pytest.mark.integration
def test_holding_the_ptt_button_takes_the_floor_on_the_platform_and_letting_go_gives_it_back(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-002") as live:
            await live.select("TG-S01")
            pane = live.pane("groups")
            assert isinstance(pane, GroupsPane)
            button: QPushButton = pane.ptt.button
            qtbot.mousePress(button, Qt.MouseButton.LeftButton)
            await until(lambda: live.desk.ptt_state == "has_permission")
            call_id = live.desk.ptt_call
            assert call_id is not None
            record = live.platform_call(call_id)
            assert record.floor.holder == "chief"
            await until(lambda: pane.ptt.state == "granted")
            assert button.property("state") == "granted"
            assert pane.ptt.state_label.text().startswith("TALKING in")
            await until(pane.ptt.talk_time_label.isVisible)
            first = pane.ptt.talk_time_label.text()
            assert first.startswith("Talk time left 1:") or first.startswith("Talk time left 2:")
            await until(lambda: pane.ptt.talk_time_label.text() != first, timeout=3)  # it ticks
            listener = live.fleet.terminal("HS-002")
            await until(lambda: listener.floor_holders.get(call_id) == "chief")

            qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
            await until(lambda: record.floor.holder is None)
            await until(lambda: pane.ptt.state == "idle")
            assert not pane.ptt.talk_time_label.isVisible()

    run_async(scenario)


@pytest.mark.integration
def test_space_through_the_shell_talks_in_the_group_clicked_on_the_pane(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, install_ptt=True) as live:
            pane = live.pane("groups")
            assert isinstance(pane, GroupsPane)
            await until(lambda: pane.model.row_of("TG-S03") is not None)  # session.start monitored every group
            row = pane.model.row_of("TG-S03")
            assert row is not None
            pane.table.scrollTo(pane.model.index(row, GroupsModel.GROUP))
            rect = pane.table.visualRect(pane.model.index(row, GroupsModel.GROUP))
            qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            await until(lambda: live.world.selected == "TG-S03")
            await until(lambda: "(talk group)" in pane.model.index(row, GroupsModel.GROUP).data())
            live.window.activateWindow()
            pane.ptt.button.setFocus()
            qtbot.keyPress(pane.ptt.button, Qt.Key.Key_Space)
            await until(lambda: live.desk.ptt_state == "has_permission")
            call = live.world.call_of_group("TG-S03")
            assert call is not None
            assert live.platform_call(call.id).floor.holder == "chief"
            await until(lambda: pane.ptt.state == "granted")
            qtbot.keyRelease(pane.ptt.button, Qt.Key.Key_Space)
            await until(lambda: live.platform_call(call.id) is None or live.platform_call(call.id).floor.holder is None)
            await until(lambda: pane.ptt.state == "idle")

    run_async(scenario)


@pytest.mark.integration
def test_override_takes_the_floor_from_a_talking_terminal_while_held(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-003") as live:
            talker = live.fleet.terminal("HS-003")
            talking = asyncio.ensure_future(talker.talk(30, "TG-S02"))
            await until(lambda: (c := live.world.call_of_group("TG-S02")) is not None and c.holder == "HS-003")
            await live.select("TG-S02")
            pane = live.pane("groups")
            assert isinstance(pane, GroupsPane)
            await until(lambda: pane.holder_label.text() == "Station staff HS-003 is talking (normal)")
            assert pane.ptt.override_button.isEnabled()  # the chief dispatcher may override
            call = live.world.call_of_group("TG-S02")
            assert call is not None
            qtbot.mousePress(pane.ptt.override_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.platform_call(call.id).floor.holder == "chief")
            await until(lambda: pane.ptt.state == "granted")
            await until(lambda: talker.floor_state(call.id) != "has_permission")  # the terminal was cut off
            qtbot.mouseRelease(pane.ptt.override_button, Qt.MouseButton.LeftButton)
            record = live.platform_call(call.id)
            await until(lambda: record.floor.holder != "chief")
            await until(lambda: pane.ptt.state == "idle")
            talking.cancel()

    run_async(scenario)
