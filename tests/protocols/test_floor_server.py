"""The platform's floor arbitrator (TS 24.380 floor control server), driven by lists of calls."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from protocols.machines.floor_server import (
    Denied,
    FloorArbitrator,
    FloorDecision,
    FloorTimers,
    Granted,
    GrantLost,
    Idle,
    QueueChanged,
    QueuePosition,
    Revoked,
    Taken,
)
from protocols.messages import PRIORITY_RANK, PriorityClass, QueueEntry

CALL = "call-1"


def granted(party: str, priority: PriorityClass = "normal", limit: float | None = 30.0, *,
            from_queue: bool = False, repeat: bool = False) -> Granted:
    return Granted(call=CALL, party=party, priority=priority, limit=limit, from_queue=from_queue,
                   repeat=repeat)


def taken(holder: str, priority: PriorityClass = "normal") -> Taken:
    return Taken(call=CALL, holder=holder, priority=priority)


def queue_of(arb: FloorArbitrator) -> list[tuple[str, PriorityClass, int]]:
    return [(e.party, e.priority, e.position) for e in arb.queue]


DEFAULT_TIMERS = FloorTimers()


def holding(holder: str, priority: PriorityClass = "normal", *, timers: FloorTimers = DEFAULT_TIMERS,
            now: float = 0.0) -> FloorArbitrator:
    """An arbitrator whose floor ``holder`` was granted (and acknowledged) at ``now``, events drained."""
    arb = FloorArbitrator(CALL, timers=timers)
    assert arb.request(holder, priority, now).outcome == "granted"
    arb.ack(holder, now)
    arb.events()
    return arb


# ----- G: Floor Idle -> G: Floor Taken --------------------------------------------------------


def test_idle_request_is_granted_at_once_with_the_class_talk_time_limit() -> None:
    arb = FloorArbitrator(CALL)
    assert arb.state == "idle"
    assert arb.get_timer() is None

    decision = arb.request("st-01", "normal", 10.0)

    assert decision == FloorDecision(outcome="granted", limit=30.0)
    assert arb.events() == [granted("st-01"), taken("st-01")]
    assert (arb.state, arb.holder, arb.holder_priority) == ("taken", "st-01", "normal")
    assert arb.get_timer() == 11.0  # T20 (grant repetition) comes before T2 at 40.0
    assert arb.events() == []


def test_emergency_grant_has_no_talk_time_limit() -> None:
    arb = FloorArbitrator(CALL)
    assert arb.request("hs-07", "emergency", 0.0).limit is None
    assert arb.events()[0] == granted("hs-07", "emergency", None)
    arb.ack("hs-07", 0.0)
    assert arb.get_timer() is None  # neither T2 nor T20: nothing will ever take the floor away


def test_repeated_request_from_the_holder_is_granted_again_without_new_events() -> None:
    arb = holding("st-01")
    decision = arb.request("st-01", "normal", 12.0)
    assert decision == FloorDecision(outcome="granted", limit=18.0)
    assert arb.events() == [granted("st-01", limit=18.0, repeat=True)]
    assert arb.queue == []


def test_holder_raising_its_class_is_announced_and_gets_the_new_limit() -> None:
    arb = holding("st-01")
    decision = arb.request("st-01", "dispatcher", 10.0)
    assert decision.limit == 120.0
    assert arb.events() == [taken("st-01", "dispatcher"), granted("st-01", "dispatcher", 120.0, repeat=True)]
    assert arb.holder_priority == "dispatcher"


# ----- queue ----------------------------------------------------------------------------------


def test_queue_orders_by_class_then_arrival_with_positions_told_to_whoever_moved() -> None:
    arb = holding("em-01", "emergency")  # nobody outranks an emergency holder: everyone queues
    arrivals: list[tuple[str, PriorityClass, int]] = [
        ("n1", "normal", 1),
        ("d1", "dispatcher", 1),
        ("n2", "normal", 3),
        ("ip1", "imminent_peril", 1),
        ("d2", "dispatcher", 3),
    ]
    moves: list[list[tuple[str, int]]] = []
    for now, (party, priority, expected_position) in enumerate(arrivals, start=1):
        assert arb.request(party, priority, float(now)) == FloorDecision(outcome="queued",
                                                                          position=expected_position)
        events = arb.events()
        assert isinstance(events[0], QueueChanged)
        assert list(events[0].queue) == arb.queue
        assert all(isinstance(e, QueuePosition) for e in events[1:])
        moves.append([(e.party, e.position) for e in events[1:] if isinstance(e, QueuePosition)])

    assert queue_of(arb) == [("ip1", "imminent_peril", 1), ("d1", "dispatcher", 2), ("d2", "dispatcher", 3),
                             ("n1", "normal", 4), ("n2", "normal", 5)]
    # the requester learns its position from its answer; only those pushed back are told
    assert moves == [[], [("n1", 2)], [], [("d1", 2), ("n1", 3), ("n2", 4)], [("n1", 4), ("n2", 5)]]
    assert arb.state == "taken" and arb.holder == "em-01"

    grants = []
    for now in range(10, 15):
        assert arb.release(arb.holder or "", float(now))
        events = arb.events()
        grant = next(e for e in events if isinstance(e, Granted))
        assert grant.from_queue
        arb.ack(grant.party, float(now))
        grants.append(grant.party)
        remaining = [(e.party, e.position) for e in events if isinstance(e, QueuePosition)]
        assert remaining == [(e.party, e.position) for e in arb.queue]  # everyone moved up by one
    assert grants == ["ip1", "d1", "d2", "n1", "n2"]
    assert arb.release("n2", 20.0)
    assert arb.events() == [Idle(call=CALL)]
    assert arb.state == "idle"


def test_re_request_keeps_the_place_and_a_raised_class_moves_up_keeping_arrival() -> None:
    arb = holding("em-01", "emergency")
    for i, party in enumerate(["a", "b", "c"]):
        arb.request(party, "normal", float(i))
    arb.request("x", "dispatcher", 4.0)
    arb.events()

    assert arb.request("b", "normal", 5.0) == FloorDecision(outcome="queued", position=3)
    assert arb.events() == []
    # c arrived before x, so among dispatchers it goes first
    assert arb.request("c", "dispatcher", 6.0) == FloorDecision(outcome="queued", position=1)
    assert QueuePosition(call=CALL, party="x", position=2) in arb.events()
    assert arb.request("c", "normal", 7.0).position == 1  # a class is never lowered
    assert queue_of(arb) == [("c", "dispatcher", 1), ("x", "dispatcher", 2), ("a", "normal", 3),
                             ("b", "normal", 4)]
    assert arb.request("a", "dispatcher", 8.0).position == 1  # arrived before c and x
    assert [e.party for e in arb.queue] == ["a", "c", "x", "b"]


def test_queued_party_leaves_the_queue_on_release() -> None:
    arb = holding("em-01", "emergency")
    arb.request("a", "normal", 1.0)
    arb.request("b", "normal", 2.0)
    arb.events()

    assert arb.release("a", 3.0)
    assert arb.events() == [
        QueueChanged(call=CALL, queue=(QueueEntry(party="b", priority="normal", position=1),)),
        QueuePosition(call=CALL, party="b", position=1),
    ]
    assert not arb.release("a", 4.0)
    assert not arb.release("nobody", 4.0)
    assert arb.events() == []
    assert arb.holder == "em-01"


def test_full_queue_denies_equal_classes_and_is_bumped_by_a_higher_one() -> None:
    arb = holding("em-01", "emergency", timers=FloorTimers(queue_limit=2))
    assert arb.request("a", "normal", 1.0).outcome == "queued"
    assert arb.request("b", "normal", 2.0).outcome == "queued"
    arb.events()

    assert arb.request("c", "normal", 3.0) == FloorDecision(outcome="denied", reason="queue_full")
    assert arb.events() == []
    assert arb.request("a", "normal", 3.5).outcome == "queued"  # already queued: not a newcomer

    assert arb.request("d", "dispatcher", 4.0) == FloorDecision(outcome="queued", position=1)
    events = arb.events()
    assert events[0] == Denied(call=CALL, party="b", reason="queue_full")
    assert [e.party for e in arb.queue] == ["d", "a"]
    assert QueuePosition(call=CALL, party="a", position=2) in events


def test_no_queue_at_all_when_the_limit_is_zero() -> None:
    arb = holding("n1", timers=FloorTimers(queue_limit=0))
    assert arb.request("n2", "normal", 1.0).reason == "queue_full"
    assert arb.request("em", "emergency", 1.0).reason == "queue_full"
    assert arb.state == "taken" and arb.events() == []


# ----- pre-emption and override (G: pending Floor Revoke) -------------------------------------


@pytest.mark.parametrize("the_holder_stops", ["releases", "ignores the revoke until T8"])
def test_emergency_pre_empts_a_normal_talker(the_holder_stops: str) -> None:
    arb = holding("st-01", "normal", now=0.0)
    arb.request("n2", "normal", 1.0)
    arb.events()

    decision = arb.request("hs-99", "emergency", 2.0)

    assert decision == FloorDecision(outcome="queued", position=1)
    events = arb.events()
    assert events[0] == Revoked(call=CALL, party="st-01", reason="pre_empted")
    assert QueuePosition(call=CALL, party="n2", position=2) in events
    assert arb.state == "pending_revoke"
    assert arb.holder == "st-01"  # still until it stops or T8 runs out
    assert arb.get_timer() == 2.5  # T8

    if the_holder_stops == "releases":
        assert arb.release("st-01", 2.2)
        at = 2.2
    else:
        arb.handle_timer(2.49)
        assert arb.events() == [] and arb.state == "pending_revoke"
        arb.handle_timer(2.5)
        at = 2.5
    events = arb.events()
    assert events[:2] == [granted("hs-99", "emergency", None, from_queue=True), taken("hs-99", "emergency")]
    assert QueuePosition(call=CALL, party="n2", position=1) in events
    assert (arb.state, arb.holder) == ("taken", "hs-99")
    assert arb.get_timer() == at + 1.0  # only T20: an emergency talker has no T2
    assert not arb.release("st-01", 3.0)  # the revoked talker no longer holds anything


def test_imminent_peril_pre_empts_a_dispatcher_but_not_the_other_way_round() -> None:
    arb = holding("occ-1", "dispatcher")
    assert arb.request("tr-12", "imminent_peril", 1.0).outcome == "queued"
    assert arb.events()[0] == Revoked(call=CALL, party="occ-1", reason="pre_empted")
    arb.release("occ-1", 1.1)
    assert arb.events()[0] == granted("tr-12", "imminent_peril", None, from_queue=True)
    arb.ack("tr-12", 1.1)

    assert arb.request("occ-1", "dispatcher", 2.0) == FloorDecision(outcome="queued", position=1)
    assert not any(isinstance(e, Revoked) for e in arb.events())
    assert arb.state == "taken" and arb.holder == "tr-12"


def test_equal_class_does_not_pre_empt() -> None:
    arb = holding("occ-1", "dispatcher")
    assert arb.request("occ-2", "dispatcher", 1.0).outcome == "queued"
    assert arb.state == "taken"


def test_dispatcher_override_revokes_an_emergency_holder_and_jumps_the_class_order() -> None:
    arb = holding("hs-07", "emergency")
    arb.request("hs-08", "emergency", 1.0)
    arb.events()

    decision = arb.request("occ-1", "dispatcher", 2.0, override=True)

    assert decision == FloorDecision(outcome="queued", position=1)
    events = arb.events()
    assert events[0] == Revoked(call=CALL, party="hs-07", reason="override")
    assert QueuePosition(call=CALL, party="hs-08", position=2) in events
    assert arb.pending_override == "occ-1"
    assert queue_of(arb) == [("occ-1", "dispatcher", 1), ("hs-08", "emergency", 2)]

    # a second override while the first is pending queues by class
    assert arb.request("occ-2", "dispatcher", 2.1, override=True).position == 3
    assert arb.pending_override == "occ-1"
    assert not any(isinstance(e, Revoked) for e in arb.events())

    arb.release("hs-07", 2.2)
    assert arb.events()[0] == granted("occ-1", "dispatcher", 120.0, from_queue=True)
    assert arb.pending_override is None
    arb.ack("occ-1", 2.2)
    arb.release("occ-1", 3.0)
    assert arb.events()[0] == granted("hs-08", "emergency", None, from_queue=True)


def test_request_while_the_revoke_is_pending_queues_by_class() -> None:
    arb = holding("st-01", "normal")
    arb.request("hs-01", "dispatcher", 1.0)
    arb.events()
    assert arb.state == "pending_revoke"

    assert arb.request("hs-02", "emergency", 1.1) == FloorDecision(outcome="queued", position=1)
    assert not any(isinstance(e, Revoked) for e in arb.events())  # the holder is revoked once
    assert arb.request("st-02", "normal", 1.2).position == 3
    assert arb.request("st-01", "normal", 1.3) == FloorDecision(outcome="denied", reason="revoked")
    arb.handle_timer(1.5)
    assert arb.holder == "hs-02"


# ----- timers ---------------------------------------------------------------------------------


def test_talk_time_limit_revokes_and_the_next_in_queue_talks() -> None:
    timers = FloorTimers(t2_normal=5.0)
    arb = holding("st-01", timers=timers, now=0.0)
    arb.request("st-02", "normal", 1.0)
    arb.events()

    arb.handle_timer(4.9)
    assert arb.events() == []
    arb.handle_timer(5.0)
    assert arb.events() == [Revoked(call=CALL, party="st-01", reason="talk_time_limit")]
    assert arb.state == "pending_revoke"
    assert arb.request("st-01", "normal", 5.1).reason == "revoked"
    arb.handle_timer(5.5)
    assert arb.events()[:2] == [granted("st-02", limit=5.0, from_queue=True), taken("st-02")]


def test_talk_time_limit_with_nobody_waiting_ends_in_idle_not_in_a_new_grant() -> None:
    arb = holding("st-01", timers=FloorTimers(t2_normal=5.0))
    arb.handle_timer(5.0)
    assert arb.events() == [Revoked(call=CALL, party="st-01", reason="talk_time_limit")]
    assert arb.release("st-01", 5.2)
    assert arb.events() == [Idle(call=CALL)]
    assert (arb.state, arb.holder) == ("idle", None)


def test_unacknowledged_grant_is_repeated_c20_times_then_lost_and_the_floor_moves_on() -> None:
    arb = FloorArbitrator(CALL)  # T20 = 1 s, C20 = 3
    arb.request("hs-01", "normal", 0.0)
    arb.request("hs-02", "normal", 0.5)
    arb.events()

    arb.handle_timer(1.0)
    assert arb.events() == [granted("hs-01", limit=29.0, repeat=True)]
    arb.handle_timer(2.0)
    assert arb.events() == [granted("hs-01", limit=28.0, repeat=True)]
    arb.handle_timer(2.999)
    assert arb.events() == []
    arb.handle_timer(3.0)
    events = arb.events()
    assert events[:3] == [GrantLost(call=CALL, party="hs-01"), granted("hs-02", from_queue=True),
                          taken("hs-02")]
    assert arb.holder == "hs-02" and arb.queue == []

    arb.ack("hs-02", 3.5)
    arb.handle_timer(10.0)
    assert arb.events() == []  # acknowledged: no repetition


def test_late_handle_timer_catches_up_every_deadline_in_order() -> None:
    arb = FloorArbitrator(CALL)
    arb.request("hs-01", "normal", 0.0)
    arb.events()
    arb.handle_timer(100.0)
    assert [type(e).__name__ for e in arb.events()] == ["Granted", "Granted", "GrantLost", "Idle"]
    assert arb.state == "idle" and arb.get_timer() is None


def test_end_of_media_timer_runs_only_after_the_media_plane_reported_the_holder() -> None:
    arb = holding("hs-07", "emergency")  # no T2, T20 stopped by the ack: nothing armed
    assert arb.get_timer() is None
    arb.handle_timer(1000.0)
    assert arb.holder == "hs-07"

    arb.media_activity("someone-else", True, 1000.0)
    assert arb.get_timer() is None
    arb.media_activity("hs-07", True, 1000.0)
    assert arb.get_timer() == 1004.0
    arb.media_activity("hs-07", True, 1002.0)
    assert arb.get_timer() == 1006.0  # restarted by fresh media
    arb.media_activity("hs-07", False, 1003.0)
    assert arb.get_timer() == 1006.0  # "stopped" does not restart it
    arb.handle_timer(1005.9)
    assert arb.holder == "hs-07"
    arb.handle_timer(1006.0)
    assert arb.events() == [Idle(call=CALL)]
    assert arb.state == "idle"


def test_media_stopped_as_first_report_arms_t1() -> None:
    arb = holding("hs-07", "emergency")
    arb.media_activity("hs-07", False, 5.0)
    assert arb.get_timer() == 9.0


def test_t1_is_not_carried_over_to_the_next_grant() -> None:
    arb = holding("a", "normal")
    arb.request("b", "normal", 0.5)
    arb.media_activity("a", True, 1.0)
    arb.release("a", 2.0)
    arb.ack("b", 2.0)
    assert arb.get_timer() == 32.0  # b's T2 only; T1 waits for b's own media


@pytest.mark.parametrize(("c7", "expected"), [(1, 1), (3, 3)])
def test_idle_is_announced_c7_times_in_all(c7: int, expected: int) -> None:
    arb = holding("st-01", timers=FloorTimers(c7=c7, t7=1.0))
    arb.release("st-01", 10.0)
    arb.handle_timer(100.0)
    assert arb.events() == [Idle(call=CALL)] * expected
    assert arb.get_timer() is None


def test_idle_repetition_stops_when_the_floor_is_taken() -> None:
    arb = holding("st-01", timers=FloorTimers(c7=5, t7=1.0))
    arb.release("st-01", 10.0)
    arb.handle_timer(11.0)
    arb.request("st-02", "normal", 11.5)
    arb.ack("st-02", 11.5)
    arb.handle_timer(20.0)
    assert [type(e).__name__ for e in arb.events()] == ["Idle", "Idle", "Granted", "Taken"]


# ----- parties leaving, broadcast, call end ---------------------------------------------------


def test_removing_the_holder_gives_the_floor_to_the_next() -> None:
    arb = holding("a")
    arb.request("b", "normal", 1.0)
    arb.events()
    arb.remove_party("a", 2.0)
    assert arb.events()[:2] == [granted("b", from_queue=True), taken("b")]
    arb.ack("b", 2.0)
    arb.remove_party("b", 3.0, disabled=True)
    assert arb.events() == [Revoked(call=CALL, party="b", reason="disabled"), Idle(call=CALL)]


def test_removing_a_queued_party_drops_it_from_the_queue() -> None:
    arb = holding("a")
    arb.request("b", "normal", 1.0)
    arb.request("c", "normal", 1.0)
    arb.events()
    arb.remove_party("b", 2.0)
    events = arb.events()
    assert isinstance(events[0], QueueChanged)
    assert QueuePosition(call=CALL, party="c", position=1) in events
    assert [e.party for e in arb.queue] == ["c"] and arb.holder == "a"
    arb.remove_party("c", 3.0, disabled=True)
    assert Denied(call=CALL, party="c", reason="disabled") in arb.events()
    arb.remove_party("nobody", 4.0)
    assert arb.events() == [] and arb.holder == "a"


def test_broadcast_call_lets_only_the_fixed_holder_talk() -> None:
    arb = FloorArbitrator(CALL, fixed_holder="occ-1")
    assert arb.request("tr-01", "emergency", 0.0) == FloorDecision(outcome="denied", reason="broadcast_call")
    assert arb.events() == [] and arb.state == "idle"
    assert arb.request("occ-1", "dispatcher", 1.0).outcome == "granted"
    assert arb.request("tr-01", "emergency", 2.0, override=True).reason == "broadcast_call"
    assert arb.holder == "occ-1" and arb.queue == []


def test_call_end_revokes_the_holder_and_denies_every_queued_party() -> None:
    arb = holding("a")
    arb.request("b", "normal", 1.0)
    arb.request("c", "normal", 1.0)
    arb.events()

    arb.end(5.0)

    assert arb.events() == [
        Revoked(call=CALL, party="a", reason="call_ended"),
        Denied(call=CALL, party="b", reason="call_ended"),
        Denied(call=CALL, party="c", reason="call_ended"),
        QueueChanged(call=CALL, queue=()),
    ]
    assert (arb.state, arb.holder, arb.queue, arb.get_timer()) == ("idle", None, [], None)
    assert arb.request("b", "emergency", 6.0).reason == "call_ended"
    assert not arb.release("a", 6.0)
    arb.end(7.0)
    assert arb.events() == []


def test_timers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FloorTimers(t8=0.0)
    with pytest.raises(ValueError):
        FloorTimers(c20=0)


# ----- invariants under random input ----------------------------------------------------------

PARTIES = ["a", "b", "c", "d", "e", "f"]
PRIORITIES: list[PriorityClass] = ["normal", "dispatcher", "imminent_peril", "emergency"]


class ArbitratorMachine(RuleBasedStateMachine):
    """Random request/release/ack/media/timer sequences keep the floor consistent."""

    @initialize(queue_limit=st.integers(0, 5), c7=st.integers(1, 3), c20=st.integers(1, 3))
    def start(self, queue_limit: int, c7: int, c20: int) -> None:
        self.arb = FloorArbitrator(CALL, timers=FloorTimers(t2_normal=3.0, t2_dispatcher=5.0, t1=2.0, t8=0.5,
                                                            t20=1.0, c20=c20, t7=1.0, c7=c7,
                                                            queue_limit=queue_limit))
        self.now = 0.0
        self.arrivals: dict[str, int] = {}
        self.step = 0

    @rule(party=st.sampled_from(PARTIES), priority=st.sampled_from(PRIORITIES), override=st.booleans())
    def request(self, party: str, priority: PriorityClass, override: bool) -> None:
        holder_before = self.arb.holder
        decision = self.arb.request(party, priority, self.now, override=override)
        if decision.outcome == "granted":
            assert self.arb.holder == party
        elif decision.outcome == "queued":
            assert decision.position == next(e.position for e in self.arb.queue if e.party == party)
            assert self.arb.holder == holder_before
        else:
            assert party not in [e.party for e in self.arb.queue] or decision.reason == "revoked"

    @rule(party=st.sampled_from(PARTIES))
    def release(self, party: str) -> None:
        was_involved = party == self.arb.holder or party in [e.party for e in self.arb.queue]
        assert self.arb.release(party, self.now) == was_involved

    @rule(party=st.sampled_from(PARTIES))
    def ack(self, party: str) -> None:
        self.arb.ack(party, self.now)

    @rule(party=st.sampled_from(PARTIES), sending=st.booleans())
    def media(self, party: str, sending: bool) -> None:
        self.arb.media_activity(party, sending, self.now)

    @rule(party=st.sampled_from(PARTIES), disabled=st.booleans())
    def remove(self, party: str, disabled: bool) -> None:
        self.arb.remove_party(party, self.now, disabled=disabled)

    @rule(dt=st.floats(0.0, 4.0))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.arb.handle_timer(self.now)
        deadline = self.arb.get_timer()
        assert deadline is None or deadline > self.now

    @invariant()
    def floor_is_consistent(self) -> None:
        if not hasattr(self, "arb"):
            return
        arb = self.arb
        self.step += 1
        queue = arb.queue
        parties = [e.party for e in queue]
        assert (arb.state == "idle") == (arb.holder is None)
        assert (arb.holder is None) == (arb.holder_priority is None)
        assert arb.holder not in parties
        assert len(set(parties)) == len(parties)
        assert [e.position for e in queue] == list(range(1, len(queue) + 1))
        assert len(queue) <= arb.timers.queue_limit
        if arb.state == "idle":
            assert queue == []
        if arb.state == "pending_revoke":
            assert arb.get_timer() is not None  # T8 at least
        if arb.pending_override is not None:
            assert arb.state == "pending_revoke" and parties[0] == arb.pending_override

        # arrival order as seen from outside: a party's arrival is the step it first appeared queued
        self.arrivals = {p: self.arrivals.get(p, self.step) for p in parties}
        ordered = [e for e in queue if e.party != arb.pending_override]
        keys = [(-PRIORITY_RANK[e.priority], self.arrivals[e.party]) for e in ordered]
        assert keys == sorted(keys)

        # each QueuePosition agrees with the QueueChanged just before it; the last one is the queue now
        announced: tuple[QueueEntry, ...] | None = None
        for event in arb.events():
            assert event.call == CALL
            if isinstance(event, QueueChanged):
                announced = event.queue
            elif isinstance(event, QueuePosition):
                assert announced is not None
                assert (event.party, event.position) in [(e.party, e.position) for e in announced]
        if announced is not None:
            assert list(announced) == queue


TestArbitratorInvariants = ArbitratorMachine.TestCase
TestArbitratorInvariants.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
