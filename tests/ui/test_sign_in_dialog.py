"""Sign in: the first run asks for the platform or offers the demo; later only the password."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.ui.config import DeskConfig
from console.ui.sign_in_dialog import SignInDialog


def test_first_run_offers_the_demo(qtbot: QtBot) -> None:
    dialog = SignInDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.first_run and dialog.heading.text() == "Welcome to trunkdesk"
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == "demo" and dialog.result() == SignInDialog.DialogCode.Accepted


def test_connect_needs_an_address_and_a_user(qtbot: QtBot) -> None:
    dialog = SignInDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None and dialog.error.isVisible()
    assert "at least one platform instance" in dialog.error.text()
    qtbot.keyClicks(dialog.urls_edit, "http://wrong")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None and "ws://" in dialog.error.text()
    dialog.urls_edit.setText("10.1.0.10:7700 10.1.0.11:7700")
    qtbot.keyClicks(dialog.user_edit, "train1")
    qtbot.keyClicks(dialog.password_edit, "secret")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == "connect"
    assert dialog.config() == DeskConfig(urls=["ws://10.1.0.10:7700", "ws://10.1.0.11:7700"], user="train1")
    assert dialog.password() == "secret"


def test_a_known_platform_only_asks_the_password(qtbot: QtBot) -> None:
    dialog = SignInDialog(DeskConfig(urls=["ws://a:1"], user="chief"))
    qtbot.addWidget(dialog)
    assert not dialog.first_run and dialog.heading.text() == "Sign in to the platform"
    assert dialog.urls_edit.text() == "ws://a:1" and dialog.user_edit.text() == "chief"
