"""Room for a proposed plan: at 1920x1080, in the default layout where the plans share a dock about 300 px tall with
the calls, a five-step plan proposed by a fire alarm shows every step (the dock grows into the column, the
emergencies keep their least height) and the column is given back once the plan is dismissed. Where the column
cannot give enough, the steps scroll and the step to do next stays in view. `DockRoom` on its own: it keeps the
neighbours' least height, and a column the dispatcher resized stays as they left it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from console.ui.i18n import Languages
from console.ui.main_window import DEFAULT_SIZE, DeskWindow
from console.ui.panes.plans import PlansPane, StepsModel
from console.ui.widgets.dock_room import KEEP_PX, DockRoom
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk

pytestmark = pytest.mark.integration


def visible_steps(pane: PlansPane, window: DeskWindow) -> list[int]:
    """The rows of the steps table shown whole, on screen in the window (not behind a tab, not scrolled off)."""
    table = pane.table
    viewport = table.viewport()
    shown = viewport.visibleRegion().boundingRect()
    rows = []
    for row in range(pane.steps.rowCount()):
        rect = table.visualRect(pane.steps.index(row, StepsModel.STEP))
        corners = (rect.topLeft(), rect.bottomLeft())
        if all(shown.contains(c) and window.rect().contains(viewport.mapTo(window, c)) for c in corners):
            rows.append(row)
    return rows


def column_heights(window: DeskWindow) -> tuple[int, int]:
    """The heights of the emergencies and of the calls and plans' shared dock (whichever tab is in front)."""
    plans, calls = window.docks["plans"], window.docks["calls"]
    shared = plans if not plans.visibleRegion().isEmpty() else calls
    return window.docks["emergencies"].height(), shared.height()


async def desk_at_1080(live: LiveDesk) -> DeskWindow:
    """The desk's window at 1920x1080 (the window's default size for it) in its default layout, calls in front."""
    window = live.window
    window.resize(DEFAULT_SIZE)
    window.apply_default_layout()
    window.raise_pane("calls")
    await until(lambda: window.docks["calls"].height() > 200 and window.docks["emergencies"].height() > 300)
    return window


async def propose_fire_plan(live: LiveDesk) -> PlansPane:
    pane = live.pane("plans")
    assert isinstance(pane, PlansPane)
    await live.fleet.terminal("ST-S03-1").raise_alarm("sensor", "critical", "FIRE", "Smoke")
    await until(lambda: pane.proposal() is not None and not pane.visibleRegion().isEmpty())
    assert pane.steps.rowCount() == 5
    return pane


def test_a_five_step_plan_shows_every_step_at_1920x1080_and_the_column_comes_back_after(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "ST-S03-1", plans=True) as live:
            window = await desk_at_1080(live)
            before = column_heights(window)
            assert before[1] < 340  # the shared dock the plan starts in: too short for five steps before
            pane = await propose_fire_plan(live)
            await until(lambda: visible_steps(pane, window) == [0, 1, 2, 3, 4], timeout=5)
            emergencies, plans = column_heights(window)
            assert plans > before[1] and emergencies >= KEEP_PX  # room taken, the emergencies still in view
            assert pane.table.verticalScrollBar().isHidden() or pane.table.verticalScrollBar().maximum() == 0

            qtbot.mouseClick(pane.dismiss_button, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(pane.dismiss_button, Qt.MouseButton.LeftButton)
            await until(lambda: pane.proposals.count() == 1 and pane.proposal().state == "dismissed")
            await until(lambda: all(abs(a - b) <= 6 for a, b in zip(column_heights(window), before, strict=True)),
                        timeout=5)

    run_async(scenario)


def test_where_the_column_cannot_give_enough_the_step_to_do_stays_in_view(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "ST-S03-1", plans=True) as live:
            window = await desk_at_1080(live)
            short = window.minimumSizeHint().height()  # the window at its least height: no room for five steps
            window.resize(1920, short)
            await until(lambda: window.height() == short)
            pane = await propose_fire_plan(live)
            await until(lambda: 0 in visible_steps(pane, window), timeout=5)
            shown = visible_steps(pane, window)
            assert 2 not in shown, f"this window was meant to be too short for three steps: {shown}"
            for step in range(2):  # the dispatcher skips the first two: the third, next to do, comes into view
                pane.plans.skip_step(pane.proposal().id, step)
                await asyncio.sleep(0)
            await until(lambda: 2 in visible_steps(pane, window), timeout=5)
            assert pane.selected_step().index == 2

    run_async(scenario)


def test_dock_room_keeps_the_neighbours_least_height_and_leaves_a_column_the_dispatcher_resized(
        qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("centre"))
    docks = []
    for name in ("above", "below", "top"):
        dock = QDockWidget(name, window)
        dock.setObjectName(name)
        dock.setWidget(QLabel(name))
        docks.append(dock)
    above, below, top = docks
    window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, top)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, above)
    window.splitDockWidget(above, below, Qt.Orientation.Vertical)
    window.resize(800, 1000)
    window.show()
    qtbot.waitExposed(window)
    window.resizeDocks([top, above, below], [150, 500, 250], Qt.Orientation.Vertical)  # Qt scales to the window
    qtbot.waitUntil(lambda: top.height() == 150 and above.height() > 1.8 * below.height())
    start = {d: d.height() for d in docks}

    room = DockRoom(below, keep=300)
    assert set(room.column()) == {above, top}
    got = room.make_room(2000)  # more than there is: the neighbours keep 300 px each (top: its least height)
    assert got > start[below] + 150
    assert above.height() >= 300 - 2 and top.height() >= min(start[top], 300) - 2
    assert room.give_back()
    assert all(abs(d.height() - start[d]) <= 4 for d in docks), {d.objectName(): d.height() for d in docks}

    grown = room.make_room(start[below] + 100)
    assert abs(grown - (start[below] + 100)) <= 2
    # the dispatcher drags the splitter between the two back by 60 px
    window.resizeDocks([above, below], [above.height() + 60, below.height() - 60], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: abs(below.height() - (grown - 60)) <= 2)
    assert not room.give_back()
    assert abs(below.height() - (grown - 60)) <= 2
