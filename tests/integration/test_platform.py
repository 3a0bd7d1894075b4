"""The reference platform over real loopback sockets, driven by real protocol clients."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from protocols.aio.client import RequestError
from protocols.codec import decode, encode
from protocols.constants import SUBPROTOCOL, ErrorCode
from protocols.messages import (
    AffiliationSet,
    AlarmAck,
    AlarmRaise,
    AlarmUpdate,
    BroadcastSetup,
    CallEnded,
    CallForceRelease,
    CallStarted,
    ControlOrder,
    EmergencyAck,
    EmergencyAlert,
    EmergencyAlerted,
    EmergencyCancel,
    EmergencyState,
    Error,
    FloorAck,
    FloorGranted,
    FloorIdle,
    FloorQueueInfo,
    FloorRelease,
    FloorRequest,
    FloorRevoke,
    FloorTaken,
    GroupUpdate,
    Hello,
    Location,
    LocationReport,
    LocationUpdate,
    MediaAnswer,
    MediaOffer,
    Ok,
    PisMessage,
    PisPush,
    PresenceUpdate,
    PrivateCallAnswer,
    PrivateCallIncoming,
    PrivateCallSetup,
    RegroupCreate,
    StatusSet,
    TerminalControl,
    TextMessage,
    TextSend,
    VideoPull,
    VideoSession,
    Welcome,
)
from tests.integration.conftest import TERMINAL_SECRET, Connect

pytestmark = pytest.mark.integration


async def test_wrong_password_and_wrong_secret_are_refused(connect: Connect) -> None:
    with pytest.raises(RequestError) as console:
        await connect("chief", secret="not-the-password")
    assert console.value.error.code == ErrorCode.UNAUTHORIZED
    with pytest.raises(RequestError) as terminal:
        await connect("HS-001", secret="nope")
    assert terminal.value.error.code == ErrorCode.UNAUTHORIZED


async def test_registration_shows_presence_and_affiliations_to_consoles(connect: Connect) -> None:
    chief = await connect("chief")
    handset = await connect("HS-001")
    update = await chief.expect(PresenceUpdate)
    assert update.terminal.id == "HS-001"
    assert update.terminal.presence == "registered"
    assert "TG-S01" in update.terminal.groups
    assert set(handset.client.welcome.groups) >= {"TG-S01", "TG-ALL"}
    await handset.request(StatusSet(id=0, status=7))
    status = await chief.expect(PresenceUpdate, timeout=2)
    assert status.terminal.id == "HS-001"


async def test_floor_contention_resolves_by_priority_with_queue_positions(connect: Connect) -> None:
    chief = await connect("chief")
    await chief.request(AffiliationSet(id=0, groups=["TG-S01"], selected="TG-S01"))
    talker, waiting, police = [await connect(t) for t in ("HS-001", "HS-002", "HS-035")]

    first = await talker.request(FloorRequest(id=0, group="TG-S01", key="t1"))
    assert first.result["outcome"] == "granted"
    call = first.result["call"]
    await talker.expect(FloorGranted, call=call)
    talker.notify(FloorAck(call=call))
    await waiting.expect(FloorTaken, call=call, holder="HS-001")

    queued = await waiting.request(FloorRequest(id=0, call=call, key="w1"))
    assert (queued.result["outcome"], queued.result["position"]) == ("queued", 1)
    second = await police.request(FloorRequest(id=0, call=call, key="p1"))
    assert (second.result["outcome"], second.result["position"]) == ("queued", 2)
    # The dispatcher outranks both field users: it goes ahead of them and they each move down one.
    ahead = await chief.request(FloorRequest(id=0, call=call, priority="dispatcher", key="c1"))
    assert (ahead.result["outcome"], ahead.result["position"]) == ("queued", 1)
    await waiting.expect(FloorQueueInfo, call=call, position=2)
    await police.expect(FloorQueueInfo, call=call, position=3)
    queue = await chief.expect(FloorQueueInfo, call=call, position=None, where=lambda m: len(m.queue) == 3)
    assert [(q.party, q.position) for q in queue.queue] == [("chief", 1), ("HS-002", 2), ("HS-035", 3)]

    await talker.request(FloorRelease(id=0, call=call, key="t2"))
    granted = await chief.expect(FloorGranted, call=call)
    assert granted.from_queue and granted.priority == "dispatcher"
    await chief.request(FloorRelease(id=0, call=call, key="c2"))
    assert (await waiting.expect(FloorGranted, call=call)).from_queue


async def test_emergency_pre_empts_a_normal_talker_and_is_acknowledged(connect: Connect) -> None:
    chief = await connect("chief")
    await chief.request(AffiliationSet(id=0, groups=["TG-S01"], selected="TG-S01"))
    talker = await connect("HS-001")
    victim = await connect("HS-002")
    call = (await talker.request(FloorRequest(id=0, group="TG-S01", key="t1"))).result["call"]
    await victim.expect(FloorTaken, call=call)

    raised = await victim.request(EmergencyAlert(id=0, group="TG-S01", key="e1"))
    alert_id = raised.result["alert"]
    assert raised.result["call"] == call
    revoke = await talker.expect(FloorRevoke, call=call)
    assert revoke.reason == "pre_empted"
    alerted = await chief.expect(EmergencyAlerted)
    assert alerted.alert.terminal == "HS-002" and alerted.alert.group == "TG-S01"
    # The revoked talker stops; the emergency caller gets the floor at emergency priority.
    await talker.request(FloorRelease(id=0, call=call, key="t2"))
    granted = await victim.expect(FloorGranted, call=call)
    assert granted.priority == "emergency"
    presence = await chief.expect(PresenceUpdate, timeout=2)
    assert presence is not None
    assert any(p.terminal.id == "HS-002" and p.terminal.presence == "emergency"
               for p in chief.received(PresenceUpdate))

    await chief.request(EmergencyAck(id=0, alert=alert_id, key="a1"))
    state = await victim.expect(EmergencyState)
    assert state.alert.state == "acknowledged" and state.alert.acknowledged_by == "chief"
    await victim.request(EmergencyCancel(id=0, alert=alert_id, key="x1"))
    cancelled = await chief.expect(EmergencyState, timeout=2)
    assert cancelled.alert.id == alert_id


async def test_dispatcher_override_takes_the_floor_from_anyone(connect: Connect) -> None:
    chief = await connect("chief")
    await chief.request(AffiliationSet(id=0, groups=["TG-S01"], selected="TG-S01"))
    handset = await connect("HS-002")
    raised = await handset.request(EmergencyAlert(id=0, group="TG-S01", key="e1"))
    call = raised.result["call"]
    await handset.expect(FloorGranted, call=call)
    # Without override, the dispatcher class is below emergency: queued.
    plain = await chief.request(FloorRequest(id=0, call=call, priority="dispatcher", key="c1"))
    assert plain.result["outcome"] == "queued"
    taken = await chief.request(FloorRequest(id=0, call=call, priority="dispatcher", override=True, key="c2"))
    assert taken.result["outcome"] == "queued"
    revoke = await handset.expect(FloorRevoke, call=call)
    assert revoke.reason == "override"
    handset.notify(FloorAck(call=call, of="revoke"))
    # The revoked holder does not answer: T8 (0.5 s) passes and the floor goes to the dispatcher anyway.
    granted = await chief.expect(FloorGranted, call=call, timeout=3)
    assert granted.holder == "chief"


async def test_roles_limit_groups_and_permissions(connect: Connect) -> None:
    env = await connect("env1")
    with pytest.raises(RequestError) as no_pis:
        await env.request(PisPush(id=0, text="test"))
    assert no_pis.value.error.code == ErrorCode.FORBIDDEN
    assert "pis_push" in no_pis.value.error.reason
    with pytest.raises(RequestError) as no_control:
        await env.request(TerminalControl(id=0, terminal="HS-001", action="disable"))
    assert no_control.value.error.code == ErrorCode.FORBIDDEN
    maint = await connect("maint1")
    with pytest.raises(RequestError) as outside:
        await maint.request(AffiliationSet(id=0, groups=["TG-TRAIN"]))
    assert outside.value.error.code == ErrorCode.FORBIDDEN


async def test_private_call_set_up_accepted_and_force_released(connect: Connect) -> None:
    chief = await connect("chief")
    train = await connect("TR1901")
    placed = await chief.request(PrivateCallSetup(id=0, callee="TR1901", duplex="full", key="p1"))
    call = placed.result["call"]
    incoming = await train.expect(PrivateCallIncoming, call=call)
    assert incoming.caller == "chief" and incoming.duplex == "full"
    await train.request(PrivateCallAnswer(id=0, call=call, accept=True, key="a1"))
    started = await chief.expect(CallStarted)
    assert started.call.id == call and set(started.call.parties) == {"chief", "TR1901"}
    busy = await chief.expect(PresenceUpdate, timeout=2)
    assert busy is not None
    assert any(p.terminal.id == "TR1901" and p.terminal.presence == "busy" for p in chief.received(PresenceUpdate))
    # A second caller finds the train busy.
    other = await connect("train1")
    with pytest.raises(RequestError) as engaged:
        await other.request(PrivateCallSetup(id=0, callee="TR1901"))
    assert engaged.value.error.code == ErrorCode.CONFLICT

    await chief.request(CallForceRelease(id=0, call=call, reason="line clear", key="f1"))
    ended = await train.expect(CallEnded, call=call)
    assert ended.reason == "force_released" and ended.by == "chief"


async def test_private_call_rejected(connect: Connect) -> None:
    chief = await connect("chief")
    handset = await connect("HS-010")
    call = (await chief.request(PrivateCallSetup(id=0, callee="HS-010"))).result["call"]
    await handset.expect(PrivateCallIncoming, call=call)
    await handset.request(PrivateCallAnswer(id=0, call=call, accept=False))
    ended = await chief.expect(CallEnded, call=call)
    assert ended.reason == "rejected"


async def test_late_entry_and_late_emergency_alert_on_affiliation(connect: Connect) -> None:
    talker = await connect("HS-003")
    call = (await talker.request(EmergencyAlert(id=0, group="TG-S02", key="e1"))).result["call"]
    chief = await connect("chief")
    answer = await chief.request(AffiliationSet(id=0, groups=["TG-S02"], selected="TG-S02"))
    assert call in answer.result["late_entry"]
    late = await chief.expect(CallStarted, late=True)
    assert late.call.id == call and late.call.kind == "emergency"
    taken = await chief.expect(FloorTaken, call=call)
    assert taken.holder == "HS-003" and taken.priority == "emergency"
    alert = await chief.expect(EmergencyAlerted, late=True)
    assert alert.alert.terminal == "HS-003"


async def test_group_call_ends_after_hang_time(connect: Connect, platform) -> None:  # type: ignore[no-untyped-def]
    platform.state.calls.hang = 0.3
    talker = await connect("HS-005")
    listener = await connect("HS-006")
    call = (await talker.request(FloorRequest(id=0, group="TG-S03"))).result["call"]
    await talker.request(FloorRelease(id=0, call=call))
    await listener.expect(FloorIdle, call=call)
    ended = await listener.expect(CallEnded, call=call, timeout=3)
    assert ended.reason == "hang_timeout"


async def test_broadcast_to_all_trains_is_one_way(connect: Connect) -> None:
    chief = await connect("chief")
    trains = [await connect(f"TR19{n:02d}") for n in (1, 2, 3)]
    call = (await chief.request(BroadcastSetup(id=0, target="all_trains", key="b1"))).result["call"]
    for train in trains:
        started = await train.expect(CallStarted)
        assert started.call.id == call and started.call.kind == "broadcast"
        await train.expect(FloorTaken, call=call, holder="chief")
    with pytest.raises(RequestError) as denied:
        await trains[0].request(FloorRequest(id=0, call=call))
    assert denied.value.error.code == ErrorCode.CONFLICT
    assert "broadcast_call" in denied.value.error.reason


async def test_dynamic_regroup_gathers_terminals_into_a_talkable_group(connect: Connect) -> None:
    chief = await connect("chief")
    handset, train = await connect("HS-001"), await connect("TR1905")
    made = await chief.request(RegroupCreate(id=0, mode="regroup", name="Incident 1", name_zh="事件1",
                                             terminals=["HS-001", "TR1905"], key="r1"))
    group = made.result["group"]
    update = await train.expect(GroupUpdate)
    assert update.group.id == group and set(update.group.members) == {"HS-001", "TR1905"}
    call = (await handset.request(FloorRequest(id=0, group=group))).result["call"]
    await train.expect(FloorTaken, call=call, holder="HS-001")


async def test_text_status_pis_alarm_and_control(connect: Connect) -> None:
    chief = await connect("chief")
    station, handset, train = await connect("ST-S05-1"), await connect("HS-009"), await connect("TR1910")
    sent = await chief.request(TextSend(id=0, group="TG-S05", text="站台积水，请巡查 / water on platform"))
    assert sent.result["recipients"] >= 2
    text = await handset.expect(TextMessage)
    assert text.sender == "chief" and "积水" in text.text

    pushed = await chief.request(PisPush(id=0, text="列车临时停车，请耐心等候", text_en="Short stop", trains=["1910"]))
    assert pushed.result["trains"] == 1
    pis = await train.expect(PisMessage)
    assert pis.text.startswith("列车临时停车")

    alarm = await station.request(AlarmRaise(id=0, source="equipment", severity="major", code="ESC-3",
                                             text="escalator 3 stopped"))
    raised = await chief.expect(AlarmUpdate)
    assert raised.alarm.id == alarm.result["alarm"] and raised.alarm.origin == "ST-S05-1"
    await chief.request(AlarmAck(id=0, alarm=alarm.result["alarm"]))
    assert any(u.alarm.state == "acknowledged" for u in chief.received(AlarmUpdate)) or (
        (await chief.expect(AlarmUpdate, timeout=2)) is not None)

    await chief.request(TerminalControl(id=0, terminal="HS-009", action="disable"))
    order = await handset.expect(ControlOrder)
    assert order.action == "disable" and order.by == "chief"
    with pytest.raises(RequestError) as disabled:
        await handset.request(FloorRequest(id=0, group="TG-S05"))
    assert disabled.value.error.code == ErrorCode.FORBIDDEN
    await chief.request(TerminalControl(id=0, terminal="HS-009", action="enable"))
    ok = await handset.request(FloorRequest(id=0, group="TG-S05"))
    assert ok.result["outcome"] == "granted"


async def test_location_reports_reach_consoles(connect: Connect) -> None:
    chief = await connect("chief")
    train = await connect("TR1903")
    here = Location(station="S04", next_station="S05", chainage_m=8200.0, direction="up", train_number="1903")
    train.notify(LocationReport(location=here, fix_ms=123))
    update = await chief.expect(LocationUpdate, terminal="TR1903")
    assert update.location == here and update.fix_ms == 123


async def test_video_pull_relays_sdp_and_goes_live(connect: Connect) -> None:
    chief = await connect("chief")
    camera = await connect("CAM-S01-1")
    session = (await chief.request(VideoPull(id=0, source="CAM-S01-1", quality="hd"))).result["session"]
    requested = await camera.expect(VideoSession, session=session)
    assert requested.sink == "chief" and requested.quality == "hd"
    camera.notify(MediaOffer(session=session, sdp="v=0 offer"))
    offer = await chief.expect(MediaOffer, session=session)
    assert offer.sdp == "v=0 offer" and offer.sender == "CAM-S01-1"
    chief.notify(MediaAnswer(session=session, sdp="v=0 answer"))
    await camera.expect(MediaAnswer, session=session)
    await chief.expect(VideoSession, session=session, state="live")


async def test_replayed_command_is_answered_not_reapplied(connect: Connect) -> None:
    chief = await connect("chief")
    first = await chief.request(AlarmRaise(id=0, source="sensor", code="T1", text="smoke", key="same-key"))
    again = await chief.request(AlarmRaise(id=0, source="sensor", code="T1", text="smoke", key="same-key"))
    assert again.replayed and again.result == first.result
    await asyncio.sleep(0.1)
    assert len(chief.received(AlarmUpdate)) == 1
    with pytest.raises(RequestError) as reused:
        await chief.request(AlarmRaise(id=0, source="sensor", code="T2", text="other", key="same-key"))
    assert reused.value.error.code == ErrorCode.KEY_REUSED


async def test_garbage_from_one_terminal_gets_an_error_and_nobody_else_notices(connect: Connect, platform) -> None:  # type: ignore[no-untyped-def]
    chief = await connect("chief")
    await chief.request(AffiliationSet(id=0, groups=["TG-S07"], selected="TG-S07"))
    good = await connect("HS-013")
    async with websockets.connect(platform.url, subprotocols=[SUBPROTOCOL]) as raw:
        hello = Hello(id=1, versions=[1], role="terminal", ident="HS-014", secret=TERMINAL_SECRET)
        await raw.send(encode(hello).decode())
        welcome = await _next_answer(raw)
        assert isinstance(welcome, Welcome)
        for junk in ("{", "[1,2]", '{"t":"floor.request","id":2,"priority":"supreme"}', '{"t":"warp","id":3}',
                     '{"t":"text.send","id":4,"text":"' + "x" * 2000 + '","group":"TG-S07"}'):
            await raw.send(junk)
            error = await _next_answer(raw)
            assert isinstance(error, Error), junk
        codes = []
        await raw.send('{"t":"floor.request","id":5,"group":"TG-S07","epoch":99}')
        codes.append((await _next_answer(raw)).code)  # type: ignore[union-attr]
        await raw.send('{"t":"floor.request","id":6,"group":"TG-S07"}')
        granted = await _next_answer(raw)
        assert isinstance(granted, Ok) and granted.result["outcome"] == "granted"
        assert codes == [ErrorCode.STALE_EPOCH]
        # Everyone else carries on: the console sees the floor taken, and another terminal queues.
        await chief.expect(FloorTaken, holder="HS-014")
        queued = await good.request(FloorRequest(id=0, group="TG-S07"))
        assert queued.result["outcome"] == "queued"


async def _next_answer(raw: websockets.ClientConnection) -> object:
    """Skip notifications and heartbeats until an answer arrives."""
    while True:
        message = decode(await asyncio.wait_for(raw.recv(), 3))
        if message.kind == "answer":
            return message
