"""The talking side's floor participant (TS 24.380), alone and paired with the arbitrator."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from protocols import messages as wire
from protocols.machines import floor_server as server
from protocols.machines.floor_terminal import (
    Denied,
    FloorIdle,
    FloorParticipant,
    FloorTaken,
    ParticipantTimers,
    PermissionGranted,
    PermissionRevoked,
    Queued,
    RequestFailed,
)
from protocols.messages import PriorityClass

CALL = "call-1"


def counting_keys(prefix: str = "k") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def participant(me: str = "st-01", priority: PriorityClass = "normal") -> FloorParticipant:
    return FloorParticipant(CALL, me, priority=priority, keys=counting_keys())


def ok(**result: object) -> wire.Ok:
    return wire.Ok(result=dict(result))


GRANTED = ok(call=CALL, outcome="granted", position=0, limit_ms=30000)


def sent_request(p: FloorParticipant) -> wire.Request:
    """The one request ``p`` has to send right now."""
    [message] = p.messages_to_send()
    assert isinstance(message, wire.Request)
    return message


def granted_participant() -> tuple[FloorParticipant, wire.Request]:
    p = participant()
    p.press(0.0)
    request = sent_request(p)
    p.answer(request, GRANTED, 0.1)
    p.events()
    return p, request


# ----- press, grant, release ------------------------------------------------------------------


def test_press_grant_release_cycle_sends_the_right_messages() -> None:
    p = participant()
    assert p.state == "has_no_permission" and p.get_timer() is None

    p.press(0.0)
    request = sent_request(p)
    assert request == wire.FloorRequest(id=0, key="k1", call=CALL, priority="normal", override=False)
    assert p.state == "pending_request"
    assert p.get_timer() == 0.5  # T101

    p.answer(request, GRANTED, 0.1)
    assert p.events() == [PermissionGranted(call=CALL, limit=30.0)]
    assert (p.state, p.holder, p.limit, p.get_timer()) == ("has_permission", "st-01", 30.0, None)

    p.receive(wire.FloorGranted(call=CALL, holder="st-01", priority="normal", limit_ms=30000), 0.1)
    assert p.messages_to_send() == [wire.FloorAck(call=CALL, of="granted")]
    assert p.events() == []  # the grant was already known

    p.release(5.0)
    release = sent_request(p)
    assert release == wire.FloorRelease(id=0, key="k2", call=CALL)
    assert p.state == "pending_release" and p.get_timer() == 5.5  # T100

    p.answer(release, ok(), 5.1)
    assert (p.state, p.holder, p.limit, p.get_timer()) == ("has_no_permission", None, None, None)
    assert p.messages_to_send() == [] and p.events() == []


def test_retransmissions_repeat_the_same_key_and_give_up_after_c101() -> None:
    p = participant()
    p.press(0.0)
    first = sent_request(p)
    p.handle_timer(0.49)
    assert p.messages_to_send() == []
    p.handle_timer(0.5)
    second = sent_request(p)
    p.handle_timer(1.0)
    third = sent_request(p)
    assert first == second == third  # same key, id left to the session

    p.handle_timer(1.5)  # C101 = 3 sends in all: give up
    assert p.messages_to_send() == []
    assert p.events() == [RequestFailed(call=CALL, what="floor.request", reason="no answer")]
    assert p.state == "has_no_permission" and p.get_timer() is None

    p.answer(first, GRANTED, 2.0)  # too late: ignored
    assert p.state == "has_no_permission" and p.events() == []


def test_answer_to_a_retransmission_is_matched_by_key_even_with_another_id() -> None:
    p = participant()
    p.press(0.0)
    p.messages_to_send()
    p.handle_timer(0.5)
    resent = sent_request(p)
    as_sent_by_the_session = wire.FloorRequest(id=42, key=resent.key, call=CALL)
    p.answer(as_sent_by_the_session, GRANTED, 0.6)
    assert p.state == "has_permission"
    p.answer(wire.FloorRequest(id=43, key="someone-else", call=CALL), GRANTED, 0.7)
    assert p.events() == [PermissionGranted(call=CALL, limit=30.0)]


def test_release_retransmits_then_gives_up_after_c100() -> None:
    p, _ = granted_participant()
    p.release(1.0)
    release = sent_request(p)
    p.handle_timer(1.5)
    p.handle_timer(2.0)
    assert p.messages_to_send() == [release, release]
    p.handle_timer(2.5)
    assert p.events() == [RequestFailed(call=CALL, what="floor.release", reason="no answer")]
    assert (p.state, p.holder) == ("has_no_permission", None)


def test_grant_notification_before_the_answer_grants_once() -> None:
    p = participant()
    p.press(0.0)
    request = sent_request(p)
    p.receive(wire.FloorGranted(call=CALL, holder="st-01", priority="normal", limit_ms=None), 0.05)
    assert p.messages_to_send() == [wire.FloorAck(call=CALL, of="granted")]
    assert p.get_timer() is None  # T101 stopped: the grant answers the request
    p.answer(request, GRANTED, 0.1)
    assert p.events() == [PermissionGranted(call=CALL, limit=None)]
    assert p.limit is None


# ----- queue ----------------------------------------------------------------------------------


def test_queued_then_granted_by_notification() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), ok(call=CALL, outcome="queued", position=2, limit_ms=None), 0.1)
    assert p.events() == [Queued(call=CALL, position=2)]
    assert (p.state, p.position) == ("queued", 2)

    p.receive(wire.FloorQueueInfo(call=CALL, position=1), 1.0)
    assert p.events() == [Queued(call=CALL, position=1)]
    p.receive(wire.FloorQueueInfo(call=CALL, position=1), 1.1)
    assert p.events() == []

    grant = wire.FloorGranted(call=CALL, holder="st-01", priority="normal", limit_ms=20000, from_queue=True)
    p.receive(grant, 1.5)
    assert p.messages_to_send() == [wire.FloorAck(call=CALL, of="granted")]
    assert p.events() == [PermissionGranted(call=CALL, limit=20.0)]
    assert (p.state, p.position, p.holder) == ("has_permission", None, "st-01")


def test_releasing_ptt_while_queued_leaves_the_queue() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), ok(outcome="queued", position=1), 0.1)
    p.release(1.0)
    leave = sent_request(p)
    assert isinstance(leave, wire.FloorRelease)
    assert p.state == "pending_release"
    p.receive(wire.FloorTaken(call=CALL, holder="st-09", priority="normal"), 1.05)
    assert p.state == "pending_release"  # someone else's grant says nothing about our leaving
    p.answer(leave, ok(), 1.1)
    assert p.state == "has_no_permission"


def test_queue_position_is_asked_after_t104_of_silence_and_abandoned_after_c104() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), ok(outcome="queued", position=3), 0.0)
    p.events()
    assert p.get_timer() == 2.0  # T104

    p.handle_timer(2.0)
    ask = sent_request(p)
    assert isinstance(ask, wire.FloorQueuePositionRequest) and ask.call == CALL
    p.answer(ask, ok(position=2), 2.1)
    assert p.events() == [Queued(call=CALL, position=2)]
    assert p.get_timer() == 4.1  # news restarts T104

    p.handle_timer(4.1)
    p.handle_timer(6.1)
    p.handle_timer(8.1)
    asks = p.messages_to_send()
    assert len(asks) == 3 and all(a == asks[0] for a in asks)
    assert p.state == "queued"
    p.handle_timer(10.1)  # C104 asks unanswered
    assert p.events() == [RequestFailed(call=CALL, what="floor.queue_position", reason="no answer")]
    assert (p.state, p.position, p.get_timer()) == ("has_no_permission", None, None)


def test_queue_position_zero_means_we_were_dropped() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), ok(outcome="queued", position=1), 0.0)
    p.events()
    p.handle_timer(2.0)
    p.answer(sent_request(p), ok(position=0), 2.1)
    assert p.events() == [Denied(call=CALL, reason="not_queued")]
    assert p.state == "has_no_permission"


def test_deny_notification_drops_a_queued_request() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), ok(outcome="queued", position=1), 0.0)
    p.events()
    p.receive(wire.FloorDeny(call=CALL, reason="call_ended"), 1.0)
    assert p.events() == [Denied(call=CALL, reason="call_ended")]
    assert (p.state, p.position, p.get_timer()) == ("has_no_permission", None, None)


# ----- denial, revocation, the server moving on -----------------------------------------------


def test_conflict_floor_denied_is_a_denial_and_other_errors_are_failures() -> None:
    p = participant()
    p.press(0.0)
    p.answer(sent_request(p), wire.Error(code=409, reason="floor_denied: broadcast_call"), 0.1)
    assert p.events() == [Denied(call=CALL, reason="broadcast_call")]
    assert p.state == "has_no_permission"

    p.release(0.2)
    p.press(1.0)
    p.answer(sent_request(p), wire.Error(code=403, reason="role may not talk here"), 1.1)
    assert p.events() == [RequestFailed(call=CALL, what="floor.request", reason="403 role may not talk here")]
    assert p.state == "has_no_permission"


def test_revoke_stops_the_talker_acknowledges_and_releases() -> None:
    p, _ = granted_participant()
    p.receive(wire.FloorRevoke(call=CALL, reason="pre_empted"), 2.0)
    ack, release = p.messages_to_send()
    assert ack == wire.FloorAck(call=CALL, of="revoke")
    assert isinstance(release, wire.FloorRelease)
    assert p.events() == [PermissionRevoked(call=CALL, reason="pre_empted")]
    assert p.state == "pending_release"

    p.receive(wire.FloorTaken(call=CALL, holder="hs-99", priority="emergency"), 2.1)
    assert p.events() == [FloorTaken(call=CALL, holder="hs-99", priority="emergency")]
    assert (p.state, p.holder, p.get_timer()) == ("has_no_permission", "hs-99", None)
    p.answer(release, ok(), 2.2)  # the release's answer after the taken: nothing more
    assert p.state == "has_no_permission" and p.events() == []


def test_revoke_for_call_end_sends_no_release() -> None:
    p, _ = granted_participant()
    p.receive(wire.FloorRevoke(call=CALL, reason="call_ended"), 2.0)
    assert p.messages_to_send() == [wire.FloorAck(call=CALL, of="revoke")]
    assert p.events() == [PermissionRevoked(call=CALL, reason="call_ended")]
    assert (p.state, p.holder) == ("has_no_permission", None)


@pytest.mark.parametrize("notice", [wire.FloorIdle(call=CALL),
                                    wire.FloorTaken(call=CALL, holder="st-02", priority="normal")])
def test_holder_that_the_server_moved_on_from_stops_talking(notice: wire.Message) -> None:
    p, _ = granted_participant()
    p.receive(notice, 3.0)
    events = p.events()
    assert events[-1] == PermissionRevoked(call=CALL, reason=wire.tag_of(notice).removeprefix("floor."))
    assert p.state == "has_no_permission" and p.messages_to_send() == []


def test_notifications_of_other_calls_and_answers_via_receive_are_ignored() -> None:
    p, _ = granted_participant()
    p.receive(wire.FloorRevoke(call="call-2", reason="pre_empted"), 1.0)
    p.receive(wire.FloorIdle(call="call-2"), 1.0)
    p.receive(wire.Ok(re=1, result={"outcome": "queued", "position": 1}), 1.0)
    assert p.state == "has_permission" and p.events() == [] and p.messages_to_send() == []


# ----- the PTT key during requests and releases -----------------------------------------------


def test_ptt_released_before_the_grant_gives_the_floor_straight_back() -> None:
    p = participant()
    p.press(0.0)
    request = sent_request(p)
    p.release(0.05)
    assert p.messages_to_send() == []  # waits for the answer
    p.answer(request, GRANTED, 0.1)
    release = sent_request(p)
    assert isinstance(release, wire.FloorRelease)
    assert p.state == "pending_release"
    assert p.events() == []  # never told to talk


def test_ptt_released_before_being_queued_leaves_the_queue() -> None:
    p = participant()
    p.press(0.0)
    request = sent_request(p)
    p.release(0.05)
    p.answer(request, ok(outcome="queued", position=4), 0.1)
    assert isinstance(sent_request(p), wire.FloorRelease)
    assert p.state == "pending_release"


def test_ptt_pressed_during_the_release_asks_again_once_it_completes() -> None:
    p, _ = granted_participant()
    p.release(1.0)
    release = sent_request(p)
    p.press(1.05)
    assert p.messages_to_send() == []
    p.answer(release, ok(), 1.1)
    again = sent_request(p)
    assert isinstance(again, wire.FloorRequest) and again.key == "k3"
    assert p.state == "pending_request"


def test_unexpected_grant_is_given_back_unless_ptt_is_held() -> None:
    p = participant()
    p.receive(wire.FloorGranted(call=CALL, holder="st-01", priority="normal"), 0.0)
    ack, release = p.messages_to_send()
    assert ack == wire.FloorAck(call=CALL, of="granted") and isinstance(release, wire.FloorRelease)

    q = participant()
    q.press(0.0)
    q.messages_to_send()
    for t in (0.5, 1.0, 1.5):
        q.handle_timer(t)  # the request failed, but PTT is still held
    q.receive(wire.FloorGranted(call=CALL, holder="st-01", priority="normal"), 2.0)
    assert q.state == "has_permission"
    assert q.events()[-1] == PermissionGranted(call=CALL, limit=None)


def test_dispatcher_override_while_queued_sends_a_new_request() -> None:
    p = participant("occ-1", "dispatcher")
    p.press(0.0)
    p.answer(sent_request(p), ok(outcome="queued", position=2), 0.1)
    p.press(1.0, override=True)
    request = sent_request(p)
    assert isinstance(request, wire.FloorRequest)
    assert (request.override, request.priority, request.key) == (True, "dispatcher", "k2")
    assert p.state == "pending_request"


def test_participant_timers_are_configurable_and_validated() -> None:
    p = FloorParticipant(CALL, "st-01", timers=ParticipantTimers(t101=0.2, c101=1), keys=counting_keys())
    p.press(0.0)
    p.messages_to_send()
    assert p.get_timer() == 0.2
    p.handle_timer(0.2)  # one send in all: no retransmission, straight to failure
    assert p.messages_to_send() == []
    assert p.events() == [RequestFailed(call=CALL, what="floor.request", reason="no answer")]
    with pytest.raises(ValueError):
        ParticipantTimers(t104=0.0)
    with pytest.raises(ValueError):
        ParticipantTimers(c100=0)


# ----- end of media (T103) --------------------------------------------------------------------


def test_silence_after_media_is_taken_as_idle_but_only_once_media_was_seen() -> None:
    p = participant()
    p.receive(wire.FloorTaken(call=CALL, holder="st-02", priority="normal"), 0.0)
    assert p.get_timer() is None  # no media yet: T103 not armed
    p.media_received(1.0)
    p.media_received(3.0)
    assert p.get_timer() == 7.0
    p.events()
    p.handle_timer(7.0)
    assert p.events() == [FloorIdle(call=CALL)]
    assert p.holder is None and p.state == "has_no_permission"


# ----- paired with the arbitrator -------------------------------------------------------------


class Router:
    """Carries messages between participants and one arbitrator, as the platform would, with no sockets."""

    def __init__(self, parties: list[FloorParticipant], *, answer_first: bool = True,
                 timers: server.FloorTimers | None = None) -> None:
        self.arb = server.FloorArbitrator(CALL, timers=timers or server.FloorTimers())
        self.parties = {p.me: p for p in parties}
        self.answer_first = answer_first
        self.answers: dict[str, wire.Ok | wire.Error] = {}
        self.lose_answers = 0
        self.now = 0.0
        self.max_talkers = 0

    def settle(self) -> None:
        busy = True
        while busy:
            busy = False
            for p in self.parties.values():
                for message in p.messages_to_send():
                    busy = True
                    self.carry(p, message)

    def carry(self, p: FloorParticipant, message: wire.Message) -> None:
        if isinstance(message, wire.FloorAck):
            if message.of == "granted":
                self.arb.ack(p.me, self.now)
            return
        assert isinstance(message, wire.Request) and message.key is not None
        if message.key in self.answers:
            answer = self.answers[message.key]  # a repeat: answered, not applied again
        else:
            answer = self.apply(p, message)
            self.answers[message.key] = answer
        notices = self.notices()
        lost = self.lose_answers > 0
        self.lose_answers -= lost
        if self.answer_first and not lost:
            p.answer(message, answer, self.now)
        self.deliver(notices)
        if not self.answer_first and not lost:
            p.answer(message, answer, self.now)
        self.watch()

    def apply(self, p: FloorParticipant, message: wire.Message) -> wire.Ok | wire.Error:
        if isinstance(message, wire.FloorRequest):
            decision = self.arb.request(p.me, message.priority, self.now, override=message.override)
            if decision.outcome == "denied":
                return wire.Error(code=409, reason=f"floor_denied: {decision.reason}")
            limit_ms = None if decision.limit is None else round(decision.limit * 1000)
            return ok(call=CALL, outcome=decision.outcome, position=decision.position, limit_ms=limit_ms)
        if isinstance(message, wire.FloorRelease):
            if self.arb.release(p.me, self.now):
                return ok()
            return wire.Error(code=409, reason="not holding or queued")
        assert isinstance(message, wire.FloorQueuePositionRequest)
        return ok(position=next((e.position for e in self.arb.queue if e.party == p.me), 0))

    def notices(self) -> list[tuple[str, wire.Message]]:
        """The arbitrator's events as (recipient, notification)."""
        out: list[tuple[str, wire.Message]] = []
        everyone = list(self.parties)
        for e in self.arb.events():
            if isinstance(e, server.Granted):
                limit_ms = None if e.limit is None else round(e.limit * 1000)
                out.append((e.party, wire.FloorGranted(call=CALL, holder=e.party, priority=e.priority,
                                                       limit_ms=limit_ms, from_queue=e.from_queue)))
            elif isinstance(e, server.Taken):
                out += [(who, wire.FloorTaken(call=CALL, holder=e.holder, priority=e.priority))
                        for who in everyone if who != e.holder]
            elif isinstance(e, server.Idle):
                out += [(who, wire.FloorIdle(call=CALL)) for who in everyone]
            elif isinstance(e, server.Revoked):
                out.append((e.party, wire.FloorRevoke(call=CALL, reason=e.reason)))
            elif isinstance(e, server.Denied):
                out.append((e.party, wire.FloorDeny(call=CALL, reason=e.reason)))
            elif isinstance(e, server.QueuePosition):
                out.append((e.party, wire.FloorQueueInfo(call=CALL, position=e.position)))
            elif isinstance(e, server.QueueChanged):
                out += [(who, wire.FloorQueueInfo(call=CALL, queue=list(e.queue))) for who in everyone]
        return out

    def deliver(self, notices: list[tuple[str, wire.Message]]) -> None:
        for who, notice in notices:
            self.parties[who].receive(notice, self.now)
            self.watch()

    def advance(self, to: float) -> None:
        """Let time pass to ``to``, waking at every deadline on the way as the asyncio drivers do."""
        while True:
            deadlines = [t for t in [self.arb.get_timer(), *(p.get_timer() for p in self.parties.values())]
                         if t is not None and t <= to]
            self.now = min(deadlines, default=to)
            self.arb.handle_timer(self.now)
            self.deliver(self.notices())
            for p in self.parties.values():
                p.handle_timer(self.now)
            self.settle()
            if not deadlines:
                return

    def act(self, action: Callable[[], None]) -> None:
        action()
        self.settle()

    def watch(self) -> None:
        talkers = [p.me for p in self.parties.values() if p.state == "has_permission"]
        assert len(talkers) <= 1, talkers
        self.max_talkers = max(self.max_talkers, len(talkers))

    def assert_agreement(self) -> None:
        """After settling every participant's view matches the arbitrator's."""
        arb = self.arb
        positions = {e.party: e.position for e in arb.queue}
        assert arb.state in ("idle", "taken")  # a revoked holder always released at once
        for me, p in self.parties.items():
            assert p.state not in ("pending_request", "pending_release"), (me, p.state)
            assert (p.state == "has_permission") == (arb.holder == me), (me, p.state, arb.holder)
            assert (p.state == "queued") == (me in positions), (me, p.state, positions)
            assert p.position == positions.get(me)
            assert p.holder == arb.holder, (me, p.holder, arb.holder)
            assert p.queue == arb.queue
            assert p.outstanding is None


def make_parties() -> list[FloorParticipant]:
    classes: list[tuple[str, PriorityClass]] = [("st-01", "normal"), ("st-02", "normal"),
                                                ("occ-1", "dispatcher"), ("tr-12", "imminent_peril"),
                                                ("hs-07", "emergency")]
    return [FloorParticipant(CALL, me, priority=priority, keys=counting_keys(f"{me}/"))
            for me, priority in classes]


@pytest.mark.parametrize("answer_first", [True, False], ids=["answer-first", "notices-first"])
def test_paired_scenario_keeps_every_view_in_step(answer_first: bool) -> None:
    router = Router(make_parties(), answer_first=answer_first, timers=server.FloorTimers(t2_normal=10.0))
    p = router.parties

    router.act(lambda: p["st-01"].press(0.0))
    router.assert_agreement()
    assert router.arb.holder == "st-01"

    router.act(lambda: p["st-02"].press(1.0))
    router.act(lambda: p["occ-1"].press(1.5))  # pre-empts the normal talker
    router.assert_agreement()
    assert router.arb.holder == "occ-1" and [e.party for e in router.arb.queue] == ["st-02"]
    assert any(isinstance(e, PermissionRevoked) for e in p["st-01"].events())

    router.act(lambda: p["st-01"].press(2.0))  # a new press after the revoke: queued
    router.act(lambda: p["hs-07"].press(2.5))  # emergency pre-empts the dispatcher
    router.assert_agreement()
    assert router.arb.holder == "hs-07"
    router.act(lambda: p["occ-1"].press(3.0, override=True))  # the dispatcher overrides back
    router.assert_agreement()
    assert router.arb.holder == "occ-1"
    assert PermissionRevoked(call=CALL, reason="override") in p["hs-07"].events()
    assert p["hs-07"].state == "has_no_permission"  # overridden: no automatic re-request
    assert [e.party for e in router.arb.queue] == ["st-02", "st-01"]
    assert [q.position for q in (p["st-02"], p["st-01"])] == [1, 2]

    router.act(lambda: p["occ-1"].release(4.0))
    router.assert_agreement()
    assert router.arb.holder == "st-02"

    router.advance(14.0)  # st-02's talk-time limit: revoked, st-01 next
    router.assert_agreement()
    assert router.arb.holder == "st-01"
    assert PermissionRevoked(call=CALL, reason="talk_time_limit") in p["st-02"].events()
    router.act(lambda: p["st-02"].release(15.5))
    router.act(lambda: p["st-01"].release(16.0))
    router.assert_agreement()
    assert router.arb.state == "idle" and all(q.holder is None for q in p.values())
    assert router.max_talkers == 1


def test_lost_answer_is_recovered_by_retransmission_without_a_second_grant() -> None:
    router = Router(make_parties())
    alice = router.parties["st-01"]
    router.lose_answers = 1
    router.act(lambda: alice.press(0.0))
    assert alice.state == "has_permission"  # told by the floor.granted notice meanwhile
    alice.release(0.1)
    router.lose_answers = 1
    router.settle()
    assert alice.state == "has_no_permission"  # the floor.idle completed the release
    router.act(lambda: router.parties["st-02"].press(0.2))
    router.lose_answers = 1
    router.act(lambda: router.parties["st-01"].press(0.3))
    assert router.parties["st-01"].state == "pending_request"
    router.advance(0.8)  # T101: the same key again, answered from memory, not queued twice
    router.assert_agreement()
    assert [e.party for e in router.arb.queue] == ["st-01"]


PARTY_IDS = ["st-01", "st-02", "occ-1", "tr-12", "hs-07"]


class PairedFloor(RuleBasedStateMachine):
    """Random presses, releases, lost answers and time through the router: one talker, agreeing views."""

    @initialize(answer_first=st.booleans())
    def start(self, answer_first: bool) -> None:
        self.router = Router(make_parties(), answer_first=answer_first,
                             timers=server.FloorTimers(t2_normal=3.0, t2_dispatcher=6.0, queue_limit=3))

    def _act(self, action: Callable[[], None], lose_answer: bool) -> None:
        self.router.lose_answers = int(lose_answer)
        self.router.act(action)
        self.router.lose_answers = 0
        if lose_answer:  # T101/T100 re-send with the same key; the router answers from memory
            self.router.advance(self.router.now + 0.5)

    @rule(me=st.sampled_from(PARTY_IDS), override=st.booleans(), lose_answer=st.booleans())
    def press(self, me: str, override: bool, lose_answer: bool) -> None:
        self._act(lambda: self.router.parties[me].press(self.router.now, override=override), lose_answer)

    @rule(me=st.sampled_from(PARTY_IDS), lose_answer=st.booleans())
    def release(self, me: str, lose_answer: bool) -> None:
        self._act(lambda: self.router.parties[me].release(self.router.now), lose_answer)

    @rule(dt=st.floats(0.0, 5.0))
    def time_passes(self, dt: float) -> None:
        self.router.advance(self.router.now + dt)

    @invariant()
    def views_agree(self) -> None:
        if hasattr(self, "router"):
            self.router.assert_agreement()


TestPairedFloor = PairedFloor.TestCase
TestPairedFloor.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
