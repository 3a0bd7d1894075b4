"""The desk's signal colours for item models (the QSS theme uses the same ones): red is an emergency, amber an
alarm or a wait, green the floor granted; and the round "activity lights" the lists draw."""

from __future__ import annotations

import functools

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap

EMERGENCY = "#b3121b"
EMERGENCY_TEXT = "#ff6b6f"
ACKNOWLEDGED = "#5c1a1e"
ALARM = "#ffb000"
WAITING = "#ffb000"
GRANTED = "#3fb950"
CALL = "#58a6ff"
IDLE = "#3a4a5c"
MUTED_TEXT = "#8b98a5"
TEXT = "#e6edf3"

SEVERITY_COLOURS: dict[str, str] = {"critical": "#ff5a5f", "major": "#ffb000", "minor": "#e3c567", "info": "#8b98a5"}
#: row backgrounds that stay readable under white text
SEVERITY_BACKGROUNDS: dict[str, str] = {"critical": "#5a1216", "major": "#4a3500", "minor": "#3a3416", "info": ""}


def brush(colour: str) -> QBrush:
    return QBrush(QColor(colour))


@functools.cache
def light(colour: str, size: int = 22, ring: str = "") -> QIcon:
    """A round lamp of ``colour`` (with an optional ``ring`` colour around it) as an icon."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QPen(QColor(ring or "#0b0f14"), 3 if ring else 1))
    painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    painter.end()
    return QIcon(pixmap)


__all__ = ["ACKNOWLEDGED", "ALARM", "CALL", "EMERGENCY", "EMERGENCY_TEXT", "GRANTED", "IDLE", "MUTED_TEXT",
           "SEVERITY_BACKGROUNDS", "SEVERITY_COLOURS", "TEXT", "WAITING", "brush", "light"]
