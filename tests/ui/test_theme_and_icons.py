"""The dark theme and the icons load, and buttons keep hit targets of 40 px."""

from __future__ import annotations

import re

import pytest
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.ui.resources import icon, icon_path, resource_path, resources_dir, theme_stylesheet

ICONS = ["station", "train", "handset", "recorder", "camera", "console", "gateway", "ptt", "emergency", "alarm",
         "group", "call", "video", "link-up", "link-down", "trunkdesk", "dock-close", "dock-float",
         "message", "log"]


@pytest.mark.parametrize("name", ICONS)
def test_every_icon_is_a_valid_svg(name: str, qapp: object) -> None:
    assert QSvgRenderer(str(icon_path(name))).isValid()
    assert not icon(name).isNull()


def test_the_theme_refers_only_to_icons_that_exist() -> None:
    sheet = theme_stylesheet("dark")
    assert "@icons@" not in sheet
    for url in re.findall(r"url\(([^)]+)\)", sheet):
        assert (resources_dir() / "icons").as_posix() in url
        assert resource_path("icons", url.rsplit("/", 1)[1]).is_file(), url


def test_themed_buttons_are_at_least_40_px(qtbot: QtBot) -> None:
    box = QWidget()
    box.setStyleSheet(theme_stylesheet("dark"))
    button = QPushButton("确认", box)
    QVBoxLayout(box).addWidget(button)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    assert button.height() >= 40 and button.width() >= 40
