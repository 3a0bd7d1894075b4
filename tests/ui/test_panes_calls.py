"""Calls: the list over a real World, the dialogs' rules, and private calls, force release, broadcasts and regroups
given from the pane against the real platform and simulated terminals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from console.core.world import World
from console.ui.actions import DeskActions
from console.ui.bridge import DeskBridge
from console.ui.call_dialogs import PatchDialog, RegroupDialog
from console.ui.i18n import Languages
from console.ui.panes import PaneContext
from console.ui.panes.calls import CallsModel, CallsPane
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk


def _calls_pane(live: LiveDesk) -> CallsPane:
    pane = live.pane("calls")
    assert isinstance(pane, CallsPane)
    return pane


def test_emergency_calls_sort_first_and_durations_tick_from_the_start_time(qtbot: QtBot) -> None:
    now = 1_000_000.0
    world = World(clock=lambda: now)
    world.me = "chief"
    world.apply(wire.CallStarted(call=wire.CallInfo(id="g1", kind="group", group="TG-S01", started_ms=990_000_000)))
    world.apply(wire.CallStarted(call=wire.CallInfo(id="p1", kind="private", parties=["chief", "HS-003"],
                                                    duplex="full", started_ms=999_958_000)))
    world.apply(wire.CallStarted(call=wire.CallInfo(id="e1", kind="emergency", group="TG-S02", holder="HS-004",
                                                    started_ms=999_990_000)))
    model = CallsModel(world)
    assert model.ids == ["e1", "g1", "p1"]
    assert model.index(0, CallsModel.KIND).data() == "Emergency call"
    assert model.index(0, CallsModel.FLOOR).data() == "HS-004"
    assert model.index(1, CallsModel.DURATION).data() == "2:46:40"
    assert model.index(2, CallsModel.DURATION).data() == "0:42"
    assert model.index(2, CallsModel.WHO).data() == "you (chief) ↔ HS-003"
    assert model.index(2, CallsModel.KIND).data() == "Private call · full duplex"


def test_regroup_needs_a_name_and_a_terminal_and_patch_two_groups(qtbot: QtBot) -> None:
    world = World()
    for terminal in ("HS-001", "HS-002"):
        world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id=terminal, kind="handset")))
    for group in ("TG-S01", "TG-S02"):
        world.apply(wire.GroupUpdate(group=wire.GroupInfo(id=group)))
    regroup = RegroupDialog(world)
    qtbot.addWidget(regroup)
    ok = regroup.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None and not ok.isEnabled()
    regroup.picker.choose(["HS-002"])
    assert ok.isEnabled()
    regroup.name.clear()
    regroup.name_zh.clear()
    assert not ok.isEnabled()
    regroup.name_zh.setText("站台事件")
    assert regroup.choice() == ("站台事件", "站台事件", ["HS-002"])

    patch = PatchDialog(world)
    qtbot.addWidget(patch)
    patch_ok = patch.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert patch_ok is not None
    patch.picker.choose(["TG-S01"])
    assert not patch_ok.isEnabled()
    patch.picker.choose(["TG-S01", "TG-S02"])
    assert patch_ok.isEnabled() and patch.choice()[2] == ["TG-S01", "TG-S02"]


def test_a_call_pane_built_without_a_platform_shows_no_calls(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world)
    pane = CallsPane(PaneContext(bridge=bridge, world=world, desk=None, actions=DeskActions()))
    qtbot.addWidget(pane)
    assert pane.model.rowCount() == 0 and not pane.empty_label.isHidden() and pane.table.isHidden()
    assert pane.incoming_box.isHidden()
    assert not pane.end_button.isEnabled() and not pane.force_button.isEnabled()
    bridge.close()


@pytest.mark.integration
def test_a_private_call_from_the_dialog_shows_in_the_list_and_force_release_ends_it(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-002") as live:
            pane = _calls_pane(live)
            dialog = pane.open_private_call()
            await until(lambda: "HS-002" in dialog.picker.model.ids())
            dialog.picker.choose(["HS-002"])
            dialog.accept()  # HS-002 answers by itself after half a second
            await until(lambda: any(c.kind == "private" for c in live.world.calls.values()), timeout=10)
            call = next(c for c in live.world.calls.values() if c.kind == "private")
            assert set(call.parties) == {"chief", "HS-002"}
            await until(lambda: call.id in pane.model.ids)
            row = pane.model.ids.index(call.id)
            assert "Station staff HS-002" in pane.model.index(row, CallsModel.WHO).data()
            assert pane.model.index(row, CallsModel.KIND).data() == "Private call"
            assert live.platform_call(call.id) is not None

            pane.table.selectRow(row)
            assert pane.force_button.isEnabled() and pane.end_button.isEnabled()
            qtbot.mouseClick(pane.force_button, Qt.MouseButton.LeftButton)  # arms only: it ends calls for all
            assert pane.force_button.text() == "Click again to force-release"
            await asyncio.sleep(0.3)
            assert live.platform_call(call.id) is not None
            qtbot.mouseClick(pane.force_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.platform_call(call.id) is None)
            await until(lambda: call.id not in pane.model.ids)
            assert not pane.empty_label.isHidden()

    run_async(scenario)


@pytest.mark.integration
def test_a_terminal_calling_the_desk_rings_with_accept_and_reject(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-003", "HS-004") as live:
            pane = _calls_pane(live)
            first = await live.fleet.terminal("HS-003").call_private("chief")
            await until(lambda: not pane.incoming_box.isHidden())
            assert "Station staff HS-003 is calling you" in pane.incoming_model.index(0, 0).data()
            qtbot.mouseClick(pane.accept_button, Qt.MouseButton.LeftButton)
            await until(lambda: first in live.world.calls and first in pane.model.ids)
            await until(pane.incoming_box.isHidden)
            pane.table.selectRow(pane.model.ids.index(first))
            qtbot.mouseClick(pane.end_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.platform_call(first) is None and first not in pane.model.ids)

            second = await live.fleet.terminal("HS-004").call_private("chief")
            await until(lambda: not pane.incoming_box.isHidden())
            qtbot.mouseClick(pane.reject_button, Qt.MouseButton.LeftButton)
            await until(pane.incoming_box.isHidden)
            assert second not in live.world.calls and live.platform_call(second) is None

    run_async(scenario)


@pytest.mark.integration
def test_broadcast_regroup_and_dissolve_from_the_pane(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "TR1901", "HS-009") as live:
            pane = _calls_pane(live)
            broadcast = pane.open_broadcast()
            broadcast.all_trains.setChecked(True)
            broadcast.accept()
            await until(lambda: any(c.kind == "broadcast" for c in live.world.calls.values()))
            call = next(c for c in live.world.calls.values() if c.kind == "broadcast")
            await until(lambda: call.id in pane.model.ids)
            await until(lambda: call.id in live.fleet.terminal("TR1901").calls)  # the train hears it
            pane.table.selectRow(pane.model.ids.index(call.id))
            qtbot.mouseClick(pane.end_button, Qt.MouseButton.LeftButton)
            await until(lambda: call.id not in live.world.calls)

            regroup = pane.open_regroup()
            regroup.picker.choose(["TR1901", "HS-009"])
            regroup.name.setText("Incident S05")
            regroup.name_zh.setText("S05 事件")
            regroup.accept()
            await until(lambda: any(g.kind == "regroup" for g in live.world.groups.values()))
            group = next(g for g in live.world.groups.values() if g.kind == "regroup")
            assert group.name == "Incident S05" and set(group.members) >= {"TR1901", "HS-009"}
            await until(pane.dissolve_action.isEnabled)
            dissolve = pane.open_dissolve()
            dissolve.picker.choose([group.id])
            dissolve.accept()
            await until(lambda: group.id not in live.world.groups)

    run_async(scenario)


def test_a_click_anywhere_on_a_picker_row_checks_it_once(qtbot: QtBot) -> None:
    world = World()
    for terminal in ("HS-001", "HS-002", "TR1901"):
        world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id=terminal, kind="train" if terminal[0] == "T"
                                                                   else "handset")))
    dialog = RegroupDialog(world)
    qtbot.addWidget(dialog)
    dialog.show()
    picker = dialog.picker
    assert picker.model.ids() == ["TR1901", "HS-001", "HS-002"]  # trains first
    for x in (12, 200):  # on the check box, and on the text
        rect = picker.view.visualRect(picker.proxy.index(1, 0))
        qtbot.mouseClick(picker.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.topLeft() + QPoint(x, 10))
        assert picker.chosen() == ["HS-001"]
        qtbot.mouseClick(picker.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.topLeft() + QPoint(x, 10))
        assert picker.chosen() == []
    picker.filter.setText("tr19")
    assert picker.proxy.rowCount() == 1
