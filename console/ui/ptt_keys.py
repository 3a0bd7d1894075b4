"""Push-to-talk from the keyboard and the foot pedal: talk while the key is held, stop when it is let go.

An application-wide event filter, because PTT must work whichever pane has the focus. Space is left to text
fields (a dispatcher typing a message types spaces); the pedal key always talks. Key auto-repeat is ignored,
and losing the application's focus while talking releases the floor so that PTT never sticks on.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

from console.ui.shortcuts import key_of

logger = logging.getLogger(__name__)

_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)


def _typing() -> bool:
    """The focus is in a widget where Space types text."""
    focus = QApplication.focusWidget()
    if isinstance(focus, QComboBox):
        return focus.isEditable()
    if isinstance(focus, QTextEdit | QPlainTextEdit):
        return not focus.isReadOnly()
    return isinstance(focus, _TEXT_INPUTS)


class PttKeys(QObject):
    """Emits ``pressed(source)`` when a PTT key goes down and ``released(source)`` when it comes up.

    ``source`` is ``"ptt"`` (the keyboard key) or ``"ptt_pedal"``.
    """

    pressed = Signal(str)
    released = Signal(str)

    def __init__(self, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._keys: dict[str, QKeySequence] = {}
        self._held: set[str] = set()
        self.enabled = True
        self.reload()

    @property
    def held(self) -> bool:
        return bool(self._held)

    def reload(self) -> None:
        self._keys = {name: key_of(name, self._settings) for name in ("ptt", "ptt_pedal")}

    def install(self) -> None:
        app = QGuiApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication first")
        app.installEventFilter(self)
        app.applicationStateChanged.connect(self._on_application_state)  # type: ignore[attr-defined]

    def release_all(self) -> None:
        """Let go of every held PTT key (focus lost, window closing)."""
        for source in sorted(self._held):
            self._held.discard(source)
            logger.info("ptt %s released: focus lost", source)
            self.released.emit(source)

    def _source_of(self, event: QKeyEvent) -> str | None:
        combination = QKeySequence(event.keyCombination())
        for name, key in self._keys.items():
            if not key.isEmpty() and key.matches(combination) == QKeySequence.SequenceMatch.ExactMatch:
                return name
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not self.enabled or kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        source = self._source_of(event)
        if source is None or (source == "ptt" and _typing()):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # our key: no QAction or button may take it
            return True
        if event.isAutoRepeat():
            return True
        # The application filter sees each key event once per widget on its way up; act on the first only.
        if kind == QEvent.Type.KeyPress and source not in self._held:
            self._held.add(source)
            self.pressed.emit(source)
        elif kind == QEvent.Type.KeyRelease and source in self._held:
            self._held.discard(source)
            self.released.emit(source)
        return True

    def _on_application_state(self, state: Qt.ApplicationState) -> None:
        if state != Qt.ApplicationState.ApplicationActive:
            self.release_all()
