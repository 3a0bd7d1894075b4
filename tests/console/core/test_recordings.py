"""Recording on the desk's side: talk bursts become indexed Ogg files and ``talk_burst`` events, floor holders are kept
from when to when, replay joins a group's last seconds, the index survives a restart (and a crash mid-burst),
retention prunes old files, and an unreadable file is a clear error."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import numpy as np
import pytest

from console.core.desk import CommandFailed, Desk
from console.core.eventlog import EventLog
from console.core.recording_store import INDEX_NAME, FloorHold, RecordingStore, Segment
from console.core.recordings import LINGER, REPLAY_GAP, DeskRecorder, RecordingOptions
from console.core.world import World
from media.audio import AUDIO_RATE, Pcm, tone_level
from media.recording import RecordingError
from protocols import messages as wire


def tone(frequency: float, seconds: float) -> Pcm:
    n = np.arange(int(seconds * AUDIO_RATE))
    return (0.3 * 32767 * np.sin(2 * math.pi * frequency * n / AUDIO_RATE)).astype(np.int16)


class Line:
    """A world with two group calls, and which terminal the desk hears in which call (what `DeskVoice.heard` says)."""

    def __init__(self) -> None:
        self.world = World()
        for terminal in ("HS-1", "HS-2"):
            self.world.terminals[terminal] = wire.TerminalInfo(id=terminal, kind="handset")
        self.world.calls["C-1"] = wire.CallInfo(id="C-1", kind="group", group="G-A", parties=["HS-1", "HS-2"])
        self.world.calls["C-2"] = wire.CallInfo(id="C-2", kind="group", group="G-B", parties=["HS-2"])
        self.talking: dict[str, str] = {}

    def heard(self) -> dict[str, wire.CallInfo]:
        return {terminal: self.world.calls[call] for terminal, call in self.talking.items()}

    def take_floor(self, call: str, terminal: str | None) -> None:
        self.world.calls[call] = msgspec.structs.replace(self.world.calls[call], holder=terminal,
                                                         holder_priority="normal" if terminal else None)
        self.talking = {t: c for t, c in self.talking.items() if c != call}
        if terminal is not None:
            self.talking[terminal] = call


def burst(recorder: DeskRecorder, line: Line, call: str, terminal: str, pcm: Pcm, chunk: int = 1920) -> None:
    """A talk burst as the desk sees it: the floor taken, audio in 40 ms chunks, the floor idle, the linger."""
    line.take_floor(call, terminal)
    recorder.handle(wire.FloorTaken(call=call, holder=terminal, priority="normal"))
    for start in range(0, len(pcm), chunk):
        recorder.take_audio(terminal, pcm[start:start + chunk])
    line.take_floor(call, None)
    recorder.handle(wire.FloorIdle(call=call))
    recorder.tick(time.monotonic())
    closed = recorder.tick(time.monotonic() + LINGER + 0.1)
    assert [s.talker for s in closed] == [terminal]


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    events = EventLog(tmp_path / "events.sqlite")
    yield events
    events.close()


async def test_a_talk_burst_is_one_indexed_file_with_its_talker_and_an_event_that_links_to_it(
        tmp_path: Path, log: EventLog) -> None:
    line = Line()
    recorder = DeskRecorder(RecordingOptions(tmp_path / "rec"), log=log, world=line.world, heard=line.heard)
    burst(recorder, line, "C-1", "HS-1", tone(600.0, 2.0))
    recorder.store.flush()
    [segment] = recorder.store.segments(group="G-A")
    assert (segment.talker, segment.call, segment.call_kind, segment.state) == ("HS-1", "C-1", "group", "done")
    assert segment.samples == 2 * AUDIO_RATE and segment.seconds == 2.0
    assert segment.ended_ms is not None and segment.ended_ms - segment.started_ms == 2000
    assert (recorder.store.folder / segment.file).is_file() and segment.file.endswith(".ogg")
    pcm = recorder.store.read(segment.id)
    assert tone_level(pcm, 600.0) > 0.95 and abs(len(pcm) - 2 * AUDIO_RATE) <= 960
    [event] = log.search(kind="talk_burst")
    assert event.summary["recording"] == segment.id and event.summary["talker"] == "HS-1"
    assert event.group == "G-A" and event.call == "C-1" and event.terminal == "HS-1"
    assert event.summary["seconds"] == 2.0 and event.at_ms == segment.started_ms
    holds = recorder.store.holds(call="C-1")
    assert [(h.holder, h.to_ms is not None) for h in holds] == [("HS-1", True)]
    await recorder.close()


async def test_audio_of_a_talker_the_desk_does_not_hear_is_not_recorded_and_a_late_chunk_joins_its_burst(
        tmp_path: Path, log: EventLog) -> None:
    line = Line()
    recorder = DeskRecorder(RecordingOptions(tmp_path / "rec"), log=log, world=line.world, heard=line.heard)
    recorder.take_audio("HS-2", tone(500.0, 0.2))
    assert recorder.unattributed == int(0.2 * AUDIO_RATE) and not recorder.recording
    line.take_floor("C-1", "HS-1")
    recorder.take_audio("HS-1", tone(500.0, 1.0))
    line.take_floor("C-1", None)
    now = time.monotonic()
    assert recorder.tick(now) == []
    recorder.take_audio("HS-1", tone(500.0, 0.1))  # still in flight when the floor went idle
    assert recorder.tick(now + LINGER / 2) == []
    [closed] = recorder.tick(time.monotonic() + LINGER + 0.01)
    recorder.store.flush()
    assert recorder.store.segment(closed.id) == Segment(closed.id, "C-1", "G-A", "group", "HS-1", closed.started_ms,
                                                        closed.started_ms + 1100, int(1.1 * AUDIO_RATE), closed.file,
                                                        "done")
    await recorder.close()


async def test_floor_holders_are_kept_from_when_to_when_the_desk_itself_included(tmp_path: Path,
                                                                                 log: EventLog) -> None:
    line = Line()
    clock = [1_000.0]
    recorder = DeskRecorder(RecordingOptions(tmp_path / "rec"), log=log, world=line.world, heard=line.heard,
                            clock=lambda: clock[0])
    for at, holder in ((1_000.0, "HS-1"), (1_003.0, "chief"), (1_005.5, None), (1_007.0, "HS-2")):
        clock[0] = at
        line.take_floor("C-1", holder)
        recorder.handle(wire.FloorIdle(call="C-1") if holder is None
                        else wire.FloorTaken(call="C-1", holder=holder, priority="normal"))
    clock[0] = 1_009.0
    del line.world.calls["C-1"]
    recorder.handle(wire.CallEnded(call="C-1", reason="released"))
    recorder.store.flush()
    holds = recorder.store.holds(group="G-A")
    assert holds == [FloorHold("C-1", "G-A", "HS-1", "normal", 1_000_000, 1_003_000),
                     FloorHold("C-1", "G-A", "chief", "normal", 1_003_000, 1_005_500),
                     FloorHold("C-1", "G-A", "HS-2", "normal", 1_007_000, 1_009_000)]
    await recorder.close()


async def test_replay_joins_the_groups_last_bursts_the_one_in_progress_included(tmp_path: Path,
                                                                                log: EventLog) -> None:
    line = Line()
    recorder = DeskRecorder(RecordingOptions(tmp_path / "rec"), log=log, world=line.world, heard=line.heard)
    burst(recorder, line, "C-1", "HS-1", tone(500.0, 2.0))
    burst(recorder, line, "C-2", "HS-2", tone(1000.0, 2.0))  # another group: not in G-A's replay
    await asyncio.sleep(0.002)
    burst(recorder, line, "C-1", "HS-2", tone(700.0, 2.0))
    line.take_floor("C-1", "HS-1")  # a burst in progress
    for start in range(0, AUDIO_RATE, 1920):
        recorder.take_audio("HS-1", tone(900.0, 1.0)[start:start + 1920])

    replay = await recorder.replay("G-A", 15)
    assert [s.talker for s in replay.segments] == ["HS-1", "HS-2", "HS-1"]
    gap = int(REPLAY_GAP * AUDIO_RATE)
    assert abs(len(replay.pcm) - (5 * AUDIO_RATE + 2 * gap)) <= 2 * 960
    first, second, live = replay.pcm[: 2 * AUDIO_RATE - 960], replay.pcm[2 * AUDIO_RATE + gap + 960:
                                                                         4 * AUDIO_RATE + gap], replay.pcm[-AUDIO_RATE:]
    assert tone_level(first, 500.0) > 0.9 and tone_level(second, 700.0) > 0.9 and tone_level(live, 900.0) > 0.9
    assert tone_level(replay.pcm, 1000.0) < 0.001, "nothing of the other group"

    short = await recorder.replay("G-A", 1.5)
    assert len(short.pcm) == int(1.5 * AUDIO_RATE) and tone_level(short.pcm[-AUDIO_RATE:], 900.0) > 0.9
    assert (await recorder.replay("G-NONE", 30)).seconds == 0
    with pytest.raises(ValueError):
        await recorder.replay("G-A", 0)
    await recorder.close()


async def test_the_index_and_files_survive_a_restart_and_a_burst_cut_by_a_crash_is_kept_as_interrupted(
        tmp_path: Path, log: EventLog) -> None:
    line = Line()
    options = RecordingOptions(tmp_path / "rec")
    recorder = DeskRecorder(options, log=log, world=line.world, heard=line.heard)
    burst(recorder, line, "C-1", "HS-1", tone(600.0, 1.0))
    await recorder.close()

    # a second desk on the same folder finds it, replays it, and records on
    again = DeskRecorder(options, log=log, world=line.world, heard=line.heard)
    [old] = again.store.segments()
    assert old.talker == "HS-1" and old.state == "done"
    replay = await again.replay("G-A", 30)
    assert tone_level(replay.pcm, 600.0) > 0.95 and abs(replay.seconds - 1.0) < 0.03
    line.take_floor("C-1", "HS-2")
    for start in range(0, 3 * AUDIO_RATE, 1920):
        again.take_audio("HS-2", tone(800.0, 3.0)[start:start + 1920])
    again.store.flush()
    # the desk dies here: the open file was never finished, its row still says "recording"
    again.store._closed = True  # simulate the crash: nothing more reaches the writer, which idles
    assert again._task is not None
    again._task.cancel()

    third = RecordingStore(options.folder)
    third.flush()
    states = {s.talker: s.state for s in third.segments()}
    assert states == {"HS-1": "done", "HS-2": "interrupted"}
    cut = third.segments(talker="HS-2")[0]
    assert AUDIO_RATE <= cut.samples <= 3 * AUDIO_RATE, "what reached the disk before the crash (a page a second)"
    assert tone_level(third.read(cut), 800.0) > 0.9
    third.close()


def test_retention_prunes_old_recordings_files_and_strays_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    now = time.time()
    old_clock = [now - 10 * 86400]
    store = RecordingStore(folder, keep_days=30, clock=lambda: old_clock[0])
    for name, at in (("old", now - 10 * 86400), ("new", now - 3600)):
        segment = store.open_segment(Segment(name, "C-1", "G-A", "group", "HS-1", int(at * 1000)))
        store.append(name, tone(440.0, 0.5))
        store.close_segment(name, int(at * 1000) + 500)
    store.hold_started(FloorHold("C-1", "G-A", "HS-1", "normal", int((now - 10 * 86400) * 1000),
                                 int((now - 10 * 86400) * 1000) + 500))
    store.close()
    stray = folder / "2000-01-01" / "stray.ogg"
    stray.parent.mkdir()
    stray.write_bytes(b"OggS")
    os.utime(stray, (now - 40 * 86400, now - 40 * 86400))
    old_file = folder / RecordingStore(folder, keep_days=30).segment("old").file  # type: ignore[union-attr]
    assert old_file.is_file() and segment.file

    pruned = RecordingStore(folder, keep_days=7)
    pruned.flush()
    assert [s.id for s in pruned.segments()] == ["new"]
    assert not old_file.exists() and not stray.exists() and not stray.parent.exists()
    assert pruned.holds() == []
    assert (folder / pruned.segment("new").file).is_file()  # type: ignore[union-attr]
    assert pruned.prune() == 0, "nothing more to prune"
    with pytest.raises(RecordingError, match="pruned"):
        pruned.read("old")
    pruned.close()
    assert (folder / INDEX_NAME).is_file()


def test_a_damaged_file_is_a_clear_error_and_the_store_goes_on(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "rec")
    segment = store.open_segment(Segment("s1", "C-1", "G-A", "group", "HS-1", int(time.time() * 1000)))
    store.append("s1", tone(440.0, 2.0))
    store.close_segment("s1", segment.started_ms + 2000)
    store.flush()
    path = store.folder / segment.file
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(RecordingError, match="damaged or truncated"):
        store.read("s1")
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(RecordingError, match="cannot be read"):
        store.read("s1")
    path.unlink()
    with pytest.raises(RecordingError, match="missing"):
        store.read("s1")
    with pytest.raises(ValueError):
        RecordingStore(tmp_path / "other", keep_days=0)
    store.close()


async def test_a_desk_whose_recording_folder_cannot_be_used_runs_on_without_recording_and_says_so(
        tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the recordings folder should be")
    desk = Desk(tmp_path / "events.sqlite", recording=RecordingOptions(blocked))
    assert desk.recorder is None
    [event] = desk.log.search(kind="recording_unavailable")
    assert event.summary["folder"] == str(blocked) and event.summary["reason"]
    with pytest.raises(CommandFailed) as refused:
        await desk.replay("G-A", 15)
    assert refused.value.code == 404 and "does not record" in refused.value.reason
    await desk.close()
