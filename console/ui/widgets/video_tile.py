"""One tile of the video wall, custom-painted: the feed's latest picture, who sends it and how it is doing.

The tile never decodes: the pane hands it a `TileFrame` copied from the shared-memory wall, which it converts to
RGB at its own size (the scaling is the only work done here) and keeps as a `QImage` until the next one. A feed
with no new picture for more than a second gets an amber border and a red FROZEN badge; one that failed (never set
up, or its media lost) keeps its place with a red border and says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

logger = logging.getLogger(__name__)

__all__ = ["BAR_HEIGHT", "TileInfo", "VideoTileView"]

_BACKGROUND = QColor("#101418")
_BAR = QColor(0, 0, 0, 160)
_TEXT = QColor("#e8eef2")
_MUTED = QColor("#8a96a0")
_FOCUS = QColor("#3d8bfd")
_SELECTED = QColor("#6c7a86")
_FROZEN_BORDER = QColor("#ffb000")
_FROZEN_BADGE = QColor("#d32f2f")
_FAILED_BORDER = QColor("#d32f2f")
_FAILED_TEXT = QColor("#ff8a80")
#: height of the label bars at the top and bottom of a tile, px
BAR_HEIGHT = 24


@dataclass(frozen=True)
class TileInfo:
    """What a tile says about its feed (from the core `VideoTile` and the `World`)."""

    title: str = ""
    quality: str = "thumb"
    fps: float = 0.0
    #: seconds since the last picture (None before the first)
    age: float | None = None
    frozen: bool = False
    hidden: bool = False
    focused: bool = False
    state: str = ""
    #: why the feed failed (state ``failed``)
    failed: str = ""


class VideoTileView(QWidget):
    """A painted tile (see the module docstring); signals carry its wall index."""

    doubleClicked = Signal(int)
    clicked = Signal(int)
    #: the tile's context menu was asked for, at this global position
    menuWanted = Signal(int, QPoint)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setObjectName(f"videoTile{index}")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 100)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.info = TileInfo()
        self.image: QImage | None = None
        #: the wall's sequence number of the picture shown (pass back as ``since``), and its size as received
        self.last_seq = -1
        self.frame_size: tuple[int, int] | None = None
        #: the `TileFrame` shown (a private copy: its luma carries the sender's stamp in tests)
        self.frame: Any = None
        self.selected = False
        self.paints = 0

    # ----- what the pane tells it -----------------------------------------------------------------

    def set_info(self, info: TileInfo) -> None:
        if info != self.info:
            self.info = info
            self.update()

    def take_frame(self, frame: Any) -> None:
        """A newer `TileFrame`: scale it to fit the tile (aspect kept) as RGB and repaint."""
        self.last_seq, self.frame = frame.seq, frame
        self.frame_size = (frame.width, frame.height)
        target = self._picture_rect(frame.width, frame.height)
        width, height = max(2, target.width() // 2 * 2), max(2, target.height() // 2 * 2)
        data = frame.to_rgb(width, height).tobytes()  # packed rows, whatever the array's strides
        self.image = QImage(data, width, height, width * 3, QImage.Format.Format_RGB888).copy()
        self.update()

    def clear(self) -> None:
        """No picture (hidden, or the tile's feed ended)."""
        if self.image is not None or self.last_seq != -1:
            self.image, self.last_seq, self.frame_size, self.frame = None, -1, None, None
            self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    # ----- painting ---------------------------------------------------------------------------------

    def _picture_rect(self, width: int, height: int) -> QRect:
        area = self.rect().adjusted(3, 3, -3, -3)
        size = QSize(width, height).scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(area.x() + (area.width() - size.width()) // 2, area.y() + (area.height() - size.height()) // 2,
                     size.width(), size.height())

    def status_text(self) -> str:
        """"HD · 25 fps · 0.1 s": the line at the bottom of the tile."""
        info = self.info
        if info.hidden:
            return self.tr("Hidden (not receiving)")
        if info.state == "failed":
            return self.tr("No video: %1").replace("%1", self._reason(info.failed))
        quality = self.tr("HD") if info.quality == "hd" else self.tr("Thumbnail")
        if info.state == "restoring":  # the platform switched to its standby: the feed is being set up again
            return "  ·  ".join([quality, self.tr("reconnecting after the platform switch…")])
        parts = [quality, self.tr("%1 fps").replace("%1", f"{info.fps:.0f}")]
        if info.age is not None:
            parts.append(self.tr("%1 s ago").replace("%1", f"{info.age:.1f}"))
        elif self.image is None:
            parts.append(self.tr("waiting for pictures"))
        return "  ·  ".join(parts)

    def _reason(self, failed: str) -> str:
        """The core's reason in the desk's language where it is one we know."""
        if failed.startswith("no media within"):
            return self.tr("no media within %1 s").replace("%1", failed.split()[3])
        if failed.startswith("not set up within"):
            return self.tr("not set up within %1 s").replace("%1", failed.split()[4])
        if failed == "media failed":
            return self.tr("media failed")
        return failed

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self.image is not None and not self.info.hidden:
            target = self._picture_rect(self.image.width(), self.image.height())
            painter.drawImage(target, self.image)
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF()))
        painter.setFont(font)
        top = QRect(0, 0, self.width(), BAR_HEIGHT)
        bottom = QRect(0, self.height() - BAR_HEIGHT, self.width(), BAR_HEIGHT)
        painter.fillRect(top, _BAR)
        painter.fillRect(bottom, _BAR)
        painter.setPen(_TEXT)
        align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.drawText(top.adjusted(8, 0, -8, 0), align, self.info.title)
        failed = self.info.state == "failed"
        painter.setPen(_FAILED_TEXT if failed else _MUTED if self.info.hidden else _TEXT)
        painter.drawText(bottom.adjusted(8, 0, -8, 0), align, self.status_text())
        if self.info.frozen:
            badge_text = self.tr("FROZEN")
            badge = QRect(0, 0, painter.fontMetrics().horizontalAdvance(badge_text) + 20, BAR_HEIGHT)
            badge.moveTopRight(QPoint(self.width() - 6, BAR_HEIGHT + 6))
            painter.fillRect(badge, _FROZEN_BADGE)
            painter.setPen(_TEXT)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)
        border = (_FAILED_BORDER if failed else _FROZEN_BORDER if self.info.frozen else _FOCUS if self.info.focused
                  else _SELECTED if self.selected else None)
        if border is not None:
            painter.setPen(QPen(border, 4 if self.info.frozen else 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect().adjusted(2, 2, -2, -2))
        painter.end()

    # ----- the dispatcher's hands -------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        elif event.button() == Qt.MouseButton.RightButton:
            self.clicked.emit(self.index)
            self.menuWanted.emit(self.index, event.globalPosition().toPoint())
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.doubleClicked.emit(self.index)
        super().mouseDoubleClickEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.update()
        super().changeEvent(event)
