"""The desk's clock: local time, HH:MM:SS, large, ticking on the second boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget


class ClockLabel(QLabel):
    """HH:MM:SS of the local time; re-arms on each second boundary so it never drifts a whole second."""

    def __init__(self, parent: QWidget | None = None, *, now: Callable[[], datetime] = datetime.now) -> None:
        super().__init__(parent)
        self.setObjectName("clockLabel")
        self._now = now
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.tick)
        self.tick()

    def tick(self) -> None:
        moment = self._now()
        self.setText(moment.strftime("%H:%M:%S"))
        self._timer.start(max(20, 1000 - moment.microsecond // 1000 + 5))
