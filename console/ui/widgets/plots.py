"""pyqtgraph for the desk's live plots (the train graph, the quality plots): the dark theme, a clock-time axis,
and plots a dispatcher cannot knock out of place.

Plots here follow the clock by themselves, so mouse panning and zooming, pyqtgraph's context menu and its "A"
(auto-range) button are off: a plot at 3 a.m. always shows what it says. Colours are the desk's
(console/ui/colours.py); every curve is one item fed numpy arrays (`console.core.series.Series` views).
"""

from __future__ import annotations

import functools

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QWidget

from console.ui.colours import ALARM, MUTED_TEXT, TEXT

__all__ = ["BACKGROUND", "GRID_ALPHA", "PALETTE", "ClockAxis", "configure", "pen", "themed_plot", "threshold_line"]

BACKGROUND = "#0e1318"
GRID_ALPHA = 0.18
#: colours of series told apart by colour alone (feeds, instances): distinct on the dark background
PALETTE = ("#58a6ff", "#d2a8ff", "#3fb950", "#f778ba", "#56d4dd", "#e3b341", "#ff7b72", "#a5d6ff", "#7ee787",
           "#ffa657", "#bc8cff", "#79c0ff")


@functools.cache
def configure() -> None:
    """The desk's pyqtgraph options, once per process (before the first plot is made)."""
    pg.setConfigOptions(background=BACKGROUND, foreground=MUTED_TEXT, antialias=False, useNumba=False)


def pen(colour: str, width: float = 1.5, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A cosmetic pen (its width in pixels whatever the zoom)."""
    result = QPen(QColor(colour))
    result.setWidthF(width)
    result.setStyle(style)
    result.setCosmetic(True)
    return result


class ClockAxis(pg.DateAxisItem):  # type: ignore[misc]
    """A time axis in the desk's local time (unix seconds in, ``HH:MM`` / ``HH:MM:SS`` out)."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation, utcOffset=None)  # None: the local time zone


def themed_plot(parent: QWidget | None = None, *, time_axis: bool = True) -> pg.PlotWidget:
    """A plot in the desk's colours with a clock-time x axis; mouse panning, zooming and menus off."""
    configure()
    axes = {"bottom": ClockAxis()} if time_axis else {}
    widget = pg.PlotWidget(parent, axisItems=axes)
    style(widget.getPlotItem())
    return widget


def style(item: pg.PlotItem) -> None:
    """Fix a plot item in place and colour its axes (used for the cells of a `pg.GraphicsLayoutWidget` too)."""
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    item.getViewBox().setMouseEnabled(x=False, y=False)
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    font = QFont()
    font.setPixelSize(12)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pen(MUTED_TEXT, 1))
        axis.setTextPen(pen(TEXT, 1))
        axis.setStyle(tickFont=font)


def threshold_line(value: float) -> pg.InfiniteLine:
    """A dashed amber horizontal line at a warning threshold."""
    return pg.InfiniteLine(pos=value, angle=0, movable=False, pen=pen(ALARM, 1, Qt.PenStyle.DashLine))
