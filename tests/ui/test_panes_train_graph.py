"""The train graph pane against the real testbed: each train's live line is exactly the positions its simulated cab
radio reported (through the real platform), a train running behind its timetable is drawn late with its delay,
the timetable's planned lines are drawn, and clicking a train's line selects the train in the vehicles pane."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from pytestqt.qtbot import QtBot

from console.core.train_graph import PlanClock
from console.ui.i18n import Languages
from console.ui.panes.train_graph import DELAY_COLOURS, TrainGraphPane, delay_text
from console.ui.panes.vehicles import VehiclesPane
from testbed.terminals.service import ServiceClock
from testbed.terminals.train import SimTrain, train_location
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk

pytestmark = [pytest.mark.integration]

#: the train made to run behind its timetable, and by how much (service seconds)
LATE_TRAIN = "1905"
BEHIND_S = 300.0


def spy_reports(live: LiveDesk) -> dict[str, list[tuple[float, float | None]]]:
    """Record every position each simulated train reports from now on: (fix time in ms, chainage)."""
    sent: dict[str, list[tuple[float, float | None]]] = {}
    for sim in live.fleet.of_kind("train"):
        assert isinstance(sim, SimTrain)
        reports = sent.setdefault(sim.id, [])
        original = sim.report_location

        async def report(location: Any, *, fix_time: float | None = None, _original: Any = original,
                         _reports: list[tuple[float, float | None]] = reports) -> None:
            _reports.append((round(fix_time * 1000) if fix_time is not None else -1.0, location.chainage_m))
            await _original(location, fix_time=fix_time)

        sim.report_location = report  # type: ignore[method-assign]
    return sent


def graph_of(live: LiveDesk) -> TrainGraphPane:
    pane = live.pane("train_graph")
    assert isinstance(pane, TrainGraphPane)
    return pane


async def show_big(live: LiveDesk) -> TrainGraphPane:
    """The graph in a floating dock of its own, large enough to tell the trains apart (waited for on the running
    loop: no nested Qt event loop inside the qasync one)."""
    dock = live.window.docks["train_graph"]
    dock.setFloating(True)
    dock.show()
    dock.resize(1500, 900)
    pane = graph_of(live)
    await until(lambda: pane.isVisible() and pane.plot.height() > 600, timeout=5)
    return pane


def test_live_lines_are_the_reported_positions_and_a_late_train_shows_its_delay(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "train") as live:
            line = live.line
            live.desk.trains.plan_clock = PlanClock.of(live.fleet.service)  # the simulated line's clock
            late_radio = line.trains[LATE_TRAIN].radio
            late = live.fleet.terminal(late_radio)
            assert isinstance(late, SimTrain)
            shared = live.fleet.service
            late.service = ServiceClock(start=shared.start, speed=shared.speed, offset=shared.offset - BEHIND_S)
            sent = spy_reports(live)
            pane = await show_big(live)
            running = [t.radio for t in line.trains.values() if t.number in line.timetable.departures]
            await until(lambda: all(len(sent[r]) >= 4 for r in running), timeout=20)
            await until(lambda: all(len(live.desk.trains.tracks[r].positions) >= 5 for r in running), timeout=10)
            pane.refresh(force=True)

            for radio in running:
                times, chainages = pane.curves[radio].xData, pane.curves[radio].yData
                reports = [(when, c) for when, c in sent[radio] if when >= 0]
                first_spied = reports[0][0] / 1000
                plotted = [(t, c) for t, c in zip(times, chainages, strict=True) if t >= first_spied - 1e-6]
                assert len(plotted) >= 3, radio
                # every plotted point is a report, in order; at most the newest reports are still in flight
                assert 0 <= len(reports) - len(plotted) <= 2, radio
                for (t, c), (when, chainage) in zip(plotted, reports, strict=False):
                    assert t == pytest.approx(when / 1000, abs=1e-6) and c == pytest.approx(chainage), radio
                # the points from before the spy: where the timetable put the train at those instants
                if radio != late_radio:
                    number = next(n for n, t in line.trains.items() if t.radio == radio)
                    for t, c in zip(times, chainages, strict=True):
                        if t < first_spied:
                            expected = train_location(line.timetable, number, shared.at(t)).chainage_m
                            assert c == pytest.approx(expected, abs=0.2), radio

            delay = live.desk.trains.tracks[late_radio].delay
            assert delay is not None and delay > 180, delay
            pen = pane.curves[late_radio].opts["pen"]
            assert pen.color().name() == DELAY_COLOURS["very_late"]
            assert pane.labels[late_radio].textItem.toPlainText() == f"{LATE_TRAIN} {delay_text(delay)}"
            on_time = next(r for r in running if r != late_radio)
            on_time_delay = live.desk.trains.tracks[on_time].delay
            assert on_time_delay is not None and abs(on_time_delay) < 5.0
            assert pane.curves[on_time].opts["pen"].color().name() == DELAY_COLOURS["on_time"]
            assert pane.labels[on_time].textItem.toPlainText() == line.trains[
                next(n for n, t in line.trains.items() if t.radio == on_time)].number
            planned_times, planned_chainages = pane.planned_curve.getData()
            assert np.isfinite(planned_times).sum() > 20 * 10  # every timetabled train's runs in the window
            assert np.nanmin(planned_chainages) == min(s.chainage_m for s in line.stations)
            assert np.nanmax(planned_chainages) == max(s.chainage_m for s in line.stations)

    run_async(scenario)


def test_clicking_a_train_line_selects_the_train_in_the_vehicles_pane(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "train") as live:
            pane = await show_big(live)
            vehicles = live.pane("vehicles")
            assert isinstance(vehicles, VehiclesPane)
            tracks = live.desk.trains.tracks
            running = [t.radio for t in live.line.trains.values() if t.number in live.line.timetable.departures]
            await until(lambda: all(r in tracks and len(tracks[r].positions) >= 2 for r in running), timeout=20)
            pane.refresh(force=True)
            await asyncio.sleep(0.05)
            chosen = None
            for radio, curve in pane.curves.items():
                times, chainages = curve.xData, curve.yData
                finite = np.flatnonzero(np.isfinite(chainages))
                if not finite.size:
                    continue
                when, where = float(times[finite[-1]]), float(chainages[finite[-1]])
                if pane.train_at(when, where) == radio:  # no other line nearer at this spot
                    chosen = (radio, when, where)
                    break
            assert chosen is not None, "no train line clear of the others"
            radio, when, where = chosen
            scene = pane.scene_point(when, where)
            at = pane.plot.mapFromScene(scene)
            picked: list[str] = []
            pane.trainPicked.connect(picked.append)
            qtbot.mouseClick(pane.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(at.x(), at.y()))
            await until(lambda: vehicles.selected() == radio, timeout=5)
            assert picked == [radio] and pane.selected == radio
            assert pane.curves[radio].opts["pen"].widthF() == 3.0  # drawn thicker once chosen
            # a click where no train has been yet (the future) selects nothing new
            empty = pane.plot.mapFromScene(pane.scene_point(when + 600, where))
            qtbot.mouseClick(pane.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(empty.x(), empty.y()))
            assert picked == [radio]

    run_async(scenario)
