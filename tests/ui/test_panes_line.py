"""The trains pane: the trains model, the line diagram and their commands, over a real World of the sample line fed
with real notifications (snapshot, presence, locations, alerts) and real Qt views, offscreen."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPoint, QPointF, QSortFilterProxyModel, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.item_roles import (
    CHAINAGE_ROLE,
    EMERGENCY_ROLE,
    MARKER_COLOUR_ROLE,
    PRESENCE_ROLE,
    SORT_ROLE,
    TERMINAL_ID_ROLE,
)
from console.ui.panes.terminal_look import EMERGENCY_ROW, PRESENCE_FILL
from console.ui.panes.trains_model import EMERGENCY, HEADERS, POSITION, STATE, TRAIN, TrainsModel
from console.ui.panes.vehicles import VehiclesPane
from console.ui.widgets.line_diagram import LineDiagram
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.line_world import RecordingDesk, line_world, location, presence, sample_line

SERVICE_S = 4000.0  # every timetabled train has left its terminus


def _row(model: TrainsModel, radio: str) -> int:
    row = model.row_of(radio)
    assert row is not None
    return row


def _text(model: TrainsModel, radio: str, column: int) -> str:
    return str(model.index(_row(model, radio), column).data())


def _diagram(qtbot: QtBot, model: TrainsModel, width: int = 1920, height: int = 200, **options: object) -> LineDiagram:
    diagram = LineDiagram(model.world.layout, model, **options)  # type: ignore[arg-type]
    qtbot.addWidget(diagram)
    diagram.resize(width, height)
    return diagram


# ----- the model ------------------------------------------------------------------------------------


def test_the_model_lists_every_train_radio_with_its_position_direction_and_state(languages: Languages) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    assert model.rowCount() == len(sample_line().trains) == 20
    assert model.columnCount() == len(HEADERS) == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Train", "Radio", "Position", "Direction", "Radio state", "Emergency"]
    world.apply(location("TR1901", station="S03", next_station="S04", chainage_m=5480.0, direction="up",
                         train_number="1901"))
    model.refresh(["TR1901"])
    row = _row(model, "TR1901")
    assert [model.index(row, c).data() for c in range(6)] == [
        "1901", "TR1901", "S03 → S04 (5,480 m)", "Up", "Registered", ""]
    assert model.index(row, 0).data(TERMINAL_ID_ROLE) == "TR1901"
    assert model.index(row, 0).data(CHAINAGE_ROLE) == 5480.0
    # a spare standing in its depot is placed there, not on the line
    spare = _row(model, "TR1919")
    assert model.index(spare, POSITION).data() == "D1 Qingshi Depot"
    assert model.index(spare, 0).data(CHAINAGE_ROLE) is None


def test_a_location_update_changes_only_that_trains_row() -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    resets: list[str] = []
    model.modelReset.connect(lambda: resets.append("reset"))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, _roles=(): changed.append((top.row(), bottom.row())))

    world.apply(location("TR1907", station="S06", next_station="S07", chainage_m=12000.0, direction="up",
                         train_number="1907"))
    bridge.flush()
    row = _row(model, "TR1907")
    assert changed == [(row, row)]
    assert model.index(row, POSITION).data() == "S06 → S07 (12,000 m)"
    world.apply(location("TR1907", station="S06", next_station="S07", chainage_m=12000.0, direction="up",
                         train_number="1907"))
    bridge.flush()
    assert changed == [(row, row)]  # the same place again: nothing to repaint
    assert resets == []
    bridge.close()


def test_the_position_falls_back_to_the_stations_when_the_radio_reports_no_chainage() -> None:
    world = line_world()
    model = TrainsModel(world)
    world.apply(location("TR1902", station="S04", next_station="S05", direction="down"))
    model.refresh(["TR1902"])
    row = _row(model, "TR1902")
    assert model.index(row, POSITION).data() == "S04 → S05"
    assert model.index(row, 0).data(CHAINAGE_ROLE) == (7900.0 + 9150.0) / 2  # drawn midway
    world.apply(location("TR1902", station="S05", direction="down"))
    model.refresh(["TR1902"])
    assert model.index(row, 0).data(CHAINAGE_ROLE) == 9150.0


def test_an_emergency_presence_paints_the_train_red_and_an_alert_does_too() -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    bridge.alertChanged.connect(lambda _a: model.alerts_changed())
    row = _row(model, "TR1905")
    index = model.index(row, 0)
    assert index.data(MARKER_COLOUR_ROLE) == PRESENCE_FILL["registered"]
    assert index.data(Qt.ItemDataRole.BackgroundRole) is None

    world.apply(presence("TR1905", "emergency"))
    bridge.flush()
    assert index.data(EMERGENCY_ROLE) is True
    assert index.data(PRESENCE_ROLE) == "emergency"
    assert index.data(MARKER_COLOUR_ROLE) == PRESENCE_FILL["emergency"]
    assert index.data(Qt.ItemDataRole.BackgroundRole) == EMERGENCY_ROW
    assert model.index(row, EMERGENCY).data() == "EMERGENCY"
    assert model.index(row, STATE).data() == "Emergency"

    # an alert raised from a train whose presence still says "busy" is an emergency all the same
    other = model.index(_row(model, "TR1906"), 0)
    world.apply(presence("TR1906", "busy"))
    bridge.flush()
    assert other.data(MARKER_COLOUR_ROLE) == PRESENCE_FILL["busy"]
    alert = wire.AlertInfo(id="AL-1", terminal="TR1906", group="TG-TRAIN")
    world.apply(wire.EmergencyAlerted(alert=alert))
    bridge.flush()
    assert other.data(EMERGENCY_ROLE) is True
    assert other.data(MARKER_COLOUR_ROLE) == PRESENCE_FILL["emergency"]
    world.apply(wire.EmergencyState(alert=wire.AlertInfo(id="AL-1", terminal="TR1906", state="cancelled")))
    bridge.flush()
    assert other.data(EMERGENCY_ROLE) is False
    assert other.data(MARKER_COLOUR_ROLE) == PRESENCE_FILL["busy"]
    bridge.close()


def test_trains_sort_by_number_and_by_position_and_filter_by_text(languages: Languages) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.sort(TRAIN, Qt.SortOrder.DescendingOrder)
    numbers = [proxy.index(r, TRAIN).data() for r in range(proxy.rowCount())]
    assert numbers == sorted(numbers, key=int, reverse=True)
    proxy.sort(POSITION, Qt.SortOrder.AscendingOrder)
    chainages = [proxy.index(r, 0).data(CHAINAGE_ROLE) for r in range(proxy.rowCount())]
    placed = [c for c in chainages if c is not None]
    assert placed == sorted(placed) and len(placed) == 18
    assert chainages[-2:] == [None, None]  # the spares in their depots come last
    proxy.setFilterFixedString("1905")
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data(TERMINAL_ID_ROLE) == "TR1905"
    proxy.setFilterFixedString("qingshi depot")  # the spare in the D1 depot, by its place's name
    assert [proxy.index(r, 0).data(TERMINAL_ID_ROLE) for r in range(proxy.rowCount())] == ["TR1919"]


def test_the_model_speaks_chinese_after_a_language_switch(languages: Languages) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    headers: list[int] = []
    model.headerDataChanged.connect(lambda _o, first, last: headers.append(last - first + 1))
    languages.set_language("zh_CN")
    model.retranslate()
    assert model.headerData(POSITION, Qt.Orientation.Horizontal) == "位置"
    assert model.index(_row(model, "TR1919"), POSITION).data() == "D1 青石车辆段"
    assert headers == [6]


# ----- the diagram ------------------------------------------------------------------------------------


def test_a_location_update_moves_the_trains_marker_along_its_track(qtbot: QtBot) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    diagram = _diagram(qtbot, model)
    world.apply(location("TR1903", station="S03", next_station="S04", chainage_m=6000.0, direction="up",
                         train_number="1903"))
    bridge.flush()
    before = diagram.marker("TR1903")
    assert before is not None and before.track == "up"
    stations = {m.code: m.x for m in diagram.station_marks()}
    assert stations["S03"] < before.x < stations["S04"]
    assert before.x == diagram.x_of_chainage(6000.0)
    assert before.rect.bottom() < diagram.frame().y_up  # above the up track

    world.apply(location("TR1903", station="S04", next_station="S05", chainage_m=8500.0, direction="up",
                         train_number="1903"))
    bridge.flush()
    after = diagram.marker("TR1903")
    assert after is not None
    assert stations["S04"] < after.x < stations["S05"]
    assert after.x - before.x == diagram.x_of_chainage(8500.0) - diagram.x_of_chainage(6000.0) > 0
    geometry = diagram.marker_geometry("TR1903")
    assert geometry is not None and geometry.left() <= after.x + 30 and geometry.height() > 20

    # turning round: the same train on the down track, below it
    world.apply(location("TR1903", station="S10", chainage_m=21930.0, direction="down", train_number="1903"))
    bridge.flush()
    turned = diagram.marker("TR1903")
    assert turned is not None and turned.track == "down" and turned.rect.top() > diagram.frame().y_down
    bridge.close()


def test_an_emergency_train_blinks_red_on_the_diagram_and_stops_when_it_ends(qtbot: QtBot) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    bridge = DeskBridge(world)
    bridge.terminalsChanged.connect(model.refresh)
    diagram = _diagram(qtbot, model, repaint_ms=20, blink_ms=30)
    diagram.show()
    assert not diagram.blinking()
    world.apply(presence("TR1905", "emergency"))
    qtbot.waitUntil(diagram.blinking, timeout=2000)
    marker = diagram.marker("TR1905")
    assert marker is not None and marker.emergency and marker.colour == PRESENCE_FILL["emergency"]
    painted = diagram.paints
    qtbot.waitUntil(lambda: diagram.paints >= painted + 2, timeout=2000)  # the blink repaints by itself
    world.apply(presence("TR1905", "registered"))
    qtbot.waitUntil(lambda: not diagram.blinking(), timeout=2000)
    marker = diagram.marker("TR1905")
    assert marker is not None and not marker.emergency and marker.colour == PRESENCE_FILL["registered"]
    bridge.close()


def test_a_burst_of_locations_costs_one_repaint(qtbot: QtBot) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    bridge = DeskBridge(world, interval_ms=10)
    bridge.terminalsChanged.connect(model.refresh)
    diagram = _diagram(qtbot, model, repaint_ms=200)
    diagram.show()
    qtbot.waitExposed(diagram)
    for metres in range(100):
        world.apply(location("TR1901", station="S01", next_station="S02", chainage_m=1300.0 + 20 * metres,
                             direction="up", train_number="1901"))
    qtbot.waitUntil(lambda: diagram.repaints_requested >= 1, timeout=2000)
    qtbot.wait(50)
    assert diagram.repaints_requested == 1  # a hundred moves within 200 ms: one repaint
    marker = diagram.marker("TR1901")
    assert marker is not None and marker.x == diagram.x_of_chainage(1300.0 + 20 * 99)
    bridge.close()


def test_station_names_never_overlap_in_either_language(qtbot: QtBot, languages: Languages) -> None:
    model = TrainsModel(line_world(service_s=SERVICE_S))
    for language in ("en", "zh_CN"):
        languages.set_language(language)
        for width in (1920, 1400, 1000):
            diagram = _diagram(qtbot, model, width=width)
            marks = diagram.station_marks()
            assert [m.code for m in marks] == [f"S{n:02d}" for n in range(1, 11)]
            assert [m.x for m in marks] == sorted(m.x for m in marks)
            for row in (0, 1):
                labels = [m.label for m in marks if m.row == row]
                for left, right in itertools.pairwise(labels):
                    assert left.right() <= right.left(), (language, width, left, right)
            assert all(m.label.left() >= 0 and m.label.right() <= width for m in marks)
    assert diagram.station_marks()[7].name == "示范南站"


def test_depot_trains_sit_in_their_depot_boxes_at_the_ends(qtbot: QtBot) -> None:
    model = TrainsModel(line_world(service_s=SERVICE_S))
    diagram = _diagram(qtbot, model)
    boxes = diagram.depot_boxes()
    assert set(boxes) == {"D1", "D2"}
    first, last = diagram.station_marks()[0].x, diagram.station_marks()[-1].x
    assert boxes["D1"].rect.right() < first and boxes["D2"].rect.left() > last
    for radio, depot in (("TR1919", "D1"), ("TR1920", "D2")):
        marker = diagram.marker(radio)
        assert marker is not None and marker.track == "depot" and marker.depot == depot
        assert boxes[depot].rect.contains(marker.rect)
    assert diagram.unplaced() == []
    tunnels = diagram.frame().tunnels
    assert len(tunnels) == 1  # S03 to S09 are underground
    stations = {m.code: m.x for m in diagram.station_marks()}
    assert tunnels[0].left() < stations["S03"] and stations["S09"] < tunnels[0].right() < stations["S10"]


def test_hovering_a_train_or_a_station_tells_what_it_is(qtbot: QtBot, languages: Languages) -> None:
    model = TrainsModel(line_world(service_s=SERVICE_S))
    diagram = _diagram(qtbot, model)
    marker = diagram.marker("TR1908")
    assert marker is not None
    tip = diagram.tooltip_at(marker.rect.center())
    assert "Train 1908" in tip and "TR1908" in tip and "Registered" in tip
    s05 = next(m for m in diagram.station_marks() if m.code == "S05")
    tip = diagram.tooltip_at(s05.label.center())
    assert "S05" in tip and "市民中心" in tip and "Civic Centre" in tip and "underground" in tip
    assert diagram.tooltip_at(QPointF(diagram.width() / 2, 2)) == ""


# ----- the pane -------------------------------------------------------------------------------------


def _pane(qtbot: QtBot, *, desk: RecordingDesk | None = None) -> tuple[VehiclesPane, RecordingDesk, DeskBridge]:
    world = line_world(service_s=SERVICE_S)
    desk = desk or RecordingDesk(world)
    bridge = DeskBridge(world)
    pane = VehiclesPane(world, desk, bridge)
    qtbot.addWidget(pane)
    pane.resize(1920, 420)
    pane.show()
    qtbot.waitExposed(pane)
    return pane, desk, bridge


def test_clicking_a_train_on_the_diagram_selects_it_in_the_table_and_back(qtbot: QtBot) -> None:
    pane, _desk, bridge = _pane(qtbot)
    marker = pane.diagram.marker("TR1910")
    assert marker is not None
    with qtbot.waitSignal(pane.diagram.trainSelected) as selected:
        qtbot.mouseClick(pane.diagram, Qt.MouseButton.LeftButton, pos=marker.rect.center().toPoint())
    assert selected.args == ["TR1910"]
    assert pane.table.currentIndex().data(TERMINAL_ID_ROLE) == "TR1910"
    assert pane.call_button.isEnabled()
    # choosing a row in the table highlights the train on the diagram
    row = pane.proxy.mapFromSource(pane.model.index(_row(pane.model, "TR1904"), 0))
    pane.table.setCurrentIndex(row)
    assert pane.diagram.selected() == "TR1904"
    qtbot.mouseClick(pane.diagram, Qt.MouseButton.LeftButton, pos=QPoint(pane.diagram.width() // 2, 2))
    assert pane.selected() is None and not pane.call_button.isEnabled()
    bridge.close()


def test_the_train_menu_calls_pulls_video_from_each_camera_and_writes_to_its_screens(
        qtbot: QtBot, run_async: RunAsync) -> None:
    pane, desk, bridge = _pane(qtbot)
    menu = pane.train_menu("TR1903")
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Train 1903" and "Call" in texts and "Call (full duplex)" in texts and "PIS message…" in texts
    video = next(a.menu() for a in menu.actions() if a.text() == "Video")
    assert isinstance(video, QMenu)
    assert [a.text() for a in video.actions()] == ["Train 1903 cab camera", "Train 1903 saloon camera"]

    async def scenario() -> None:
        next(a for a in menu.actions() if a.text() == "Call (full duplex)").trigger()
        video.actions()[1].trigger()
        await pane.status.wait_idle()
        dialog = pane.open_pis(("1903",))
        dialog.text.setPlainText("前方车站临时停车，请耐心等候")
        dialog.text_en.setText("The train will wait here a few minutes")
        dialog.urgent.setChecked(True)
        dialog.accept()
        await pane.status.wait_idle()

    run_async(scenario)
    assert desk.asked == [
        ("call_private", ("TR1903", "full"), {}),
        ("pull_video", ("TR1903",), {"camera": "CAM-1903-2"}),
        ("push_pis", ("前方车站临时停车，请耐心等候", "The train will wait here a few minutes", ("1903",)),
         {"duration_s": 60, "urgent": True}),
    ]
    assert pane.status.text() == "Message shown on 1 train(s)"
    bridge.close()


def test_double_clicking_a_train_calls_it_and_a_refusal_shows_on_the_status_line(
        qtbot: QtBot, run_async: RunAsync) -> None:
    pane, desk, bridge = _pane(qtbot)
    desk.refuse["call_private"] = (409, "TR1912 is busy in an emergency call")
    marker = pane.diagram.marker("TR1912")
    assert marker is not None

    async def scenario() -> None:
        qtbot.mouseDClick(pane.diagram, Qt.MouseButton.LeftButton, pos=marker.rect.center().toPoint())
        await until(lambda: bool(desk.asked))
        await pane.status.wait_idle()

    run_async(scenario)
    assert desk.asked == [("call_private", ("TR1912", "half"), {})]
    assert pane.status.failed
    assert pane.status.text() == "Calling train 1912 refused: 409 TR1912 is busy in an emergency call"
    bridge.close()


def test_the_pis_dialog_sends_nothing_until_there_is_text(qtbot: QtBot) -> None:
    pane, desk, bridge = _pane(qtbot)
    dialog = pane.open_pis(())
    ok = dialog.buttons.buttons()[0]
    assert "every train" in dialog.heading.text()
    assert not ok.isEnabled()
    dialog.text_en.setText("Service resumes shortly")
    assert ok.isEnabled()
    dialog.reject()
    assert desk.asked == []
    bridge.close()


def test_the_table_of_the_pane_follows_the_model_and_sorts_by_position(qtbot: QtBot) -> None:
    pane, _desk, bridge = _pane(qtbot)
    proxy = pane.proxy
    chainages = [proxy.index(r, 0).data(CHAINAGE_ROLE) for r in range(proxy.rowCount())]
    assert [c for c in chainages if c is not None] == sorted(c for c in chainages if c is not None)
    pane.filter.setText("TR1905")
    assert proxy.rowCount() == 1
    pane.filter.clear()
    assert proxy.rowCount() == 20
    bridge.close()


def test_a_right_click_on_a_train_asks_for_its_menu_and_selects_it(qtbot: QtBot) -> None:
    pane, _desk, bridge = _pane(qtbot)
    marker = pane.diagram.marker("TR1906")
    assert marker is not None
    point = marker.rect.center().toPoint()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, pane.diagram.mapToGlobal(point))
    with qtbot.waitSignal(pane.diagram.trainMenuRequested) as asked:
        QApplication.sendEvent(pane.diagram, event)
    assert asked.args[0] == "TR1906"
    assert pane.selected() == "TR1906"
    menus = [m for m in pane.findChildren(QMenu) if m.objectName() == "trainMenu"]
    assert menus and menus[-1].actions()[0].text() == "Train 1906"
    for menu in menus:
        menu.close()
    bridge.close()


def test_the_registry_builds_the_line_panes_in_the_desk_window(session: object, qtbot: QtBot) -> None:
    from console.ui.panes.handsets import HandsetsPane
    from console.ui.panes.stations import StationsPane

    window = session.window  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    assert isinstance(window.pane("vehicles"), VehiclesPane)
    assert isinstance(window.pane("stations"), StationsPane)
    assert isinstance(window.pane("handsets"), HandsetsPane)
    # this desk has no line data: the panes still build and paint (empty)
    vehicles = window.pane("vehicles")
    assert not vehicles.diagram.grab().isNull() and vehicles.diagram.markers() == []
    assert window.pane("stations").model.rowCount() == 0


def test_trains_bunched_at_a_terminus_get_chips_that_never_overlap(qtbot: QtBot) -> None:
    world = line_world(service_s=SERVICE_S)
    model = TrainsModel(world)
    for radio in ("TR1901", "TR1903", "TR1905", "TR1907", "TR1909", "TR1911"):  # all waiting at S01
        world.apply(location(radio, station="S01", chainage_m=1200.0, direction="up", train_number=radio[2:]))
    model.refresh_all()
    diagram = _diagram(qtbot, model, width=1400)
    up = [m for m in diagram.markers() if m.track == "up"]
    for first, second in itertools.combinations(up, 2):
        assert not first.rect.intersects(second.rect), (first.number, second.number)
    at_s01 = [m for m in up if m.radio in ("TR1901", "TR1903", "TR1905", "TR1907", "TR1909", "TR1911")]
    assert {m.x for m in at_s01} == {diagram.x_of_chainage(1200.0)}  # every stem still points at S01
    assert {m.lane for m in at_s01} == {0, 1}


def test_show_location_of_an_alert_selects_the_train_and_ignores_other_terminals(qtbot: QtBot) -> None:
    pane, _desk, bridge = _pane(qtbot)
    bridge.selectTerminal.emit("TR1905")
    assert pane.selected() == "TR1905"
    bridge.selectTerminal.emit("HS-001")  # a handset: not this pane's business
    assert pane.selected() == "TR1905"
