"""Push-to-talk keys: Space and the foot pedal talk while held, never stick, and leave typing alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.ui.ptt_keys import PttKeys
from console.ui.shortcuts import set_key


class Desk(QWidget):
    """A window with a button and a text field, like a pane."""

    def __init__(self) -> None:
        super().__init__()
        self.button = QPushButton("call", self)
        self.field = QLineEdit(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.button)
        layout.addWidget(self.field)


@pytest.fixture
def desk(qtbot: QtBot) -> Iterator[Desk]:
    window = Desk()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    yield window


def _keys(settings: QSettings) -> tuple[PttKeys, list[str]]:
    keys = PttKeys(settings)
    keys.install()
    seen: list[str] = []
    keys.pressed.connect(lambda source: seen.append(f"down:{source}"))
    keys.released.connect(lambda source: seen.append(f"up:{source}"))
    return keys, seen


def _remove(keys: PttKeys) -> None:
    app = QApplication.instance()
    assert app is not None
    app.removeEventFilter(keys)


def test_space_talks_while_held_and_autorepeat_is_ignored(desk: Desk, qtbot: QtBot, settings: QSettings) -> None:
    keys, seen = _keys(settings)
    clicked: list[bool] = []
    desk.button.clicked.connect(lambda: clicked.append(True))
    desk.button.setFocus()
    qtbot.keyPress(desk.button, Qt.Key.Key_Space)
    assert keys.held
    repeat = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", True)
    QApplication.sendEvent(desk.button, repeat)
    qtbot.keyRelease(desk.button, Qt.Key.Key_Space)
    assert seen == ["down:ptt", "up:ptt"]
    assert not keys.held
    assert not clicked  # Space talked; it did not press the focused button
    _remove(keys)


def test_space_in_a_text_field_types_a_space(desk: Desk, qtbot: QtBot, settings: QSettings) -> None:
    keys, seen = _keys(settings)
    desk.field.setFocus()
    qtbot.keyClicks(desk.field, "G1 call")
    assert desk.field.text() == "G1 call"
    assert seen == []
    _remove(keys)


def test_the_pedal_talks_even_while_typing(desk: Desk, qtbot: QtBot, settings: QSettings) -> None:
    keys, seen = _keys(settings)
    desk.field.setFocus()
    qtbot.keyPress(desk.field, Qt.Key.Key_F12)
    qtbot.keyRelease(desk.field, Qt.Key.Key_F12)
    assert seen == ["down:ptt_pedal", "up:ptt_pedal"]
    _remove(keys)


def test_the_pedal_key_is_configurable(desk: Desk, qtbot: QtBot, settings: QSettings) -> None:
    set_key("ptt_pedal", "ScrollLock", settings)
    keys, seen = _keys(settings)
    desk.button.setFocus()
    qtbot.keyClick(desk.button, Qt.Key.Key_F12)
    assert seen == []
    qtbot.keyPress(desk.button, Qt.Key.Key_ScrollLock)
    qtbot.keyRelease(desk.button, Qt.Key.Key_ScrollLock)
    assert seen == ["down:ptt_pedal", "up:ptt_pedal"]
    _remove(keys)


def test_losing_focus_while_talking_releases_ptt(desk: Desk, qtbot: QtBot, settings: QSettings) -> None:
    keys, seen = _keys(settings)
    desk.button.setFocus()
    qtbot.keyPress(desk.button, Qt.Key.Key_Space)
    keys._on_application_state(Qt.ApplicationState.ApplicationInactive)  # the dispatcher clicked elsewhere
    assert seen == ["down:ptt", "up:ptt"]
    qtbot.keyRelease(desk.button, Qt.Key.Key_Space)  # the late release changes nothing
    assert seen == ["down:ptt", "up:ptt"]
    _remove(keys)
