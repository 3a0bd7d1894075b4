"""Instant replay and playback in the panes, over a real core desk (its recorder, store and mixer, no sound device):
the groups pane replays the last seconds of any monitored group under the live audio and says what plays, in both
languages; the event log pane plays a talk burst's recording and says clearly when one cannot be read."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from console.core.desk import Desk
from console.core.media_desk import MediaOptions
from console.core.recording_store import RecordingStore, Segment
from console.core.recordings import REPLAY_CHOICES, RecordingOptions
from console.ui.actions import DeskActions
from console.ui.bridge import DeskBridge
from console.ui.desk_commands import DeskCommands
from console.ui.i18n import Languages
from console.ui.panes import PaneContext
from console.ui.panes.event_log import EventLogPane
from console.ui.panes.groups import GroupsPane
from media.audio import AUDIO_RATE, Pcm, tone_level
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until

TONE = 700.0


def tone(seconds: float) -> Pcm:
    n = np.arange(int(seconds * AUDIO_RATE))
    return (0.3 * 32767 * np.sin(2 * math.pi * TONE * n / AUDIO_RATE)).astype(np.int16)


def record_burst(folder: Path) -> Segment:
    """A 2-second talk burst of HS-003 in TG-S02, recorded by an earlier run of the desk."""
    store = RecordingStore(folder)
    started = int(time.time() * 1000) - 60_000
    segment = store.open_segment(Segment("burst-1", "C-7", "TG-S02", "group", "HS-003", started))
    store.append(segment.id, tone(2.0))
    store.close_segment(segment.id, started + 2000)
    store.close()
    return segment


def make_desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path / "events.sqlite", media=MediaOptions(allowed_addresses=("127.0.0.1",)),
                recording=RecordingOptions(tmp_path / "recordings"))
    world = desk.world
    world.me = "chief"
    for group_id, name, name_zh in (("TG-S01", "Qingshiqiao station", "青石桥站"),
                                    ("TG-S02", "Liuhu station", "柳湖站")):
        world.apply(wire.GroupUpdate(group=wire.GroupInfo(id=group_id, name=name, name_zh=name_zh)))
    world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id="HS-003", kind="handset",
                                                               name="Station staff HS-003", name_zh="站务员 HS-003")))
    world.set_affiliations(["TG-S01", "TG-S02"], "TG-S01")
    return desk


def context(desk: Desk) -> tuple[PaneContext, DeskBridge]:
    bridge = DeskBridge(desk.world, interval_ms=10)
    actions = DeskActions()
    return PaneContext(bridge=bridge, world=desk.world, desk=desk, actions=actions,
                       commands=DeskCommands(desk, actions)), bridge


def heard(desk: Desk) -> float:
    assert desk.media is not None
    return tone_level(desk.media.voice.mixer.output.last(0.3), TONE)


def test_the_groups_pane_replays_any_monitored_group_under_the_live_audio_and_says_what_plays(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path, languages: Languages) -> None:
    record_burst(tmp_path / "recordings")

    async def scenario() -> None:
        desk = make_desk(tmp_path)
        ctx, bridge = context(desk)
        pane = GroupsPane(ctx)
        qtbot.addWidget(pane)
        pane.show()
        try:
            control = pane.replay
            assert control.button.text() == "Replay" and not control.line.isVisible()
            # the button's menu: the talk group (TG-S01), where nothing was said yet
            menu = control.fill_menu(control.button.menu(), desk.world.selected)
            choices = [a for a in menu.actions() if a.objectName().startswith("replay")]
            assert [a.text() for a in choices] == [f"Last {s} seconds" for s in REPLAY_CHOICES]
            choices[0].trigger()
            await pane.runner.wait_idle()
            assert control.status.text() == "Nothing recorded in Qingshiqiao station yet"
            assert not control.stop_button.isVisible()

            # a right click on another monitored group: its own menu, 30 s of it
            row_menu = control.menu_for("TG-S02", pane.table)
            assert row_menu.actions()[0].text() == "Replay Liuhu station"
            next(a for a in row_menu.actions() if a.objectName() == "replay30").trigger()
            await pane.runner.wait_idle()
            assert control.status.text().startswith("Replaying Liuhu station: 2.0 s (from ")
            assert control.line.isVisible() and control.stop_button.isVisible()
            assert 0 < desk.playback_left <= 2.0
            await until(lambda: heard(desk) > 0.8, 5.0)  # in the desk's mix, with no sound device
            assert desk.world.selected == "TG-S01" and desk.ptt_state == "has_no_permission", "the live side as it was"
            [command] = [e for e in desk.log.search(kind="command") if e.summary.get("command") == "replay"
                         and e.group == "TG-S02"]
            assert command.data["result"]["recordings"] == ["burst-1"]

            control.stop_button.click()
            assert desk.playback_left == 0 and not control.line.isVisible()
            await asyncio.sleep(0.4)
            assert heard(desk) < 0.1, "stopped"

            # played to the end, the line goes by itself
            next(a for a in control.menu_for("TG-S02", pane.table).actions()
                 if a.objectName() == "replay15").trigger()
            await pane.runner.wait_idle()
            assert control.line.isVisible()
            await until(lambda: not control.line.isVisible(), 5.0)

            languages.set_language("zh_CN")  # the pane follows (its Chinese comes with the merged translations)
            await until(lambda: control.button.text() == QCoreApplication.translate("ReplayControl", "Replay"))
            assert control.menu_for("TG-S02", pane.table).actions()[0].text().endswith("柳湖站")
        finally:
            bridge.close()
            await desk.close()

    run_async(scenario)


def test_the_event_log_plays_a_talk_bursts_recording_and_says_when_one_cannot_be_read(
        qtbot: QtBot, run_async: RunAsync, tmp_path: Path) -> None:
    segment = record_burst(tmp_path / "recordings")

    async def scenario() -> None:
        desk = make_desk(tmp_path)
        desk.log.record("talk_burst", actor="HS-003", terminal="HS-003", group="TG-S02", call="C-7",
                        summary={"talker": "HS-003", "group": "TG-S02", "call_kind": "group", "seconds": 2.0,
                                 "recording": segment.id})
        desk.log.record("talk_burst", actor="HS-003", terminal="HS-003", group="TG-S02", call="C-8",
                        summary={"talker": "HS-003", "group": "TG-S02", "call_kind": "group", "seconds": 1.0,
                                 "recording": "pruned-long-ago"})
        desk.log.record("desk_connected", actor="chief", summary={"serving": "A", "epoch": 1})
        ctx, bridge = context(desk)
        pane = EventLogPane(ctx)
        qtbot.addWidget(pane)
        pane.show()
        try:
            await until(lambda: len(pane.model.events) == 3)
            texts = [pane.model.text_of(row) for row in range(3)]
            assert texts[2] == "Station staff HS-003 talked in Liuhu station for 2.0 s (recorded: Play)"
            playback = pane.playback
            pane.table.selectRow(0)  # signed in: nothing to play
            assert not playback.play_button.isEnabled()
            pane.table.selectRow(2)
            assert playback.play_button.isEnabled() and not playback.stop_button.isEnabled()
            playback.play_button.click()
            await playback.runner.wait_idle()
            assert pane.mode_label.text() == "Playing a recording of 2.0 s"
            assert desk.playback_left > 0 and playback.stop_button.isEnabled()
            await until(lambda: heard(desk) > 0.8, 5.0)
            playback.stop_button.click()
            assert desk.playback_left == 0 and not playback.stop_button.isEnabled()

            pane.table.selectRow(1)  # a recording that is gone: said, and the desk goes on
            playback.play_button.click()
            await playback.runner.wait_idle()
            assert pane.mode_label.text().startswith("Cannot play: 404 no recording pruned-long-ago")
            assert desk.playback_left == 0

            (tmp_path / "recordings" / segment.file).write_bytes(b"OggS" + bytes(300))  # damaged on disk
            pane.table.selectRow(2)
            index = pane.model.index(2, 0)
            pane.table.doubleClicked.emit(index)
            await playback.runner.wait_idle()
            assert "cannot be read" in pane.mode_label.text() and pane.mode_label.text().startswith("Cannot play")
            assert isinstance(pane, QWidget) and pane.isVisible()
        finally:
            bridge.close()
            await desk.close()

    run_async(scenario)
