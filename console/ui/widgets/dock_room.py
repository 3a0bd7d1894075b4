"""Room for a dock for a while: a docked pane that needs more height for now (the emergency plans pane while a
plan is open) takes it from the docks above and below it (in its column, and the line across the top), and gives
it back afterwards.

The desk's default layout shares the middle column between emergencies (above) and calls and plans (tabbed,
below), so a five-step plan would get about a third of its steps on a 1080-line screen. `DockRoom.make_room` grows
the dock to the height asked, but leaves every other dock of its column at least ``keep`` pixels (its minimum
size when larger): the emergencies stay in view while a plan runs. `give_back` puts the column back as it was,
unless the dispatcher has resized it meanwhile (then their sizes are theirs).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

logger = logging.getLogger(__name__)

#: the least height (px) a neighbour in the column keeps while a dock takes room from it
KEEP_PX = 240
#: a dock within this many pixels of the height it was given counts as untouched by the dispatcher
SLACK_PX = 4


class DockRoom:
    """Grow one dock of a `QMainWindow` in its column for a while, then put the column back (see the module)."""

    def __init__(self, dock: QDockWidget, *, keep: int = KEEP_PX) -> None:
        self.dock = dock
        self.keep = keep
        #: the column's heights before the dock grew (None: nothing to give back)
        self._before: dict[QDockWidget, int] | None = None
        #: the dock's height once grown, to tell whether the dispatcher resized the column since
        self._given = 0

    @property
    def grown(self) -> bool:
        return self._before is not None

    def _window(self) -> QMainWindow | None:
        window = self.dock.parentWidget()
        if not isinstance(window, QMainWindow) or self.dock.isFloating() or not self.dock.isVisible():
            return None
        return window

    def _front(self, window: QMainWindow) -> QDockWidget:
        """The dock that shows for our tab group now: ours, or the tab in front of it (whose geometry is current)."""
        if not self.dock.visibleRegion().isEmpty():
            return self.dock
        shown = [d for d in window.tabifiedDockWidgets(self.dock) if not d.visibleRegion().isEmpty()]
        return shown[0] if shown else self.dock

    def _height(self) -> int:
        window = self._window()
        return self._front(window).height() if window is not None else self.dock.height()

    def column(self) -> list[QDockWidget]:
        """The other docks above and below ours: in its column of its dock area, and (for a side area) the docks of
        the top and bottom areas over it. Tabbed ones behind a tab are left out."""
        window = self._window()
        if window is None:
            return []
        area = window.dockWidgetArea(self.dock)
        areas = {area}
        if area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            areas |= {Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea}
        mine = self._front(window).geometry()
        tabbed = set(window.tabifiedDockWidgets(self.dock))
        found = []
        for other in window.findChildren(QDockWidget):
            if other is self.dock or other in tabbed or other.isFloating() or not other.isVisible():
                continue
            if other.parentWidget() is not window or window.dockWidgetArea(other) not in areas:
                continue
            if other.visibleRegion().isEmpty():  # behind the tab of another dock
                continue
            place = other.geometry()
            if place.left() < mine.right() and mine.left() < place.right():
                found.append(other)
        return found

    def remember(self) -> None:
        """Note the column's heights now, to give them back later (once: until `give_back`). Call it before the
        pane's content changes, since a larger minimum size alone makes Qt grow the dock."""
        if self._before is None and self._window() is not None:
            self._before = {self.dock: self._height(), **{d: d.height() for d in self.column()}}

    def make_room(self, height: int) -> int:
        """Grow the dock to ``height`` pixels, as far as its neighbours can give while keeping ``keep`` each; the
        height it got (its own when it could not grow: floating, or alone in its column)."""
        window = self._window()
        if window is None:
            return self.dock.height()
        self.remember()
        current = self._height()
        others = self.column()
        spares = [max(0, o.height() - max(self.keep, o.minimumSizeHint().height())) for o in others]
        target = min(height, current + sum(spares))
        if target > current + SLACK_PX:
            # each neighbour gives in proportion to what it can spare
            wanted, spare = target - current, sum(spares)
            sizes = [o.height() - round(wanted * s / spare) for o, s in zip(others, spares, strict=True)]
            self._resize(window, [self.dock, *others], [target, *sizes])
        self._given = self._height()
        logger.debug("dock %s: %d px, was %d (asked %d)", self.dock.objectName(), self._given, current, height)
        return self._given

    def give_back(self) -> bool:
        """Put the column back as it was before the dock grew; False when there was nothing to give back or the
        dispatcher has resized the column since (their sizes stay)."""
        before, self._before = self._before, None
        window = self._window()
        if before is None or window is None:
            return False
        if abs(self._height() - self._given) > SLACK_PX:
            logger.debug("dock %s resized by hand: its column stays as it is", self.dock.objectName())
            return False
        docks = [d for d in before if d.isVisible() and not d.isFloating()]
        self._resize(window, docks, [before[d] for d in docks])
        return True

    def _resize(self, window: QMainWindow, docks: list[QDockWidget], heights: list[int]) -> None:
        """Give ``docks`` these heights now. `QMainWindow.resizeDocks` sizes a tabbed dock's whole group, its tab
        bar included, so what a dock got is measured (ours: the tab in front) and asked again with the difference
        once."""
        layout = window.layout()
        for _ in range(2):
            window.resizeDocks(docks, heights, Qt.Orientation.Vertical)
            if layout is None:
                return
            layout.activate()  # now, not at the next event: the heights are read below
            got = [self._height() if d is self.dock else d.height() for d in docks]
            errors = [h - g for h, g in zip(heights, got, strict=True)]
            if all(abs(e) <= 1 for e in errors):
                return
            heights = [h + e for h, e in zip(heights, errors, strict=True)]


__all__ = ["KEEP_PX", "DockRoom"]
