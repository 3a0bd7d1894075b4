"""The status bar: platform instances, dispatcher, split brain and clock, from the world and from a real desk."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.core.desk import Desk
from console.core.world import World
from console.ui.bridge import DeskBridge
from console.ui.clock import ClockLabel
from console.ui.status_bar import DeskStatusBar, split_brain
from protocols import messages as wire
from testbed.line import default_line_path, load_line
from testbed.platform.server import PlatformServer
from tests.ui.conftest import RunAsync, until


def _bar(world: World, qtbot: QtBot) -> tuple[DeskStatusBar, DeskBridge]:
    bridge = DeskBridge(world, interval_ms=10)
    bar = DeskStatusBar(world, bridge)
    qtbot.addWidget(bar)
    return bar, bridge


def test_before_connecting_both_instances_show_as_connecting(qtbot: QtBot) -> None:
    bar, bridge = _bar(World(), qtbot)
    assert sorted(bar.badges) == ["A", "B"]
    assert all(b.link_state == "connecting" for b in bar.badges.values())
    assert bar.dispatcher_label.text() == "not signed in"
    assert bar.split_brain_label.isHidden()
    bridge.close()


def test_link_changes_in_the_world_reach_the_badges(qtbot: QtBot) -> None:
    world = World()
    bar, bridge = _bar(world, qtbot)
    world.update_link("A", url="ws://127.0.0.1:7700", state="up", role="active", epoch=4, heartbeat_age=0.3,
                      serving=True)
    world.update_link("B", url="ws://127.0.0.1:7701", state="down", role="standby", epoch=4)
    bridge.flush()  # the second change waits for the end of the bridge's quiet interval otherwise
    a, b = bar.badges["A"], bar.badges["B"]
    assert (a.link_state, a.role_text(), a.state_text()) == ("up", "active", "link up")
    assert "epoch 4" in a._epoch.text() and "0.3 s" in a._heartbeat.text()
    assert "commands go to this instance" in a.toolTip()
    assert (b.link_state, b.role_text(), b.state_text()) == ("down", "standby", "link down")

    world.update_link("A", state="connecting")
    bridge.flush()
    assert bar.badges["A"].link_state == "connecting"
    bridge.close()


def test_instances_named_by_address_until_they_name_themselves(qtbot: QtBot) -> None:
    world = World()
    bar, bridge = _bar(world, qtbot)
    world.update_link("ws://10.0.0.1:7700", state="connecting")
    assert list(bar.badges) == ["ws://10.0.0.1:7700"]
    assert bar.badges["ws://10.0.0.1:7700"]._name.text() == "10.0.0.1:7700"
    world.forget_link("ws://10.0.0.1:7700")
    world.update_link("A", state="up", role="active", epoch=1)
    bridge.flush()
    assert list(bar.badges) == ["A"]
    bridge.close()


def test_split_brain_is_shown_while_two_instances_claim_active(qtbot: QtBot) -> None:
    world = World()
    bar, bridge = _bar(world, qtbot)
    world.update_link("A", state="up", role="active", epoch=5)
    world.update_link("B", state="up", role="active", epoch=6)
    bridge.flush()
    assert split_brain(world.links) == ["A", "B"]
    assert not bar.split_brain_label.isHidden()
    assert "A (5), B (6)" in bar.split_brain_label.text()
    world.update_link("A", role="standby")
    bridge.flush()
    assert bar.split_brain_label.isHidden()
    bridge.close()


def test_the_dispatcher_and_role_after_signing_in(qtbot: QtBot) -> None:
    world = World()
    bar, bridge = _bar(world, qtbot)
    welcome = wire.Welcome(version=1, session="s", resume_token="r", instance="A", role="active", heartbeat_ms=250,
                           loss_threshold=3, dispatcher_role="chief_dispatcher")
    world.set_session(welcome, "chief")
    assert bar.dispatcher_label.text() == "chief · Chief dispatcher"
    bridge.close()


def test_the_clock_shows_hh_mm_ss_and_ticks(qtbot: QtBot) -> None:
    moments = iter([datetime(2024, 5, 1, 7, 5, 9, 999_000), datetime(2024, 5, 1, 7, 5, 10, 2_000)])
    clock = ClockLabel(now=lambda: next(moments))
    qtbot.addWidget(clock)
    assert clock.text() == "07:05:09"
    qtbot.waitUntil(lambda: clock.text() == "07:05:10", timeout=1000)  # re-armed for the second boundary


def test_status_bar_follows_a_real_desk_on_a_real_platform(run_async: RunAsync, qtbot: QtBot, tmp_path: Path) -> None:
    async def scenario() -> None:
        platform = PlatformServer(load_line(default_line_path()), host="127.0.0.1", port=0, instance="A")
        await platform.start()
        desk = Desk(tmp_path / "events.sqlite")
        bridge = DeskBridge(desk.world)
        bar = DeskStatusBar(desk.world, bridge)
        qtbot.addWidget(bar)
        try:
            await desk.connect([platform.url], "chief", "demo")
            await until(lambda: "A" in bar.badges and bar.badges["A"].link_state == "up")
            badge = bar.badges["A"]
            assert badge.role_text() == "active"
            assert bar.dispatcher_label.text() == "chief · Chief dispatcher"
            await until(lambda: badge._heartbeat.text().startswith("heartbeat"))
            await platform.stop()  # the platform goes away: the badge must say so
            await until(lambda: bar.badges.get("A") is not None and bar.badges["A"].link_state != "up")
            assert bar.badges["A"].state_text() in ("link down", "connecting")
        finally:
            bridge.close()
            await desk.close()
            await platform.stop()

    run_async(scenario)
