"""The stations pane: the stations tree model over a real World of the sample line, its filtering and sorting, and
the calls and video it starts (on a recording desk), with real Qt views offscreen."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from pytestqt.qtbot import QtBot

from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.item_roles import EMERGENCY_ROLE, KIND_ROLE, PRESENCE_ROLE, SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.panes.stations import StationsPane
from console.ui.panes.stations_model import ACTIVITY, NAME, STATE, TERMINAL, StationsModel
from console.ui.panes.terminal_look import EMERGENCY_ROW, PRESENCE_TEXT
from protocols import messages as wire
from tests.ui.conftest import RunAsync
from tests.ui.line_world import RecordingDesk, line_world, presence, terminal_info


def _children(model: StationsModel, code: str) -> list[str]:
    parent = model.index_of(code)
    return [model.index(r, 0, parent).data(TERMINAL_ID_ROLE) for r in range(model.rowCount(parent))]


def _cell(model: StationsModel, key: str, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    index = model.index_of(key)
    return model.index(index.row(), column, index.parent()).data(role)


def test_every_station_depot_and_the_centre_with_its_radios_and_cameras_in_line_order(languages: Languages) -> None:
    model = StationsModel(line_world(offline=["ST-S04-1"]))
    codes = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert codes[:3] == ["S01 Qingshiqiao", "S02 Liuhu", "S03 Wenchang Road"]
    assert [c.split()[0] for c in codes] == [f"S{n:02d}" for n in range(1, 11)] + ["D1", "D2", "OCC"]
    assert model.columnCount() == 4
    assert _children(model, "S01") == ["ST-S01-1", "ST-S01-2", "CAM-S01-1", "CAM-S01-2"]
    assert _cell(model, "ST-S01-1", NAME) == "Radio 1"  # under its station, without the station's name again
    assert _cell(model, "CAM-S01-2", NAME) == "Concourse camera"
    assert _cell(model, "ST-S01-1", TERMINAL) == "ST-S01-1"
    assert _cell(model, "ST-S01-1", NAME, KIND_ROLE) == "station"
    assert _cell(model, "CAM-S01-1", NAME, KIND_ROLE) == "camera"
    assert _cell(model, "S01", STATE) == "2 of 2 radios up"
    assert _cell(model, "S04", STATE) == "0 of 1 radios up"
    assert _cell(model, "ST-S04-1", STATE) == "Offline"
    assert _cell(model, "ST-S01-1", STATE, Qt.ItemDataRole.ForegroundRole) == PRESENCE_TEXT["registered"]
    assert model.rowCount(model.index_of("ST-S01-1")) == 0


def test_a_presence_change_repaints_the_radio_and_its_station_only() -> None:
    world = line_world()
    model = StationsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    changed: list[tuple[str, str]] = []
    model.dataChanged.connect(lambda top, bottom, _roles=(): changed.append(
        (top.data(TERMINAL_ID_ROLE) or top.data().split()[0], bottom.data(TERMINAL_ID_ROLE) or "")))
    resets: list[str] = []
    model.modelReset.connect(lambda: resets.append("reset"))

    world.apply(presence("ST-S05-2", "emergency"))
    assert changed == [("ST-S05-2", "ST-S05-2"), ("S05", "")]
    assert _cell(model, "ST-S05-2", NAME, PRESENCE_ROLE) == "emergency"
    assert _cell(model, "S05", NAME, EMERGENCY_ROLE) is True
    assert _cell(model, "S05", STATE) == "Emergency"
    assert _cell(model, "S05", NAME, Qt.ItemDataRole.BackgroundRole) == EMERGENCY_ROW
    assert _cell(model, "ST-S05-2", NAME, Qt.ItemDataRole.BackgroundRole) == EMERGENCY_ROW
    changed.clear()
    world.apply(presence("CAM-S05-1", "unreachable"))
    bridge.flush()
    assert changed == [("CAM-S05-1", "CAM-S05-1")]  # the station's sum (radios up) did not change
    assert resets == []
    bridge.close()


def test_calls_and_video_show_against_the_radios_and_cameras_in_them(languages: Languages) -> None:
    world = line_world()
    model = StationsModel(world)
    bridge = DeskBridge(world)
    bridge.callChanged.connect(lambda _c: model.activity_changed())
    bridge.floorChanged.connect(lambda _c: model.activity_changed())
    bridge.callEnded.connect(lambda _c, _r: model.activity_changed())
    bridge.videoChanged.connect(lambda _v: model.activity_changed())
    world.apply(wire.CallStarted(call=wire.CallInfo(id="C7", kind="group", group="TG-S01",
                                                    parties=["ST-S01-1", "ST-S01-2", "HS-001"])))
    bridge.flush()
    assert _cell(model, "ST-S01-1", ACTIVITY) == "Qingshiqiao station"
    world.apply(wire.FloorTaken(call="C7", holder="ST-S01-1", priority="normal"))
    bridge.flush()
    assert _cell(model, "ST-S01-1", ACTIVITY) == "Qingshiqiao station (talking)"
    assert _cell(model, "ST-S01-2", ACTIVITY) == "Qingshiqiao station"
    assert _cell(model, "S01", ACTIVITY) == "1 call(s)"
    world.apply(wire.CallStarted(call=wire.CallInfo(id="C8", kind="private", parties=["ST-S02-1", "HS-007"])))
    world.apply(wire.VideoSession(session="V3", source="CAM-S02-1", sink="chief", quality="thumb", state="live"))
    bridge.flush()
    assert _cell(model, "ST-S02-1", ACTIVITY) == "Private call with Station staff HS-007"
    assert _cell(model, "CAM-S02-1", ACTIVITY) == "Video V3"
    assert _cell(model, "S02", ACTIVITY) == "1 call(s) · 1 video"
    world.apply(wire.CallEnded(call="C7", reason="released"))
    bridge.flush()
    assert _cell(model, "ST-S01-1", ACTIVITY) == "" and _cell(model, "S01", ACTIVITY) == ""
    bridge.close()


def test_a_radio_the_line_file_does_not_list_appears_under_its_station() -> None:
    world = line_world()
    model = StationsModel(world)
    inserted: list[tuple[str, int]] = []
    model.rowsInserted.connect(lambda parent, first, _last: inserted.append((parent.data(), first)))
    world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id="ST-S03-9", kind="station", station="S03",
                                                               name="Wenchang Road radio 9", presence="registered")))
    model.refresh(["ST-S03-9"])
    assert inserted == [("S03 Wenchang Road", 3)]
    assert _children(model, "S03")[-1] == "ST-S03-9"
    assert _cell(model, "S03", STATE) == "2 of 2 radios up"


def test_the_filter_keeps_matching_terminals_with_their_station_and_sorting_keeps_line_order(
        languages: Languages) -> None:
    model = StationsModel(line_world())
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setRecursiveFilteringEnabled(True)
    proxy.setAutoAcceptChildRows(True)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(NAME, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 0).data().split()[0] for r in range(3)] == ["S01", "S02", "S03"]
    proxy.setFilterFixedString("cam-s05-2")
    assert proxy.rowCount() == 1
    station = proxy.index(0, 0)
    assert station.data() == "S05 Civic Centre"
    assert [proxy.index(r, 0, station).data(TERMINAL_ID_ROLE) for r in range(proxy.rowCount(station))] == [
        "CAM-S05-2"]
    proxy.setFilterFixedString("civic")  # a station's name: the station with all of its terminals
    station = proxy.index(0, 0)
    assert proxy.rowCount() == 1 and proxy.rowCount(station) == 4


def _pane(qtbot: QtBot) -> tuple[StationsPane, RecordingDesk]:
    world = line_world(offline=["ST-S05-1"])
    desk = RecordingDesk(world)
    pane = StationsPane(world, desk, DeskBridge(world))
    qtbot.addWidget(pane)
    pane.resize(680, 600)
    pane.show()
    qtbot.waitExposed(pane)
    return pane, desk


def _proxy_index(pane: StationsPane, key: str) -> QModelIndex:
    return pane.proxy.mapFromSource(pane.model.index_of(key))


def test_double_click_calls_a_radio_and_opens_a_camera_and_the_buttons_serve_a_whole_station(
        qtbot: QtBot, run_async: RunAsync, languages: Languages) -> None:
    pane, desk = _pane(qtbot)

    async def scenario() -> None:
        pane.tree.doubleClicked.emit(_proxy_index(pane, "ST-S02-1"))
        pane.tree.doubleClicked.emit(_proxy_index(pane, "CAM-S03-2"))
        pane.select("S05")  # its first radio is offline: the button calls the second
        assert pane.call_button.isEnabled() and pane.video_button.isEnabled()
        pane.full_button.click()
        pane.video_button.click()
        await pane.status.wait_idle()

    run_async(scenario)
    assert desk.asked == [("call_private", ("ST-S02-1", "half"), {}), ("pull_video", ("CAM-S03-2",), {"camera": None}),
                          ("call_private", ("ST-S05-2", "full"), {}), ("pull_video", ("CAM-S05-1",), {"camera": None})]
    assert pane.status.text() == "Video V7 of CAM-S05-1 Civic Centre platform camera opened"
    pane.select("CAM-S01-1")
    assert not pane.call_button.isEnabled() and pane.video_button.isEnabled()
    menu = pane.menu_for(pane.model.index_of("S01"))
    assert [a.text() for a in menu.actions()] == ["Call ST-S01-1", "Call ST-S01-1 (full duplex)",
                                                  "Video: Qingshiqiao platform camera",
                                                  "Video: Qingshiqiao concourse camera"]


def test_a_refused_call_says_why_on_the_status_line(qtbot: QtBot, run_async: RunAsync, languages: Languages) -> None:
    pane, desk = _pane(qtbot)
    desk.refuse["call_private"] = (404, "unknown terminal ST-S01-1")

    async def scenario() -> None:
        pane.select("ST-S01-1")
        pane.call_button.click()
        await pane.status.wait_idle()

    run_async(scenario)
    assert pane.status.failed
    assert pane.status.text() == "Calling ST-S01-1 Qingshiqiao radio 1 refused: 404 unknown terminal ST-S01-1"


def test_the_pane_filter_box_narrows_the_tree(qtbot: QtBot, languages: Languages) -> None:
    pane, _desk = _pane(qtbot)
    assert pane.proxy.rowCount() == 13
    pane.filter.setText("ST-S08")
    assert pane.proxy.rowCount() == 1
    assert pane.tree.isExpanded(pane.proxy.index(0, 0))
    pane.filter.clear()
    assert pane.proxy.rowCount() == 13
    assert terminal_info("ST-S08-2").station == "S08"
