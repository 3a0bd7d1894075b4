"""DeskBridge: a real World fed with TDP/1 notifications, its changes re-emitted as coalesced Qt signals."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from console.core.world import World
from console.ui.bridge import DeskBridge
from protocols import messages as wire


def _presence(terminal: str, presence: wire.Presence = "registered") -> wire.PresenceUpdate:
    return wire.PresenceUpdate(terminal=wire.TerminalInfo(id=terminal, kind="handset", presence=presence))


def _location(terminal: str, station: str) -> wire.LocationUpdate:
    return wire.LocationUpdate(terminal=terminal, location=wire.Location(station=station))


class Recorder:
    """Connects to every signal of a bridge and keeps what arrived, in order."""

    def __init__(self, bridge: DeskBridge) -> None:
        self.events: list[tuple[str, object]] = []
        for name in ("terminalsChanged", "groupsChanged", "callChanged", "floorChanged", "alertChanged",
                     "alarmChanged", "linkChanged", "messageReceived", "protocolProblem", "snapshotApplied",
                     "sessionChanged", "affiliationChanged"):
            getattr(bridge, name).connect(lambda *args, name=name: self.events.append((name, args)))
        bridge.callEnded.connect(lambda call, reason: self.events.append(("callEnded", (call, reason))))
        bridge.batchDone.connect(lambda: self.events.append(("batchDone", ())))

    def named(self, name: str) -> list[object]:
        return [args for n, args in self.events if n == name]


def test_a_lone_change_goes_out_at_once_with_its_id() -> None:
    world = World()
    bridge = DeskBridge(world)
    seen = Recorder(bridge)
    world.apply(_presence("HS-001"))
    assert seen.named("terminalsChanged") == [(["HS-001"],)]  # no wait: the leading edge is immediate
    assert seen.events[-1] == ("batchDone", ())
    assert world.terminals["HS-001"].presence == "registered"
    bridge.close()


def test_a_burst_is_coalesced_into_one_batch_per_interval(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world, interval_ms=50)
    seen = Recorder(bridge)
    for n in range(100):
        world.apply(_presence(f"HS-{n:03d}"))
    # first change out at once; the other 99 wait for the end of the quiet interval
    assert seen.named("terminalsChanged") == [(["HS-000"],)]
    for n in range(100):  # the same terminals again, moving: still one entry each
        world.apply(_location(f"HS-{n:03d}", "S05"))
    qtbot.waitUntil(lambda: len(seen.named("terminalsChanged")) == 2, timeout=2000)
    second = seen.named("terminalsChanged")[1][0]
    assert isinstance(second, list) and len(second) == 100 and second == sorted(second)
    assert bridge.stats.batches == 2
    assert bridge.stats.changes == 200
    bridge.close()


def test_five_hundred_updates_a_second_cost_the_views_at_most_twenty_batches(qtbot: QtBot) -> None:
    world = World()
    for n in range(50):
        world.apply(_presence(f"TR-{n:02d}"))
    bridge = DeskBridge(world, interval_ms=50)
    seen = Recorder(bridge)
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < 1.0:  # 500 location updates a second, for one second
        for _ in range(25):
            world.apply(_location(f"TR-{sent % 50:02d}", f"S{sent % 20:02d}"))
            sent += 1
        qtbot.wait(50)
    qtbot.wait(120)  # the last interval ends
    batches = seen.named("terminalsChanged")
    assert sent >= 400
    assert 1 < len(batches) <= 24  # about 20 a second, with the leading edge and the timer's slack
    assert {i for (ids,) in batches for i in ids} == {f"TR-{n:02d}" for n in range(50)}
    bridge.close()


def test_state_changes_repeated_in_a_batch_are_sent_once_but_every_message_is_sent(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world, interval_ms=30)
    seen = Recorder(bridge)
    world.apply(_presence("HS-001"))  # leading edge
    call = wire.CallInfo(id="c1", kind="group", group="G1", parties=["HS-001"])
    world.apply(wire.CallStarted(call=call))
    for holder in ("HS-001", "HS-002", "HS-001"):
        world.apply(wire.FloorGranted(call="c1", holder=holder, priority="normal"))
    for n in range(3):
        world.apply(wire.TextMessage(message=f"m{n}", sender="HS-001", text=f"hello {n}"))
    alert = wire.AlertInfo(id="al1", terminal="HS-001", group="G1")
    world.apply(wire.EmergencyAlerted(alert=alert))
    world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id="am1", source="equipment", origin="S05-ESC-1")))
    world.apply(wire.PlatformRole(instance="A", role="active", epoch=3))
    qtbot.waitUntil(lambda: bool(seen.named("linkChanged")), timeout=2000)
    assert seen.named("callChanged") == [("c1",)]
    assert seen.named("floorChanged") == [("c1",)]
    assert [m[0].message_id for m in seen.named("messageReceived")] == ["m0", "m1", "m2"]  # type: ignore[index]
    assert seen.named("alertChanged") == [("al1",)]
    assert seen.named("alarmChanged") == [("am1",)]
    assert seen.named("linkChanged") == [("A",)]
    assert world.links["A"].epoch == 3 and world.calls["c1"].holder == "HS-001"

    world.apply(wire.CallEnded(call="c1", reason="released"))
    qtbot.waitUntil(lambda: bool(seen.named("callEnded")), timeout=2000)
    assert seen.named("callEnded") == [("c1", "released")]
    bridge.close()


def test_a_protocol_problem_reaches_the_views(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world)
    seen = Recorder(bridge)
    world.apply(wire.Snapshot(part=3, parts=2))  # impossible part number
    assert seen.named("protocolProblem") and "snapshot part 3 of 2" in str(seen.named("protocolProblem")[0])
    bridge.close()


def test_after_close_the_bridge_hears_nothing(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world)
    seen = Recorder(bridge)
    bridge.close()
    world.apply(_presence("HS-001"))
    QCoreApplication.processEvents()
    qtbot.wait(80)
    assert seen.events == []
