"""The quality pane: a camera whose radio link really loses packets (its simulated sender drops a share of its RTP
packets before they reach the wire, over real WebRTC through the real platform) shows the loss on its plot and
raises a quality warning in the alarms pane and the event log; once the loss stops, the warning clears. Link
round trips and states are plotted per platform instance."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from console.core.config import DeskSettings
from console.core.media_desk import MediaOptions
from console.core.quality import ALARM_PREFIX
from console.core.quality_settings import QualitySettings
from console.ui.i18n import Languages
from console.ui.panes.emergencies import EmergenciesPane
from console.ui.panes.quality import QualityPane
from media import ice
from testbed.terminals.feeds import FeedSettings
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CAMERA = "CAM-S03-1"
LOOPBACK = ("127.0.0.1",)
#: quicker to raise and clear than the defaults, so that the test is short
QUALITY = QualitySettings(loss_percent=5.0, raise_after_s=2.0, clear_after_s=3.0, hysteresis=0.2)


def quality_pane(live: LiveDesk) -> QualityPane:
    pane = live.pane("quality")
    assert isinstance(pane, QualityPane)
    return pane


def test_induced_loss_shows_on_the_feed_plot_and_raises_then_clears_the_warning(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=tmp_path / "clips", clip_seconds=4.0)
        try:
            desk_media = MediaOptions(allowed_addresses=LOOPBACK, workers=1, voice=False)
            async with live_desk(tmp_path, languages, settings, CAMERA, media=desk_media, feeds=feeds) as live:
                await _lossy_camera(live, qtbot)
        finally:
            ice.lift_host_restriction()

    run_async(scenario)


async def _lossy_camera(live: LiveDesk, qtbot: QtBot) -> None:
    desk, world = live.desk, live.world
    desk.settings = DeskSettings(quality=QUALITY)
    camera = live.fleet.terminal(CAMERA)
    camera.feeds.set_rtp_loss(0.25)
    live.window.docks["quality"].show()
    live.window.docks["quality"].raise_()
    pane = quality_pane(live)
    session = await desk.pull_video(CAMERA)
    alarm_id = f"{ALARM_PREFIX}loss:{session}"

    # the loss is measured by the desk's media engine (the receiver's RTP counters) and raised as a warning
    await until(lambda: alarm_id in world.alarms, timeout=40)
    feed = desk.quality.feeds[session]
    assert (feed.source, feed.kind) == (CAMERA, "video")
    losses = feed.loss_percent.values[np.isfinite(feed.loss_percent.values)]
    assert losses.size >= 3 and float(np.median(losses)) > 10.0, losses  # about a quarter of the packets
    sender = next(f.sender for f in camera.feeds.feeds.values() if f.session == session)
    assert sender is not None and sender.rtp_dropped > 20
    alarm = world.alarms[alarm_id]
    assert (alarm.origin, alarm.code, alarm.severity, alarm.state) == (CAMERA, "quality.loss", "minor", "raised")

    # its plot shows it: the feed's loss curve is the monitor's series
    pane.choose(session)
    pane.refresh(force=True)
    times, values = pane.curve_data(session, "loss")
    assert times is not None and len(times) >= 3
    assert np.nanmax(values) > QUALITY.loss_percent
    kept_times, kept_values = feed.loss_percent.since(float(times[0]))
    assert np.array_equal(times, kept_times[:len(times)])
    assert np.array_equal(values, kept_values[:len(values)], equal_nan=True)
    bitrate = pane.curve_data(session, "bitrate")[1]
    assert bitrate is not None and np.nanmax(bitrate) > 10.0  # pictures still flow (in part)
    assert pane.thresholds["loss"].value() == QUALITY.loss_percent
    row = pane.model.row_of(session)
    assert row is not None and pane.model.index(row, 6).data() == "warning"

    # the alarms pane shows the warning, the event log has it
    emergencies = live.pane("emergencies")
    assert isinstance(emergencies, EmergenciesPane)
    await until(lambda: emergencies.alarms.row_of(alarm_id) is not None, timeout=5)
    raised = desk.log.search(kind="alarm_raised", alarm=alarm_id)
    assert len(raised) == 1 and raised[0].summary["local"] is True and raised[0].terminal == CAMERA

    # the radio link recovers: the warning clears (after clear_after_s under the hysteresis level)
    camera.feeds.set_rtp_loss(0.0)
    await until(lambda: alarm_id not in world.alarms, timeout=30)
    await until(lambda: emergencies.alarms.row_of(alarm_id) is None, timeout=5)
    assert len(desk.log.search(kind="alarm_cleared", alarm=alarm_id)) == 1
    recent = feed.loss_percent.values[-3:]
    assert all(math.isnan(v) or v < QUALITY.loss_percent * (1 - QUALITY.hysteresis) for v in recent)

    # the platform link is plotted too: instance A up, its heartbeat round trip measured
    await until(lambda: "A" in desk.quality.links and len(desk.quality.links["A"].rtt_ms) >= 2, timeout=10)
    pane.refresh(force=True)
    link = desk.quality.links["A"]
    assert link.state.values[-1] == 2.0
    rtt_times, rtt_values = pane.link_curves["A"][0].getData()
    assert rtt_times is not None and np.nanmax(rtt_values) < 300


def _video(session: str, received: int, lost: int, nbytes: int) -> object:
    from media.commands import SessionStats, StreamStats

    stream = StreamStats(kind="video", frames=0, fps=25.0, last_frame_age=0.0, freezes=0, freeze_seconds=0.0,
                         decode_errors=0, packets_received=received, packets_lost=lost, jitter_ms=4.0)
    return SessionStats(session=session, worker=0, tile=0, state="connected", bytes_received=nbytes, video=stream,
                        audio=None)


def test_the_plots_show_warned_feeds_first_then_those_carrying_data_and_follow_the_choice(
        qtbot: QtBot, tmp_path: Path) -> None:
    from console.core.desk import Desk
    from protocols import messages as wire

    desk = Desk(tmp_path / "events.sqlite")
    clock = [1_700_000_000.0]
    desk.quality.clock = lambda: clock[0]
    desk.settings = DeskSettings(quality=QualitySettings(jitter_ms=0))  # no jitter warning: its line is hidden
    world = desk.world
    world.apply(wire.VideoSession(session="V1", source="CAM-S01-1", sink="chief", state="live"))
    world.apply(wire.VideoSession(session="V2", source="CAM-S02-1", sink="chief", state="live"))
    world.apply(wire.VideoSession(session="A1", source="HS-001", sink="chief", state="live", media="audio"))
    pane = QualityPane(world, desk)
    qtbot.addWidget(pane)
    pane.resize(1600, 500)
    pane.show()
    idle = _video("A1", 0, 0, 0)
    for second in range(1, 7):
        desk.world.update_link("A", state="up", rtt=0.02)
        desk.quality.sample_links()
        desk.quality.take_media_stats({"A1": idle, "V1": _video("V1", 50 * second, 0, 40_000 * second),
                                       "V2": _video("V2", 40 * second, 10 * second, 30_000 * second)})
        clock[0] += 1.0
    assert f"{ALARM_PREFIX}loss:V2" in world.alarms
    assert pane.plotted_feeds()[:2] == ["V2", "V1"]  # warned, then carrying data; the idle voice link last
    pane.refresh(force=True)
    times, values = pane.curve_data("V2", "loss")
    assert times is not None and list(values) == pytest.approx([20.0] * 5)
    assert pane.curve_data("V1", "bitrate")[1] == pytest.approx([320.0] * 5)
    assert pane.thresholds["loss"].value() == 5.0 and pane.thresholds["loss"].isVisible()
    assert not pane.thresholds["jitter"].isVisible()
    rtt_times, rtt_values = pane.link_curves["A"][0].getData()
    assert len(rtt_times) == 6 and rtt_values == pytest.approx([20.0] * 6)
    assert pane.model.index(pane.model.row_of("V2"), 6).data() == "warning"
    pane.choose("V1")
    assert pane.plotted_feeds() == ["V1"]
    # the new choice is drawn one plot a turn: seven ticks redraw every plot once
    for _ in range(7):
        pane.refresh()
    assert set(pane.feed_curves) == {"V1"}
    assert set(pane.feed_curves["V1"]) == {"bitrate", "frame_rate", "jitter", "loss"}
    pane.close()
    import asyncio

    asyncio.run(desk.close())


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.environ.get("TRUNKDESK_SCREENSHOTS"), reason="set TRUNKDESK_SCREENSHOTS=1 to save them")
def test_screenshots_of_the_train_graph_and_the_quality_plots(
        run_async: RunAsync, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    """docs/screenshots/train-graph.png and quality.png: the real testbed's trains (two of them running behind
    their timetable), four camera feeds (one of them losing a fifth of its packets) and a few PTT presses."""
    import asyncio

    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from console.core.train_graph import PlanClock
    from console.ui.app import FONT_FAMILIES
    from console.ui.resources import theme_stylesheet
    from testbed.terminals.service import ServiceClock

    cameras = ["CAM-S01-1", "CAM-S03-1", "CAM-S05-1", "CAM-S08-1"]

    async def scenario() -> None:
        feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=tmp_path / "clips", clip_seconds=4.0)
        desk_media = MediaOptions(allowed_addresses=LOOPBACK, voice=False)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        style, sheet, font = app.style().name(), app.styleSheet(), app.font()
        themed = QFont()
        themed.setFamilies(FONT_FAMILIES)
        themed.setPixelSize(15)
        app.setStyle("Fusion")  # the desk's look, as `create_application` gives it
        app.setStyleSheet(theme_stylesheet("dark"))
        app.setFont(themed)
        try:
            async with live_desk(tmp_path, languages, settings, "train", *cameras, media=desk_media,
                                 feeds=feeds) as live:
                desk, line, shared = live.desk, live.line, live.fleet.service
                desk.trains.plan_clock = PlanClock.of(shared)
                for number, behind in (("1905", 300.0), ("1912", 100.0)):
                    late = live.fleet.terminal(line.trains[number].radio)
                    late.service = ServiceClock(start=shared.start, speed=shared.speed,  # type: ignore[attr-defined]
                                                offset=shared.offset - behind)
                await asyncio.sleep(2.0)  # the reports sent before are in
                for number in ("1905", "1912"):
                    desk.trains.tracks.pop(line.trains[number].radio, None)  # the line starts where it runs late
                live.fleet.terminal(cameras[1]).feeds.set_rtp_loss(0.2)
                for camera in cameras:
                    await desk.pull_video(camera)
                for _ in range(3):
                    if live.world.selected is not None:
                        await desk.ptt_press()
                        await asyncio.sleep(1.0)
                        await desk.ptt_release()
                    await asyncio.sleep(20.0)
                await asyncio.sleep(40.0)
                graph_dock, quality_dock = live.window.docks["train_graph"], live.window.docks["quality"]
                for dock, size in ((graph_dock, (1700, 760)), (quality_dock, (1900, 620))):
                    dock.setFloating(True)
                    dock.show()
                    dock.resize(*size)
                graph = live.pane("train_graph")
                graph.span_box.setCurrentIndex(0)  # ±15 min: the lines since the desk started show
                await asyncio.sleep(2.0)
                graph.refresh(force=True)
                quality_pane(live).refresh(force=True)
                await asyncio.sleep(0.5)
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                assert graph.grab().save(str(SCREENSHOTS / "train-graph.png"))
                assert quality_pane(live).grab().save(str(SCREENSHOTS / "quality.png"))
        finally:
            ice.lift_host_restriction()
            app.setStyleSheet(sheet)
            app.setStyle(style)
            app.setFont(font)

    run_async(scenario)
