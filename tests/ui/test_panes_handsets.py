"""The handsets pane: staff handsets and recorders from a real World of the sample line, the group, station and
presence filters, sorting, and the commands (call, video, text) on a recording desk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.item_roles import KIND_ROLE, PRESENCE_ROLE, TERMINAL_ID_ROLE
from console.ui.panes.handsets import HandsetsPane
from console.ui.panes.handsets_model import GROUPS, ID, KIND, PRESENCE, STATUS, WHERE, HandsetsModel
from console.ui.panes.terminal_look import EMERGENCY_ROW, PRESENCE_TEXT
from protocols import messages as wire
from tests.ui.conftest import RunAsync
from tests.ui.line_world import RecordingDesk, line_world, location, presence, sample_line


def _ids(pane: HandsetsPane) -> list[str]:
    return [pane.proxy.index(r, 0).data(TERMINAL_ID_ROLE) for r in range(pane.proxy.rowCount())]


def _pane(qtbot: QtBot, **world_options: object) -> tuple[HandsetsPane, RecordingDesk, DeskBridge]:
    world = line_world(**world_options)  # type: ignore[arg-type]
    desk = RecordingDesk(world)
    bridge = DeskBridge(world)
    pane = HandsetsPane(world, desk, bridge)
    qtbot.addWidget(pane)
    pane.resize(900, 600)
    pane.show()
    qtbot.waitExposed(pane)
    return pane, desk, bridge


def test_every_handset_and_recorder_is_a_row_with_kind_place_presence_and_groups(languages: Languages) -> None:
    world = line_world(offline=["HS-005"])
    model = HandsetsModel(world)
    staff = [t for t in sample_line().terminals.values() if t.kind in ("handset", "recorder")]
    assert model.rowCount() == len(staff) == 50
    assert model.columnCount() == 7
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)] == [
        "ID", "Kind", "Name", "Station / area", "Presence", "Status", "Groups"]
    row = model.row_of("HS-021")
    assert row is not None
    assert model.index(row, ID).data() == "HS-021"
    assert model.index(row, WHERE).data() == "D1 Qingshi Depot"
    assert model.index(row, PRESENCE).data() == "Registered"
    assert model.index(row, PRESENCE).data(Qt.ItemDataRole.ForegroundRole) == PRESENCE_TEXT["registered"]
    assert model.index(row, KIND).data(Qt.ItemDataRole.ToolTipRole) == "Handset"
    assert not model.index(row, KIND).data(Qt.ItemDataRole.DecorationRole).isNull()
    groups = model.index(row, GROUPS).data()
    assert groups.startswith("TG-MAINT") and groups.endswith("TG-ALL")  # the all-call group last
    recorder = model.row_of("BW-01")
    assert recorder is not None and model.index(recorder, 0).data(KIND_ROLE) == "recorder"
    offline = model.row_of("HS-005")
    assert offline is not None and model.index(offline, PRESENCE).data() == "Offline"


def test_location_status_and_emergency_updates_repaint_the_row(languages: Languages) -> None:
    world = line_world()
    model = HandsetsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    bridge.alertChanged.connect(lambda _a: model.alerts_changed())
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles=(): changed.append(top.row()))
    row = model.row_of("HS-001")
    assert row is not None
    world.apply(location("HS-001", station="S05"))
    assert model.index(row, WHERE).data() == "S05 Civic Centre"
    info = world.terminals["HS-001"]
    info.status = 5
    world.apply(wire.PresenceUpdate(terminal=info))
    bridge.flush()
    assert model.index(row, STATUS).data() == "Needs assistance"
    assert changed == [row, row]
    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="AL-9", terminal="HS-001")))
    bridge.flush()
    assert model.index(row, ID).data(Qt.ItemDataRole.BackgroundRole) == EMERGENCY_ROW
    bridge.close()


def test_the_group_station_and_presence_filters_combine(qtbot: QtBot, languages: Languages) -> None:
    pane, _desk, bridge = _pane(qtbot)
    assert len(_ids(pane)) == 50
    pane.filter_by(group="TG-MAINT")
    maintenance = [t.id for t in sample_line().terminals.values() if t.staff == "maintenance"]
    assert sorted(_ids(pane)) == sorted(maintenance)
    pane.filter_by(place="S03")
    assert _ids(pane) == ["HS-025"]  # the maintenance handset homed at S03
    pane.filter_by(group="")
    assert sorted(_ids(pane)) == ["HS-005", "HS-006", "HS-025", "HS-036"]
    bridge.world.apply(location("HS-001", station="S03"))  # walked over from S01: now at S03 too
    bridge.flush()
    assert "HS-001" in _ids(pane)
    bridge.world.apply(presence("HS-006", "busy"))
    bridge.flush()
    pane.filter_by(presence="busy")
    assert _ids(pane) == ["HS-006"]
    pane.filter_by(presence="reachable")
    assert "HS-006" in _ids(pane) and len(_ids(pane)) == 5
    pane.filter_by(place="", presence="")
    pane.filter.setText("police")
    assert len(_ids(pane)) == 6 + 4  # six police handsets, four police recorders
    bridge.close()


def test_sorting_by_presence_puts_emergencies_first(qtbot: QtBot, languages: Languages) -> None:
    pane, _desk, bridge = _pane(qtbot, offline=["HS-010"])
    bridge.world.apply(presence("BW-07", "emergency"))
    bridge.flush()
    pane.table.sortByColumn(PRESENCE, Qt.SortOrder.AscendingOrder)
    assert _ids(pane)[0] == "BW-07"
    assert pane.proxy.index(pane.proxy.rowCount() - 1, 0).data(PRESENCE_ROLE) == "offline"
    pane.table.sortByColumn(ID, Qt.SortOrder.DescendingOrder)
    assert _ids(pane)[0] == "HS-040"
    bridge.close()


def test_call_video_and_text_reach_the_desk(qtbot: QtBot, run_async: RunAsync, languages: Languages) -> None:
    pane, desk, bridge = _pane(qtbot)
    assert not pane.call_button.isEnabled()

    async def scenario() -> None:
        pane.select("BW-03")
        assert pane.call_button.isEnabled()
        pane.call_button.click()
        pane.video_button.click()
        dialog = pane.ask_text("BW-03")
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue("请到站台东端")
        dialog.accept()
        menu = pane.menu_for("HS-012")
        next(a for a in menu.actions() if a.text() == "Call (full duplex)").trigger()
        await pane.status.wait_idle()

    run_async(scenario)
    assert desk.asked == [("call_private", ("BW-03", "half"), {}), ("pull_video", ("BW-03",), {"camera": None}),
                          ("send_text", ("请到站台东端",), {"to": "BW-03", "group": None}),
                          ("call_private", ("HS-012", "full"), {})]
    assert pane.status.text() == "Call C42 to HS-012 Station staff HS-012 set up"
    bridge.close()
