"""The line panes against the real thing: the reference platform on loopback, simulated terminals of the sample line
registering and a train running to the timetable, the real core Desk and the bridge, the panes offscreen."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.item_roles import CHAINAGE_ROLE, PRESENCE_ROLE
from console.ui.panes.handsets import HandsetsPane
from console.ui.panes.stations import StationsPane
from console.ui.panes.stations_model import ACTIVITY
from console.ui.panes.vehicles import VehiclesPane
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from tests.ui.conftest import RunAsync, until
from tests.ui.line_world import sample_line

pytestmark = pytest.mark.integration

CHOSEN = ["TR1901", "ST-S01-1", "CAM-S01-1", "HS-001", "BW-01"]


def test_registering_terminals_show_in_their_panes_and_a_running_train_moves_on_the_diagram(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages) -> None:
    line = sample_line()

    async def scenario() -> None:
        platform = PlatformServer(line, host="127.0.0.1", port=0, instance="A")
        await platform.start()
        desk = Desk(tmp_path / "events.sqlite", layout=layout_from_line(line))
        bridge = DeskBridge(desk.world)
        vehicles = VehiclesPane(desk.world, desk, bridge)
        stations = StationsPane(desk.world, desk, bridge)
        handsets = HandsetsPane(desk.world, desk, bridge)
        for pane in (vehicles, stations, handsets):
            qtbot.addWidget(pane)
            pane.resize(1920, 420)
            pane.show()
        fleet: Fleet | None = None
        try:
            await desk.connect([platform.url], "chief", "demo")
            await until(lambda: len(desk.world.terminals) == len(line.terminals))
            await until(lambda: vehicles.model.rowCount() == 20 and handsets.model.rowCount() == 50)
            train_row = vehicles.model.row_of("TR1901")
            handset_row = handsets.model.row_of("HS-001")
            assert train_row is not None and handset_row is not None  # listed by the snapshot, offline
            assert vehicles.model.index(train_row, 0).data(PRESENCE_ROLE) == "offline"

            fleet = Fleet(line, platform.url, rate=0, include=CHOSEN, speed=40, report_interval=0.2)
            await fleet.start()

            def registered() -> bool:
                radio = stations.model.index_of("ST-S01-1")
                camera = stations.model.index_of("CAM-S01-1")
                return (vehicles.model.index(train_row, 0).data(PRESENCE_ROLE) == "registered"
                        and handsets.model.index(handset_row, 0).data(PRESENCE_ROLE) == "registered"
                        and radio.data(PRESENCE_ROLE) == "registered" and camera.data(PRESENCE_ROLE) == "registered")

            await until(registered)
            assert stations.model.index_of("ST-S02-1").data(PRESENCE_ROLE) == "offline"  # not in the fleet

            # the train runs to the timetable (40 times real time): its marker follows it along the line
            await until(lambda: vehicles.diagram.marker("TR1901") is not None)
            first = vehicles.diagram.marker("TR1901")
            assert first is not None and first.track in ("up", "down")
            await until(lambda: (m := vehicles.diagram.marker("TR1901")) is not None and abs(m.x - first.x) > 2)
            moved = vehicles.diagram.marker("TR1901")
            chainage = vehicles.model.index(train_row, 0).data(CHAINAGE_ROLE)
            assert moved is not None and chainage is not None
            assert moved.x == vehicles.diagram.x_of_chainage(chainage)

            # a call from the stations pane rings the station radio, and the tree shows the call against it
            stations.select("ST-S01-1")
            stations.call_button.click()
            await stations.status.wait_idle()
            assert not stations.status.failed, stations.status.text()
            radio = stations.model.index_of("ST-S01-1")
            activity = radio.siblingAtColumn(ACTIVITY)
            await until(lambda: "this desk" in str(activity.data()))
        finally:
            if fleet is not None:
                with contextlib.suppress(Exception):
                    await fleet.stop()
            bridge.close()
            await desk.close()
            await platform.stop()

    run_async(scenario)
