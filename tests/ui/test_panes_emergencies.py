"""Emergencies: the red banner and the pane over a real World, the alert tone without a sound device, and a
terminal's emergency on the real platform raising the banner until the desk's acknowledgement reaches it."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QToolBar
from pytestqt.qtbot import QtBot

from console.core.world import World
from console.ui.actions import DeskActions
from console.ui.alert_tone import PATTERN, RATE, AlertTone, tone_path
from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.panes import PaneContext
from console.ui.panes.emergencies import AlarmsModel, AlertsModel, EmergenciesPane
from console.ui.widgets.emergency_banner import EmergencyBanner
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import live_desk


class QuietTone(AlertTone):
    """The real tone object, told not to touch the sound system (what it would play is still tracked)."""

    def _ensure_effect(self) -> Any:
        return None


class AskedDesk:
    """Remembers the emergency commands the banner gives."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def ack_emergency(self, alert: str) -> str:
        self.asked.append(("ack", alert))
        return "acknowledged"

    async def cancel_emergency(self, alert: str, reason: str = "") -> str:
        self.asked.append(("cancel", alert))
        return "cancelled"


def _alerting_world() -> World:
    world = World(clock=lambda: 1000.0)
    world.me = "chief"
    world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id="HS-001", kind="handset",
                                                               name="Station staff HS-001", name_zh="站务员 HS-001")))
    world.apply(wire.GroupUpdate(group=wire.GroupInfo(id="TG-S01", name="Qingshiqiao station", name_zh="青石桥站")))
    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-2", terminal="HS-001", group="TG-S01",
                                                           raised_ms=958_000)))
    return world


def test_the_tone_is_a_wav_written_once_and_a_desk_without_sound_keeps_running(tmp_path: Path,
                                                                                 qtbot: QtBot) -> None:
    path = tone_path(tmp_path)
    with wave.open(str(path)) as tone:
        assert (tone.getnchannels(), tone.getsampwidth(), tone.getframerate()) == (1, 2, RATE)
        assert tone.getnframes() == sum(int(RATE * seconds) for _f, seconds in PATTERN)
    written = path.stat().st_mtime_ns
    assert tone_path(tmp_path) == path and path.stat().st_mtime_ns == written  # not written again

    tone = AlertTone(folder=tmp_path)  # the real QSoundEffect: the test machine has no sound device
    tone.start()
    qtbot.wait(200)
    assert tone.sounding
    tone.mute()
    assert tone.muted and not tone.sounding
    tone.start()
    assert not tone.sounding  # muted: stays quiet
    tone.mute(False)
    tone.start()
    tone.stop()
    assert not tone.sounding


def test_the_banner_shows_the_oldest_unacknowledged_alert_and_hides_when_none_is_left(qtbot: QtBot,
                                                                                      run_async: RunAsync) -> None:
    world = _alerting_world()
    bridge = DeskBridge(world, interval_ms=10)
    desk = AskedDesk()
    banner = EmergencyBanner(world, desk, bridge, tone=QuietTone())
    qtbot.addWidget(banner)
    wanted: list[bool] = []
    banner.wanted.connect(wanted.append)
    banner.refresh()
    assert wanted[-1] is True and banner.tone.sounding
    assert banner.headline.text() == "EMERGENCY — Station staff HS-001"
    assert banner.details.text() == "Qingshiqiao station  ·  0:42 ago"

    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-1", terminal="HS-009", kind="imminent_peril",
                                                           raised_ms=900_000)))
    bridge.flush()
    assert banner.headline.text() == "IMMINENT PERIL — HS-009"  # older: it comes first
    assert banner.details.text().endswith("1 more unacknowledged")

    async def scenario() -> None:
        qtbot.mouseClick(banner.ack_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(banner.cancel_button, Qt.MouseButton.LeftButton)  # arms only
        assert banner.cancel_button.text() == "Click again to cancel"
        await banner.runner.wait_idle()
        assert desk.asked == [("ack", "E-1")]
        qtbot.mouseClick(banner.cancel_button, Qt.MouseButton.LeftButton)
        await banner.runner.wait_idle()

    run_async(scenario)
    assert desk.asked == [("ack", "E-1"), ("cancel", "E-1")]
    for alert_id in ("E-1", "E-2"):
        world.apply(wire.EmergencyState(alert=wire.AlertInfo(id=alert_id, terminal="HS-001", state="acknowledged")))
    bridge.flush()
    assert wanted[-1] is False and not banner.tone.sounding
    bridge.close()


def test_silencing_lasts_until_a_new_alert_and_the_banner_speaks_chinese(qtbot: QtBot, languages: Languages) -> None:
    world = _alerting_world()
    bridge = DeskBridge(world, interval_ms=10)
    banner = EmergencyBanner(world, AskedDesk(), bridge, tone=QuietTone())
    qtbot.addWidget(banner)
    banner.refresh()
    banner.silence()
    assert not banner.tone.sounding and not banner.silence_button.isEnabled()
    banner.refresh()
    assert not banner.tone.sounding
    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-3", terminal="HS-001", raised_ms=999_000)))
    bridge.flush()
    assert banner.tone.sounding

    languages.set_language("zh_CN")
    qtbot.waitUntil(lambda: banner.headline.text() == "紧急呼叫 — 站务员 HS-001")
    assert banner.details.text().startswith("青石桥站  ·  ")
    assert banner.ack_button.text() == "确认（F2）"
    bridge.close()


def test_alarms_sort_by_severity_and_alerts_unacknowledged_first(qtbot: QtBot) -> None:
    world = _alerting_world()
    world.apply(wire.EmergencyState(alert=wire.AlertInfo(id="E-0", terminal="HS-001", state="acknowledged",
                                                         acknowledged_by="chief", raised_ms=100)))
    for alarm_id, severity, state in (("A1", "minor", "raised"), ("A2", "critical", "raised"),
                                      ("A3", "critical", "acknowledged")):
        world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id=alarm_id, source="sensor", origin="S03",
                                                          severity=severity, code="WATER", text="water on track",
                                                          state=state, raised_ms=500_000)))
    bridge = DeskBridge(world)
    pane = EmergenciesPane(PaneContext(bridge=bridge, world=world, desk=AskedDesk(), actions=DeskActions()))
    qtbot.addWidget(pane)
    assert pane.alerts.ids == ["E-2", "E-0"]
    assert pane.alerts.index(1, AlertsModel.STATE).data() == "Emergency · Acknowledged by chief"
    assert pane.alarms.ids == ["A2", "A1", "A3"]
    assert pane.alarms.index(0, AlarmsModel.SEVERITY).data() == "Critical · Sensor"
    assert pane.alarms.index(0, AlarmsModel.SEVERITY).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#ff5a5f"
    assert pane.alarms.index(0, AlarmsModel.ALARM).data() == "WATER — water on track"
    assert pane.alerts_title.text() == "Emergencies: 1 unacknowledged"
    assert pane.alarms_title.text() == "Alarms: 2 unacknowledged"
    assert pane.selected_alert().id == "E-2" and pane.selected_alarm().id == "A2"  # nothing picked: the first
    bridge.close()


def test_titles_say_none_only_when_the_list_is_empty(qtbot: QtBot) -> None:
    """An acknowledged emergency still listed is not "none": the title says all are acknowledged."""
    world = _alerting_world()
    bridge = DeskBridge(world)
    pane = EmergenciesPane(PaneContext(bridge=bridge, world=world, desk=AskedDesk(), actions=DeskActions()))
    qtbot.addWidget(pane)
    assert pane.alarms_title.text() == "Alarms: none"
    for alert_id in list(world.alerts):
        world.apply(wire.EmergencyState(alert=wire.AlertInfo(id=alert_id, terminal="HS-001", state="acknowledged",
                                                             acknowledged_by="chief", raised_ms=100)))
    world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id="A1", source="sensor", origin="S03", severity="minor",
                                                      code="WATER", text="water on track", state="acknowledged",
                                                      raised_ms=500_000)))
    pane.refresh()
    assert pane.alerts.ids and all(world.alerts[i].state == "acknowledged" for i in pane.alerts.ids)
    assert pane.alerts_title.text() == "Emergencies: all acknowledged"
    assert pane.alarms_title.text() == "Alarms: all acknowledged"
    bridge.close()


@pytest.mark.integration
def test_a_terminal_emergency_raises_the_banner_and_acknowledge_reaches_the_platform(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-001") as live:
            banner = live.window.banner
            banner.tone = QuietTone()
            assert not banner.isVisible()
            raised = await live.fleet.terminal("HS-001").emergency()
            await until(banner.isVisible)
            assert "HS-001" in banner.headline.text()
            assert "Qingshiqiao station" in banner.details.text()
            assert banner.tone.sounding
            pane = live.pane("emergencies")
            assert isinstance(pane, EmergenciesPane)
            await until(lambda: raised.alert in pane.alerts.ids)

            with qtbot.waitSignal(live.session.bridge.selectTerminal, timeout=2000) as shown:
                qtbot.mouseClick(banner.location_button, Qt.MouseButton.LeftButton)
            assert shown.args == ["HS-001"]
            qtbot.mouseClick(banner.take_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.world.selected == "TG-S01")

            qtbot.mouseClick(banner.ack_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.platform.state.alerts[raised.alert].state == "acknowledged")
            assert live.platform.state.alerts[raised.alert].acknowledged_by == "chief"
            await until(lambda: not banner.isVisible())
            assert not banner.tone.sounding
            await until(lambda: live.fleet.terminal("HS-001").alert_state == "acknowledged")
            row = pane.alerts.row_of(raised.alert)
            assert row is not None
            assert pane.alerts.index(row, AlertsModel.STATE).data() == "Emergency · Acknowledged by chief"

    run_async(scenario)


@pytest.mark.integration
def test_an_alarm_is_acknowledged_and_cleared_from_the_pane(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "ST-S03-1") as live:
            pane = live.pane("emergencies")
            assert isinstance(pane, EmergenciesPane)
            alarm = await live.fleet.terminal("ST-S03-1").raise_alarm("sensor", "critical", "WATER",
                                                                      "water on the track", origin="S03")
            await until(lambda: alarm in pane.alarms.ids)
            pane.select_alarm(alarm)
            with qtbot.waitSignal(live.session.bridge.selectStation, timeout=2000) as shown:
                qtbot.mouseClick(pane.alarm_location_button, Qt.MouseButton.LeftButton)
            assert shown.args == ["S03"]
            qtbot.mouseClick(pane.ack_alarm_button, Qt.MouseButton.LeftButton)
            await until(lambda: live.platform.state.alarms[alarm].state == "acknowledged")
            await until(lambda: pane.alarms.index(0, AlarmsModel.STATE).data() == "Acknowledged by chief")
            pane.select_alarm(alarm)
            qtbot.mouseClick(pane.clear_alarm_button, Qt.MouseButton.LeftButton)
            await until(lambda: alarm not in pane.alarms.ids)

    run_async(scenario)


def test_a_layout_saved_during_an_emergency_does_not_bring_back_an_empty_banner(
        desk: Any, languages: Languages, settings: QSettings, qtbot: QtBot) -> None:
    from console.core.desk import Desk
    from console.ui.session import DeskSession

    first = DeskSession(desk, languages, settings=settings, install_ptt=False)
    qtbot.addWidget(first.window)
    first.window.banner.tone = QuietTone()
    first.window.show()
    desk.world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-1", terminal="HS-001")))
    first.bridge.flush()
    bar = first.window.findChild(QToolBar, "emergencyBar")
    assert bar is not None
    qtbot.waitUntil(bar.isVisible)
    first.window.close()  # saves the layout with the banner on screen
    first.detach()

    calm = Desk(desk.log)  # a desk with no alert at all
    second = DeskSession(calm, languages, settings=settings, install_ptt=False)
    qtbot.addWidget(second.window)
    assert second.window.restore_layout()
    second.window.show()
    qtbot.wait(50)
    bar = second.window.findChild(QToolBar, "emergencyBar")
    assert bar is not None and not bar.isVisible()
    second.detach()


def test_a_narrow_pane_keeps_every_buttons_text_whole(qtbot: QtBot) -> None:
    """In the busy desk the pane is narrow: the title gives way (its tooltip has it), the buttons do not."""
    world = _alerting_world()
    bridge = DeskBridge(world)
    pane = EmergenciesPane(PaneContext(bridge=bridge, world=world, desk=AskedDesk(), actions=DeskActions()))
    qtbot.addWidget(pane)
    assert pane.alerts_title.text() == "Emergencies: 1 unacknowledged"
    row = [pane.ack_alert_button, pane.take_call_button, pane.alert_location_button, pane.cancel_alert_button]
    # room for the buttons and 60 px of title: less than the whole title needs
    width = sum(b.sizeHint().width() for b in row) + 60 + 8 * len(row) + 24
    assert pane.alerts_title.sizeHint().width() > 60
    pane.resize(width, 400)
    pane.show()
    qtbot.waitExposed(pane)
    for button in [*row, pane.ack_alarm_button, pane.clear_alarm_button, pane.alarm_location_button]:
        assert button.width() >= button.sizeHint().width(), f"{button.text()!r} squeezed to {button.width()} px"
    bridge.close()
