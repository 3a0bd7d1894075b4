"""Ask twice before a command that cannot be taken back (force release, cancelling an emergency): the first click
arms the button for one call or alert, a second click on the same one within a few seconds gives the command.

No modal question box: the dispatcher's hands stay on the desk and PTT keeps working meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

#: how long an armed button waits for its second click, ms
CONFIRM_MS = 5000


class TwoStep(QObject):
    """Which subject (call id, alert id) a button is armed for; ``changed`` when that changes."""

    changed = Signal()

    def __init__(self, timeout_ms: int = CONFIRM_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.armed: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.disarm)

    def confirm(self, subject: str) -> bool:
        """A click for ``subject``: True when it is the second one (the command may go), else it arms."""
        if self.armed == subject:
            self.disarm()
            return True
        self.armed = subject
        self._timer.start()
        self.changed.emit()
        return False

    def disarm(self) -> None:
        if self.armed is not None:
            self.armed = None
            self._timer.stop()
            self.changed.emit()

    def keep_only(self, subject: str | None) -> None:
        """Disarm unless armed for ``subject`` (the selection moved, or the subject is gone)."""
        if self.armed is not None and self.armed != subject:
            self.disarm()


__all__ = ["CONFIRM_MS", "TwoStep"]
