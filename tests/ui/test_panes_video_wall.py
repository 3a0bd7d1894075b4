"""The video wall pane end to end: simulated terminals send stamped clips over real WebRTC, through the real
platform, to the desk's media engine; the pane paints each tile's latest picture, focuses, hides and flags frozen
feeds. Small on purpose: a few feeds at 180p, one media worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox

from console.core.media_desk import MediaOptions
from console.ui.i18n import Languages
from console.ui.panes.terminal_look import local_name
from console.ui.panes.video_push import PushFeedDialog
from console.ui.panes.video_wall import VideoWallPane
from media import ice
from media.stamp import read_frame_stamp
from testbed.terminals.feeds import FeedSettings
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

LOOPBACK = ("127.0.0.1",)
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "video_wall.png"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clips encoded once for this module (4-second loops)."""
    return tmp_path_factory.mktemp("wall-clips")


@contextlib.asynccontextmanager
async def media_desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, languages: Languages, settings: QSettings,
                     clips: Path, *terminals: str) -> AsyncIterator[LiveDesk]:
    """`live_desk` with media on both ends: the desk's engine (one worker) and the terminals' cameras."""
    desk_media = MediaOptions(allowed_addresses=LOOPBACK, workers=1)
    feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=clips, clip_seconds=4.0)
    try:
        async with live_desk(tmp_path, languages, settings, *terminals, media=desk_media, feeds=feeds) as live:
            await asyncio.gather(*(live.fleet.terminal(t).feeds.prepare("thumb") for t in terminals))
            live.window.raise_pane("video_wall")
            dock = live.window.docks["video_wall"]
            dock.setFloating(True)  # a wall's size (the test window's top dock is a short strip)
            dock.resize(1280, 720)
            yield live
    finally:
        ice.lift_host_restriction()


def wall_of(live: LiveDesk) -> VideoWallPane:
    pane = live.pane("video_wall")
    assert isinstance(pane, VideoWallPane)
    return pane


def stamped_terminal(live: LiveDesk, pane: VideoWallPane, tile: int) -> str | None:
    """The terminal whose stamp the picture the tile last painted carries."""
    frame = pane.tiles[tile].frame
    stamp = read_frame_stamp(frame.luma()) if frame is not None else None
    by_number = {number: terminal for terminal, number in live.fleet.media_numbers.items()}
    return by_number.get(stamp[0]) if stamp is not None else None


def shows(live: LiveDesk, pane: VideoWallPane, expected: dict[int, str]) -> Callable[[], bool]:
    def check() -> bool:
        return all(pane.tiles[i].image is not None and not pane.tiles[i].image.isNull()
                   and stamped_terminal(live, pane, i) == terminal for i, terminal in expected.items())
    return check


def test_the_wall_paints_each_terminals_pictures_and_a_double_click_focuses_in_hd(
        run_async: RunAsync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, languages: Languages,
        settings: QSettings, clips: Path, qtbot: object) -> None:
    feeds = ["CAM-S01-1", "CAM-S02-1", "CAM-1901-1", "HS-001"]

    async def scenario() -> None:
        async with media_desk(monkeypatch, tmp_path, languages, settings, clips, *feeds) as live:
            pane = wall_of(live)
            assert not pane.empty.isHidden()  # nothing on the wall yet: it says how to add a feed
            for terminal in feeds[:3]:
                pane.add_feed(terminal)  # "Add feed…" once chosen
                await until(lambda t=terminal: any(v.source == t for v in live.desk.media.wall.tiles.values()))
            await live.desk.pull_video(feeds[3])  # as the handsets pane's "Video" does: it lands on the wall too
            expected = dict(enumerate(feeds))
            await until(shows(live, pane, expected), 30.0)
            assert pane.empty.isHidden()
            for index, terminal in expected.items():
                view = pane.tiles[index]
                assert view.isVisible() and view.frame_size == (320, 180)
                assert view.info.title == local_name(live.world.terminals[terminal])
                assert view.info.quality == "thumb" and not view.info.frozen
            await until(lambda: all(pane.tiles[i].info.fps > 5 for i in expected), 10.0)
            assert "fps" in pane.tiles[0].status_text()

            # double-click: tile 1 alone, in HD; the others keep their feeds off screen
            view = pane.tiles[1]
            assert view.image is not None
            grid_width, grid_image_width = view.width(), view.image.width()
            qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))  # type: ignore[attr-defined]
            await until(lambda: live.desk.media.wall.focused == 1 and view.frame_size == (1280, 720), 30.0)
            assert stamped_terminal(live, pane, 1) == feeds[1]
            assert view.info.quality == "hd" and view.info.focused
            assert [v.index for v in pane.tiles if v.isVisible()] == [1]
            assert view.width() > grid_width and view.image is not None
            assert view.image.width() > grid_image_width  # painted at the tile's new, larger size
            # double-click again: back to the grid, in thumbnails
            qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))  # type: ignore[attr-defined]
            await until(lambda: live.desk.media.wall.focused is None and view.frame_size == (320, 180), 30.0)
            assert sorted(v.index for v in pane.tiles if v.isVisible()) == [0, 1, 2, 3]
            await until(shows(live, pane, expected), 10.0)
            await pane.status.wait_idle()
            assert not pane.status.failed

    run_async(scenario)


def test_hiding_stops_a_tiles_pictures_and_a_silent_sender_is_flagged_frozen(
        run_async: RunAsync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, languages: Languages,
        settings: QSettings, clips: Path) -> None:
    feeds = ["CAM-S03-1", "CAM-S04-1"]

    async def scenario() -> None:
        async with media_desk(monkeypatch, tmp_path, languages, settings, clips, *feeds) as live:
            pane = wall_of(live)
            media = live.desk.media
            sessions = [await live.desk.pull_video(t) for t in feeds]
            await until(shows(live, pane, dict(enumerate(feeds))), 30.0)

            # hide tile 1: its stream stops, the tile keeps its place and paints no picture
            pane.choose(1)
            pane.hide_button.click()
            await until(lambda: media.wall.tiles[1].hidden and sessions[1] not in live.platform.state.video.sessions)
            await pane.status.wait_idle()
            await until(lambda: media.read_tile(1) is None, 5.0)
            assert pane.tiles[1].image is None and pane.tiles[1].isVisible()
            assert "Hidden" in pane.tiles[1].status_text() and pane.hide_button.text() == "Show"
            paints = pane.tiles[1].last_seq
            await asyncio.sleep(0.5)
            assert pane.tiles[1].last_seq == paints == -1 and media.read_tile(1) is None
            assert stamped_terminal(live, pane, 0) == feeds[0]  # the other feed runs on

            # the camera of tile 0 stops sending (its link stays up): FROZEN, amber border
            sender = live.fleet.terminal(feeds[0]).feeds.sender(sessions[0])
            assert sender is not None and sender.video is not None
            assert not pane.tiles[0].info.frozen
            sender.video.stop()
            await until(lambda: pane.tiles[0].info.frozen, 10.0)
            picture = pane.tiles[0].grab().toImage()
            assert picture.pixelColor(1, picture.height() // 2) == QColor("#ffb000")

            # close tile 0: its feed ends on the platform and the tile leaves the wall
            pane.close_tile(0)
            await until(lambda: 0 not in media.wall.tiles and not pane.tiles[0].isVisible(), 10.0)
            assert sessions[0] not in live.platform.state.video.sessions

    run_async(scenario)


def screen_shows(live: LiveDesk, handset: str, source: str) -> int:
    """Pictures the handset's screen got of ``source``'s feed (its newest one carries the source's stamp), else 0."""
    number = live.fleet.media_numbers[source]
    viewers = [v.viewer for v in live.fleet.terminal(handset).feeds.views.values() if v.source == source]
    return max((v.frames for v in viewers if v is not None and v.last is not None
                and (read_frame_stamp(v.last) or (0, 0))[0] == number), default=0)


def test_push_to_shows_a_tiles_feed_on_the_screens_of_chosen_terminals_and_of_a_group(
        run_async: RunAsync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, languages: Languages,
        settings: QSettings, clips: Path) -> None:
    camera, receivers = "CAM-S05-1", ["HS-001", "HS-002", "HS-003"]

    async def scenario() -> None:
        async with media_desk(monkeypatch, tmp_path, languages, settings, clips, camera, *receivers) as live:
            pane = wall_of(live)
            pane.add_feed(camera)
            await until(shows(live, pane, {0: camera}), 30.0)
            assert not pane.push_button.isEnabled()  # no tile chosen yet
            pane.choose(0)
            assert pane.push_button.isEnabled() and pane.push_button.text() == "Push to…"
            assert "Push to…" in [action.text() for action in pane.menu_for(0).actions()]

            # the button opens the picker: terminals with a screen, several of them checked
            pane.push_button.click()
            dialog = pane.findChild(PushFeedDialog)
            assert isinstance(dialog, PushFeedDialog) and dialog.isVisible()
            assert camera in dialog.heading.text() or local_name(live.world.terminals[camera]) in dialog.heading.text()
            ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
            assert not ok.isEnabled()  # nothing chosen
            ids = dialog.terminals.model.ids()
            assert {"HS-001", "HS-002"} <= set(ids) and camera not in ids
            dialog.terminals.choose(["HS-001", "HS-002"])
            assert ok.isEnabled()
            ok.click()
            await pane.status.wait_idle()
            assert not pane.status.failed and "2 screen(s)" in pane.status.text()

            # each handset's screen receives the camera's pictures (their stamps carry its number), and keeps on
            await until(lambda: all(screen_shows(live, h, camera) > 0 for h in receivers[:2]), 20.0)
            seen = {h: screen_shows(live, h, camera) for h in receivers[:2]}
            await until(lambda: all(screen_shows(live, h, camera) > seen[h] + 10 for h in receivers[:2]), 10.0)
            assert screen_shows(live, "HS-003", camera) == 0  # not chosen, shows nothing
            pushed = [s for s in live.platform.state.video.sessions.values() if s.sink in receivers]
            assert sorted(s.sink for s in pushed) == ["HS-001", "HS-002"]
            assert all(s.source == camera and s.state == "live" for s in pushed)

            # the event log holds the command, filed under the camera, with its outcome
            logged = [e for e in live.desk.log.search(kind="command", terminal=camera)
                      if e.summary["command"] == "push_video"]
            assert len(logged) == 1 and logged[0].summary["outcome"] == "ok"
            assert logged[0].summary["to"] == ["HS-001", "HS-002"] and logged[0].actor == "chief"

            # the tile's menu pushes to a group: TG-S02's connected member HS-003 gets it
            dialog = pane.open_push(0)
            assert dialog is not None
            dialog.tabs.setCurrentIndex(1)
            assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
            dialog.groups.choose(["TG-S02"])
            dialog.accept()
            await pane.status.wait_idle()
            assert not pane.status.failed and "1 screen(s)" in pane.status.text()
            await until(lambda: screen_shows(live, "HS-003", camera) > 0, 20.0)
            # the desk monitors TG-S02 too, but is not sent back the feed it pushes: the wall still holds one tile
            assert "TG-S02" in live.world.affiliations and list(live.desk.media.wall.tiles) == [0]
            videos = [s for s in live.platform.state.video.sessions.values() if s.media == "video"]
            assert [s.sink for s in videos].count("chief") == 1  # its pull
            assert live.desk.log.search(kind="command", group="TG-S02")[0].summary["command"] == "push_video"

            # a push nobody can receive is refused, said in red, and logged as an error
            pane.push(0, [], "TG-S09")
            await pane.status.wait_idle()
            assert pane.status.failed and "refused" in pane.status.text()
            assert live.desk.log.search(kind="command", group="TG-S09")[0].summary["outcome"] == "error"

    run_async(scenario)


@pytest.mark.skipif(not os.environ.get("TRUNKDESK_SCREENSHOTS"), reason="set TRUNKDESK_SCREENSHOTS=1 to save it")
def test_screenshot_of_a_wall_of_six_feeds(run_async: RunAsync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           languages: Languages, settings: QSettings, clips: Path) -> None:
    feeds = ["CAM-S01-1", "CAM-S02-1", "CAM-S03-1", "CAM-1901-1", "HS-001", "HS-002"]

    async def scenario() -> None:
        async with media_desk(monkeypatch, tmp_path, languages, settings, clips, *feeds) as live:
            pane = wall_of(live)
            for terminal in feeds:
                await live.desk.pull_video(terminal)
            await until(shows(live, pane, dict(enumerate(feeds))), 40.0)
            await asyncio.sleep(1.0)
            pane.choose(2)
            dock = live.window.docks["video_wall"]
            await asyncio.sleep(0.5)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            assert dock.grab().save(str(SCREENSHOT))

    run_async(scenario)
