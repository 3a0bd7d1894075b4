"""The train graph follows the desk's selection (issue 10): choosing a train in the vehicles pane, on its line diagram
or in its table, highlights that train's line in the graph, and the graph's own pick comes back to the vehicles pane
without echoing. Real World of the sample line, real `TrainTracks`, real bridge and views, offscreen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.core.train_graph import TrainTracks
from console.ui.bridge import DeskBridge
from console.ui.panes.train_graph import TrainGraphPane
from console.ui.panes.vehicles import VehiclesPane
from tests.ui.line_world import RecordingDesk, line_world, train_updates

SERVICE_S = 4000.0


def _desk(qtbot: QtBot) -> tuple[VehiclesPane, TrainGraphPane, DeskBridge, list[str]]:
    world = line_world(service_s=SERVICE_S)
    desk = RecordingDesk(world)
    tracks = TrainTracks(world.layout)
    for seconds in (SERVICE_S - 20, SERVICE_S - 10, SERVICE_S):
        for update in train_updates(seconds):
            tracks.take(update)
    desk.trains = tracks  # type: ignore[attr-defined]
    bridge = DeskBridge(world)
    vehicles = VehiclesPane(world, desk, bridge)
    graph = TrainGraphPane(world, desk, bridge)
    told: list[str] = []
    bridge.selectTerminal.connect(told.append)
    for widget, size in ((vehicles, (1920, 420)), (graph, (1200, 700))):
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
    return vehicles, graph, bridge, told


def _pen_width(graph: TrainGraphPane, radio: str) -> float:
    graph.refresh(force=True)
    return float(graph.curves[radio].opts["pen"].widthF())


def test_a_train_chosen_on_the_line_diagram_or_in_the_table_is_highlighted_in_the_graph(qtbot: QtBot) -> None:
    vehicles, graph, bridge, told = _desk(qtbot)
    assert {"TR1910", "TR1904"} <= set(graph.curves)
    thin = _pen_width(graph, "TR1910")

    # a click on the train's chip on the line diagram
    marker = vehicles.diagram.marker("TR1910")
    assert marker is not None
    qtbot.mouseClick(vehicles.diagram, Qt.MouseButton.LeftButton, pos=marker.rect.center().toPoint())
    assert graph.selected == "TR1910"
    assert _pen_width(graph, "TR1910") > thin
    assert told == ["TR1910"]  # said once to the desk, not echoed back and forth

    # a row chosen in the table
    row = vehicles.model.row_of("TR1904")
    assert row is not None
    vehicles.table.setCurrentIndex(vehicles.proxy.mapFromSource(vehicles.model.index(row, 0)))
    assert graph.selected == "TR1904"
    assert _pen_width(graph, "TR1904") > thin and _pen_width(graph, "TR1910") == thin
    assert told == ["TR1910", "TR1904"]

    # the graph's own pick selects the train in the vehicles pane, which does not say it again
    graph.select("TR1910")
    assert vehicles.selected() == "TR1910" and graph.selected == "TR1910"
    assert told == ["TR1910", "TR1904", "TR1910"]
    # and choosing the train the graph picked, again, in the vehicles pane changes nothing and says nothing
    qtbot.mouseClick(vehicles.diagram, Qt.MouseButton.LeftButton, pos=marker.rect.center().toPoint())
    assert told == ["TR1910", "TR1904", "TR1910"] and graph.selected == "TR1910"
    bridge.close()


def test_a_terminal_that_is_not_a_train_leaves_the_graphs_highlight(qtbot: QtBot) -> None:
    vehicles, graph, bridge, told = _desk(qtbot)
    vehicles.select("TR1904")  # the pane's own choice, made in code: told to the desk like a click
    assert graph.selected == "TR1904" and told == ["TR1904"]
    bridge.selectTerminal.emit("HS-001")  # a handset's "show location"
    assert graph.selected == "TR1904" and vehicles.selected() == "TR1904"
    assert told == ["TR1904", "HS-001"]  # nobody answered it with a train
    bridge.close()
