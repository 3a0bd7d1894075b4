"""Help → Copy diagnostics puts the desk's diagnostics on the clipboard."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from console.core.config import DeskSettings, PlatformSettings
from console.ui.session import DeskSession


def test_copy_diagnostics_is_in_the_help_menu_and_fills_the_clipboard(session: DeskSession, qtbot: QtBot) -> None:
    window = session.window
    qtbot.addWidget(window)
    assert window.diagnostics_action in window.help_menu.actions()
    assert window.diagnostics_action.text() == "Copy diagnostics"
    window.context.desk.settings = DeskSettings(platform=PlatformSettings(urls=("wss://10.1.0.10:7700",)))
    QGuiApplication.clipboard().clear()
    window.diagnostics_action.trigger()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("trunkdesk diagnostics, ")
    assert "== versions ==" in text and "msgspec " in text and "PySide6-Essentials 6.11.3" in text
    assert "platform.urls = ['wss://10.1.0.10:7700']" in text and "not connected" in text
    assert window.statusBar().currentMessage() == "Diagnostics copied to the clipboard"
