"""A failed feed's tile keeps its place and says why, in red (SPEC §5.14.1: a session not set up in time)."""

from __future__ import annotations

from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from console.ui.widgets.video_tile import TileInfo, VideoTileView


def test_a_failed_tile_says_why_in_red(qtbot: QtBot) -> None:
    view = VideoTileView(0)
    qtbot.addWidget(view)
    view.resize(320, 200)
    view.set_info(TileInfo(title="Qingshiqiao platform camera", state="failed", failed="not set up within 10 s"))
    assert view.status_text() == "No video: not set up within 10 s"
    view.set_info(TileInfo(title="x", state="failed", failed="no media within 10 s"))
    assert view.status_text() == "No video: no media within 10 s"
    view.set_info(TileInfo(title="x", state="failed", failed="CAM-1's feed failed: not set up within 10 s"))
    assert view.status_text() == "No video: CAM-1's feed failed: not set up within 10 s", "other reasons as given"
    view.show()
    qtbot.waitExposed(view)
    image = view.grab().toImage()
    assert QColor(image.pixel(2, image.height() // 2)) == QColor("#d32f2f"), "a red border"
    view.set_info(TileInfo(title="x", state="live", fps=25.0))
    assert not view.status_text().startswith("No video")
