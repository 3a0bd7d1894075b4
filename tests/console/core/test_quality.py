"""The quality monitor: link and media samples become bounded series; thresholds raise local alarms in the World
and the event log after ``raise_after_s``, clear them with hysteresis after ``clear_after_s``; snapshots keep
them; the dispatcher acknowledges and clears them through the desk; the ``[quality]`` settings are checked.

Time is a fake clock passed in; the media stats are the engine's `SessionStats` as it reports them (the real
engine's numbers under real loss are tested end to end in tests/ui/test_panes_quality.py)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from console.core.config import load_settings
from console.core.desk import Desk
from console.core.eventlog import EventLog
from console.core.quality import ALARM_PREFIX, QualityMonitor
from console.core.quality_settings import QualitySettings
from console.core.world import World
from media.commands import SessionStats, StreamStats
from protocols import messages as wire

SETTINGS = QualitySettings(rtt_ms=300, loss_percent=5, raise_after_s=3, clear_after_s=5, hysteresis=0.2,
                           history_s=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    events = EventLog(tmp_path / "events.sqlite")
    yield events  # type: ignore[misc]
    events.close()


def monitor(log: EventLog, clock: Clock, settings: QualitySettings = SETTINGS) -> QualityMonitor:
    world = World(clock=clock)
    return QualityMonitor(world, log, settings=lambda: settings, clock=clock)


def rtt_steps(quality: QualityMonitor, clock: Clock, rtt_s: float, seconds: int) -> None:
    for _ in range(seconds):
        quality.world.update_link("A", state="up", rtt=rtt_s)
        quality.sample_links()
        clock.now += 1.0


def test_a_slow_link_raises_a_warning_after_raise_after_and_clears_with_hysteresis(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock)
    alarm_id = f"{ALARM_PREFIX}rtt:A"
    rtt_steps(quality, clock, 0.050, 3)
    rtt_steps(quality, clock, 0.450, 3)  # over the threshold for 2 s: not yet
    assert alarm_id not in quality.world.alarms
    rtt_steps(quality, clock, 0.450, 1)
    alarm = quality.world.alarms[alarm_id]
    assert quality.world.is_local_alarm(alarm_id)
    assert (alarm.state, alarm.severity, alarm.origin, alarm.code) == ("raised", "minor", "A", "quality.rtt")
    assert "450 ms > 300 ms" in alarm.text
    raised = log.search(kind="alarm_raised", alarm=alarm_id)
    assert len(raised) == 1 and raised[0].summary["local"] is True and raised[0].summary["value"] == 450.0

    rtt_steps(quality, clock, 0.260, 10)  # under the threshold, but not by the 20 % margin: stays raised
    assert quality.world.alarms[alarm_id].state == "raised"
    rtt_steps(quality, clock, 0.100, 5)
    assert alarm_id in quality.world.alarms  # back for 4 s only
    rtt_steps(quality, clock, 0.100, 1)
    assert alarm_id not in quality.world.alarms
    assert len(log.search(kind="alarm_cleared", alarm=alarm_id)) == 1

    history = quality.links["A"]
    assert len(history.rtt_ms) == 23 and history.rtt_ms.values[-1] == pytest.approx(100.0)
    assert set(history.state.values) == {2.0}
    quality.world.update_link("A", state="down", rtt=None)
    quality.sample_links()
    assert history.state.values[-1] == 0.0 and math.isnan(history.rtt_ms.values[-1])


def test_series_stay_bounded_by_the_history(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock, QualitySettings(history_s=20, sample_s=1.0))
    rtt_steps(quality, clock, 0.01, 200)
    assert len(quality.links["A"].rtt_ms) <= 21 + 16  # about history_s / sample_s (16 at least)


def _stats(session: str, *, received: int, lost: int, bytes_: int, fps: float = 25.0, jitter: float = 3.0,
           state: str = "connected") -> SessionStats:
    video = StreamStats(kind="video", frames=0, fps=fps, last_frame_age=0.01, freezes=0, freeze_seconds=0.0,
                        decode_errors=0, packets_received=received, packets_lost=lost, jitter_ms=jitter)
    return SessionStats(session=session, worker=0, tile=0, state=state, bytes_received=bytes_, video=video,
                        audio=None)


def test_feed_rates_loss_and_its_warning_come_from_the_engine_counters(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock)
    world = quality.world
    world.apply(wire.VideoSession(session="V1", source="CAM-S01-1", sink="chief", state="live"))
    received = lost = sent = 0
    for second in range(12):
        received += 90 if second < 8 else 100
        lost += 10 if second < 8 else 0  # 10 % loss for 8 s, then none
        sent += 50_000
        quality.take_media_stats({"V1": _stats("V1", received=received, lost=lost, bytes_=sent)})
        clock.now += 1.0
        if second == 4:  # 4 samples of 10 % loss (the first only sets the counters): 3 s past the threshold
            assert f"{ALARM_PREFIX}loss:V1" in world.alarms
    feed = quality.feeds["V1"]
    assert (feed.source, feed.kind) == ("CAM-S01-1", "video")
    assert list(feed.loss_percent.values[:7]) == pytest.approx([10.0] * 7)
    assert list(feed.loss_percent.values[7:]) == pytest.approx([0.0] * 4)
    assert list(feed.bitrate_kbps.values) == pytest.approx([400.0] * 11)  # 50 kB a second
    assert feed.frame_rate.values[-1] == 25.0 and feed.jitter_ms.values[-1] == 3.0
    alarm = world.alarms[f"{ALARM_PREFIX}loss:V1"]
    assert alarm.origin == "CAM-S01-1" and "packet loss of video from CAM-S01-1: 10 % > 5 %" in alarm.text
    # the loss is gone, but the warning clears only after 5 s back under 4 %
    for _ in range(6):
        received += 100
        sent += 50_000
        quality.take_media_stats({"V1": _stats("V1", received=received, lost=lost, bytes_=sent)})
        clock.now += 1.0
    assert f"{ALARM_PREFIX}loss:V1" not in world.alarms
    assert [e.kind for e in log.search(alarm=f"{ALARM_PREFIX}loss:V1")] == ["alarm_cleared", "alarm_raised"]


def test_a_frozen_feed_warns_and_an_ended_feed_clears_its_warnings(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock, QualitySettings(min_frame_rate=5, raise_after_s=2))
    received = 0
    for _ in range(4):
        received += 10
        quality.take_media_stats({"V2": _stats("V2", received=received, lost=0, bytes_=received * 1000, fps=1.0)})
        clock.now += 1.0
    assert f"{ALARM_PREFIX}frame_rate:V2" in quality.world.alarms
    quality.take_media_stats({})  # the session is gone
    feed = quality.feeds["V2"]
    assert feed.ended == clock.now and math.isnan(feed.frame_rate.values[-1])
    assert f"{ALARM_PREFIX}frame_rate:V2" not in quality.world.alarms
    clock.now += 1000  # past history_s (900 s): the ended feed is forgotten
    quality.take_media_stats({})
    assert "V2" not in quality.feeds


def test_a_slow_floor_grant_warns_at_once_and_a_fast_one_clears_it(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock)
    quality.floor_access(0.120, "C1")
    assert not quality.world.alarms
    quality.floor_access(0.800, "C1")
    assert f"{ALARM_PREFIX}floor_access:desk" in quality.world.alarms
    quality.floor_access(0.280, "C1")  # under 300 ms but not under 240 ms
    assert f"{ALARM_PREFIX}floor_access:desk" in quality.world.alarms
    quality.floor_access(0.100, "C1")
    assert not quality.world.alarms
    assert list(quality.floor_access_ms.values) == pytest.approx([120.0, 800.0, 280.0, 100.0])


def test_a_zero_threshold_turns_the_warning_off(log: EventLog) -> None:
    clock = Clock()
    quality = monitor(log, clock, QualitySettings(rtt_ms=0))
    rtt_steps(quality, clock, 5.0, 10)
    assert not quality.world.alarms


def test_local_alarms_survive_snapshots_and_are_acknowledged_and_cleared_through_the_desk(tmp_path: Path) -> None:
    async def scenario() -> None:
        desk = Desk(tmp_path / "events.sqlite")
        clock = Clock()
        desk.quality.clock = clock
        try:
            rtt_steps(desk.quality, clock, 1.0, 4)
            alarm_id = f"{ALARM_PREFIX}rtt:A"
            # a snapshot lists the platform's alarms only: ours stay
            desk.world.apply(wire.Snapshot(part=1, parts=1, alarms=[wire.AlarmInfo(id="AL-1", source="sensor",
                                                                                    origin="S01")]))
            assert set(desk.world.alarms) == {alarm_id, "AL-1"}
            desk.me = "chief"
            assert await desk.ack_alarm(alarm_id) == "acknowledged"
            alarm = desk.world.alarms[alarm_id]
            assert (alarm.state, alarm.acknowledged_by) == ("acknowledged", "chief")
            assert await desk.clear_alarm(alarm_id) == "cleared"
            assert alarm_id not in desk.world.alarms
            commands = desk.log.search(kind="command", alarm=alarm_id)
            assert [e.summary["command"] for e in commands] == ["clear_alarm", "ack_alarm"]
            assert [e.kind for e in desk.log.search(alarm=alarm_id, limit=10) if e.kind != "command"] == [
                "alarm_cleared", "alarm_acknowledged", "alarm_raised"]
            # still too slow: raised again after raise_after_s
            rtt_steps(desk.quality, clock, 1.0, 4)
            assert desk.world.alarms[alarm_id].state == "raised"
        finally:
            await desk.close()

    asyncio.run(scenario())


def test_the_quality_section_of_the_settings_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[quality]\nrtt_ms = 150\nloss_percent = 2.5\nhistory_s = 300\nhysteresis = 0.1\n"
                    "sample_s = 0.5\n", encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.problems == ()
    q = loaded.settings.quality
    assert (q.rtt_ms, q.loss_percent, q.history_s, q.hysteresis, q.sample_s) == (150, 2.5, 300, 0.1, 0.5)
    assert q.jitter_ms == QualitySettings().jitter_ms
    path.write_text('[quality]\nrtt_ms = "fast"\nhysteresis = 1.5\nsample_s = 0\nloss = 3\n', encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.settings.quality == QualitySettings()
    assert set(loaded.problems) == {
        "config.toml: quality.rtt_ms must be a number (got 'fast')",
        "config.toml: quality.hysteresis: 1.5 must be below 1",
        "config.toml: quality.sample_s: 0 must be at least 0.1",
        "config.toml: quality.loss: unknown key (ignored)",
    }
