"""The desk core against the real reference platform over loopback, with real simulated terminals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from console.core.changes import Change, ProtocolProblem
from console.core.desk import CommandFailed, Desk
from console.core.eventlog import EventLog
from protocols import messages as wire
from protocols.codec import decode, encode
from protocols.constants import SUBPROTOCOL, ErrorCode
from testbed.platform.server import PlatformServer
from tests.console.core.conftest import PASSWORD, StartFleet

pytestmark = pytest.mark.integration


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for something outside the desk's world (a terminal, the platform) to hold."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def logged(path: Path, **filters: object) -> list[str]:
    """Kinds of the events in the log file at ``path``, oldest first, read from a freshly opened log."""
    with EventLog(path) as log:
        return [e.kind for e in reversed(log.search(**filters))]  # type: ignore[arg-type]


async def test_registering_terminals_appear_with_their_kind(desk: Desk, start_fleet: StartFleet) -> None:
    ids = {"HS-001": "handset", "TR1901": "train", "BW-01": "recorder", "ST-S01-1": "station",
           "CAM-S01-1": "camera"}
    assert all(desk.world.terminals[t].presence == "offline" for t in ids)
    await start_fleet(*ids)
    assert await desk.wait_until(lambda: all(desk.world.terminals[t].presence == "registered" for t in ids))
    assert {t: desk.world.terminals[t].kind for t in ids} == ids
    s01 = next(s for s in desk.world.stations() if s.place.code == "S01")
    assert "ST-S01-1" in [r.id for r in s01.radios] and "CAM-S01-1" in [c.id for c in s01.cameras]
    assert "HS-001" in [t.id for t in desk.world.staff(presence="registered")]
    assert desk.world.permissions >= {"override", "emergency_ack"}
    assert desk.world.links["A"].role == "active" and desk.world.links["A"].serving


async def test_ptt_takes_the_floor_on_the_platform_and_gives_it_back(
        desk: Desk, platform: PlatformServer, start_fleet: StartFleet, log_path: Path) -> None:
    fleet = await start_fleet("HS-002")
    listener = fleet.terminal("HS-002")
    affiliations = await desk.select("TG-S01")
    assert affiliations.selected == "TG-S01" and "TG-S01" in affiliations.groups
    assert desk.world.selected == "TG-S01"

    result = await desk.ptt_press()
    assert result.outcome == "granted" and result.call is not None
    call_id = result.call
    call = platform.state.calls.calls[call_id]
    assert call.floor is not None and call.floor.holder == "chief"
    assert desk.ptt_state == "has_permission" and desk.ptt_call == result.call
    left = desk.talk_time_left
    assert left is not None and 100 < left <= 120  # the dispatcher class talks up to 120 s
    await eventually(lambda: listener.floor_holders.get(call_id) == "chief")
    assert await desk.wait_until(lambda: desk.world.monitored_groups()[0].holder == "chief")

    await desk.ptt_release()
    assert call.floor.holder is None
    assert desk.ptt_state == "has_no_permission" and desk.talk_time_left is None
    await desk.close()
    assert "floor_granted" in logged(log_path, call=result.call)
    commands = [(e.summary["command"], e.summary["outcome"]) for e in reversed(EventLog(log_path).search(
        kind="command"))]
    assert commands == [("select", "ok"), ("ptt_press", "granted"), ("ptt_release", "has_no_permission")]


async def test_an_emergency_shows_on_the_desk_and_its_acknowledgement_reaches_platform_and_terminal(
        desk: Desk, platform: PlatformServer, start_fleet: StartFleet, log_path: Path) -> None:
    fleet = await start_fleet("HS-001")
    handset = fleet.terminal("HS-001")
    raised = await handset.emergency()
    assert await desk.wait_until(lambda: raised.alert in desk.world.alerts)
    alert = desk.world.alerts[raised.alert]
    assert (alert.terminal, alert.group, alert.state) == ("HS-001", "TG-S01", "active")
    assert await desk.wait_until(lambda: desk.world.terminals["HS-001"].presence == "emergency")

    assert await desk.ack_emergency(raised.alert) == "acknowledged"
    assert platform.state.alerts[raised.alert].state == "acknowledged"
    assert platform.state.alerts[raised.alert].acknowledged_by == "chief"
    await eventually(lambda: handset.alert_state == "acknowledged")
    assert await desk.wait_until(lambda: desk.world.alerts[raised.alert].state == "acknowledged")

    await desk.cancel_emergency(raised.alert, "drill over")
    assert await desk.wait_until(lambda: raised.alert not in desk.world.alerts)
    await desk.close()
    assert logged(log_path, alert=raised.alert) == ["emergency_alerted", "emergency_acknowledged", "command",
                                                    "emergency_cancelled", "command"]
    assert "presence_emergency" in logged(log_path, terminal="HS-001")


async def test_a_moving_train_moves_on_the_desk(desk: Desk, start_fleet: StartFleet, log_path: Path) -> None:
    await start_fleet("TR1901", speed=30.0, report_interval=0.1)
    seen: list[float] = []

    def moved() -> bool:
        train = next(t for t in desk.world.trains() if t.radio.id == "TR1901")
        if train.chainage_m is not None and train.chainage_m not in seen:
            seen.append(train.chainage_m)
        return len(seen) >= 3

    assert await desk.wait_until(moved, timeout=10), (seen, desk.world.terminals["TR1901"])
    train = next(t for t in desk.world.trains() if t.radio.id == "TR1901")
    assert train.number == "1901" and train.direction in ("up", "down")
    assert train.station is not None and (train.at_station or train.between is not None)
    assert [c.id for c in train.cameras] == ["CAM-1901-1", "CAM-1901-2"]


async def test_messages_pis_regroups_and_control_go_out_and_are_recorded(
        desk: Desk, platform: PlatformServer, start_fleet: StartFleet, log_path: Path) -> None:
    fleet = await start_fleet("HS-009", "TR1910")
    handset, train = fleet.terminal("HS-009"), fleet.terminal("TR1910")
    sent = await desk.send_text("站台积水，请巡查", group="TG-S05")
    assert sent.recipients >= 1 and sent.message is not None
    await eventually(lambda: any(t.text == "站台积水，请巡查" for t in handset.texts))
    assert await desk.wait_until(lambda: any(t.message == sent.message for t in desk.world.texts))

    pushed = await desk.push_pis("列车临时停车", "Short stop", ["1910"], urgent=True)
    assert pushed.trains == 1 and desk.world.pis_sent[-1].message_id == pushed.message
    await eventually(lambda: any(m.message == pushed.message for m in train.pis_showing()))

    group = await desk.regroup("Incident S05", ["HS-009", "TR1910"], name_zh="S05 事件")
    assert await desk.wait_until(lambda: group in desk.world.groups)
    await desk.dissolve(group)
    assert await desk.wait_until(lambda: group not in desk.world.groups)

    await desk.disable("HS-009")
    assert await desk.wait_until(lambda: desk.world.terminals["HS-009"].presence == "disabled")
    await eventually(lambda: handset.disabled)
    await desk.enable("HS-009")
    assert await desk.wait_until(lambda: desk.world.terminals["HS-009"].presence == "registered")
    await desk.close()
    with EventLog(log_path) as log:
        assert sorted(e.kind for e in log.search("积水")) == ["command", "text"]
        commands = [e.summary["command"] for e in reversed(log.search(kind="command"))]
        keys = {e.data["request"].get("key") for e in log.search(kind="command")}
    assert commands == ["send_text", "push_pis", "regroup", "dissolve", "disable", "enable"]
    assert len(keys) == len(commands) and None not in keys  # every command had its own idempotency key
    assert "group_created" in logged(log_path) and "presence_disabled" in logged(log_path)


async def test_a_refused_command_raises_and_is_recorded_with_its_error(desk: Desk, log_path: Path) -> None:
    with pytest.raises(CommandFailed) as refused:
        await desk.ack_emergency("E-999")
    assert refused.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(CommandFailed) as no_group:
        await desk.ptt_press()
    assert no_group.value.code == ErrorCode.BAD_MESSAGE
    await desk.close()
    with EventLog(log_path) as log:
        (event,) = log.search(alert="E-999")
    assert event.summary["outcome"] == "error" and event.summary["code"] == 404
    assert event.summary["command"] == "ack_emergency" and event.actor == "chief"


async def test_the_log_keeps_the_day_across_a_restart_of_the_desk(
        platform: PlatformServer, start_fleet: StartFleet, log_path: Path) -> None:
    first = Desk(log_path)
    await first.connect(platform.url, "chief", PASSWORD)
    await first.select("TG-S02")
    fleet = await start_fleet("HS-003")
    await fleet.terminal("HS-003").send_text("first shift", group="TG-S02")
    assert await first.wait_until(lambda: any(t.text == "first shift" for t in first.world.texts))
    await first.close()

    second = Desk(log_path)
    await second.connect(platform.url, "chief", PASSWORD)
    await second.send_text("second shift", group="TG-S02")
    assert await second.wait_until(lambda: any(t.text == "second shift" for t in second.world.texts))
    await second.close()
    kinds = logged(log_path)
    assert kinds.count("desk_connected") == 2 and kinds.count("desk_disconnected") == 2
    with EventLog(log_path) as log:
        assert [e.actor for e in log.search("shift", kind="text")] == ["chief", "HS-003"]


# ----- bad input from the platform ----------------------------------------------------------------


@pytest.fixture
async def garbling_platform() -> AsyncIterator[str]:
    """A platform that welcomes, then sends garbage between good messages, and answers heartbeats."""
    frames = [
        "{not json",
        '{"t": "nonsense", "epoch": 1}',
        '{"t": "presence", "epoch": 1, "terminal": {"id": 5}}',
        encode(wire.Snapshot(epoch=1, terminals=[wire.TerminalInfo(id="HS-800", kind="handset")], part=3,
                             parts=2)).decode(),
        encode(wire.PresenceUpdate(epoch=1, terminal=wire.TerminalInfo(id="HS-900", kind="handset",
                                                                       presence="registered"))).decode(),
    ]

    async def handler(ws: ServerConnection) -> None:
        hello = decode(await ws.recv())
        assert isinstance(hello, wire.Hello)
        welcome = wire.Welcome(re=hello.id, epoch=1, version=1, session="S-1", resume_token="r-1", instance="X",
                               role="active", heartbeat_ms=250, loss_threshold=3, dispatcher_role="chief",
                               groups=["G1"])
        await ws.send(encode(welcome).decode())
        await ws.send(encode(wire.PlatformRole(epoch=1, instance="X", role="active")).decode())
        garbage = iter(frames)
        async for data in ws:
            message = decode(data)
            if isinstance(message, wire.Ping):
                await ws.send(encode(wire.Pong(epoch=1, seq=message.seq)).decode())
                # after the first heartbeat the client is surely past its welcome: time for garbage
                for frame in garbage:
                    await ws.send(frame)
            elif isinstance(message, wire.Bye):
                return

    async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol(SUBPROTOCOL)]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def test_malformed_input_is_logged_as_a_protocol_error_and_the_desk_carries_on(
        garbling_platform: str, log_path: Path) -> None:
    desk = Desk(log_path)
    problems: list[Change] = []
    desk.world.subscribe(lambda changes: problems.extend(c for c in changes if isinstance(c, ProtocolProblem)))
    await desk.connect(garbling_platform, "chief", "any")
    try:
        assert await desk.wait_until(lambda: "HS-900" in desk.world.terminals)
        assert desk.world.terminals["HS-900"].presence == "registered"
        assert "HS-800" not in desk.world.terminals  # the nonsense snapshot part changed nothing
        desk.handle({"t": "presence"})  # not even a message: the receive path refuses it the same way
        assert desk.connected
        assert desk.world.allowed_groups == ("G1",)
    finally:
        await desk.close()
    assert len(problems) == 5
    with EventLog(log_path) as log:
        errors = log.search(kind="protocol_error")
    reasons = " | ".join(e.summary["text"] for e in errors)
    assert len(errors) == 5, reasons
    assert "nonsense" in reasons and "snapshot part 3 of 2" in reasons and "not a TDP/1 message" in reasons
