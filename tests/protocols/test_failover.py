"""Console failover across the dual-live pair: the machine driven by lists of calls (no sockets, no sleeps),
then the asyncio driver over loopback against a small in-test pair of fake instances."""

from __future__ import annotations

from typing import TypeVar

import pytest

from protocols.constants import ErrorCode
from protocols.machines.failover import (
    CommandsFailed,
    Connect,
    FailoverEvent,
    FailoverMachine,
    FloorIntent,
    Offline,
    Resend,
    Restore,
    ServingChanged,
    SplitBrain,
    SplitBrainCleared,
    StaleAnnouncement,
)
from protocols.messages import AffiliationSet, PlatformRole, Role, TextSend, Welcome

A, B = "ws://a", "ws://b"


def welcome(instance: str, role: Role, epoch: int, token: str) -> Welcome:
    return Welcome(epoch=epoch, re=1, version=1, session=f"s-{token}", resume_token=token, instance=instance,
                   role=role, heartbeat_ms=250, loss_threshold=3)


def announce(instance: str, role: Role, epoch: int, peer_up: bool = False) -> PlatformRole:
    return PlatformRole(epoch=epoch, instance=instance, role=role, peer_up=peer_up)


def command(key: str, text: str = "hold at S07") -> TextSend:
    return TextSend(id=0, key=key, text=text, group="G-TRAIN")


E = TypeVar("E", bound=FailoverEvent)


def of_type(events: list[FailoverEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def pair(*, standby_peer_up: bool = True, **options: object) -> FailoverMachine:
    """A machine serving A (active, epoch 1, session token ta1) with B standby; B said hello first."""
    machine = FailoverMachine([A, B], **options)  # type: ignore[arg-type]
    machine.start(0.0)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb1"), 0.1)
    machine.role_announced(B, announce("b", "standby", 1, peer_up=standby_peer_up), 0.1)
    machine.link_up(A, welcome("a", "active", 1, "ta1"), 0.2)
    machine.role_announced(A, announce("a", "active", 1, peer_up=standby_peer_up), 0.2)
    machine.events()
    return machine


# ----- start --------------------------------------------------------------------------------


def test_start_opens_a_link_to_every_instance() -> None:
    machine = FailoverMachine([A, B])
    machine.start(0.0)
    assert machine.events() == [Connect(A), Connect(B)]
    assert {v.state for v in machine.links.values()} == {"connecting"}
    assert machine.serving is None


def test_the_active_serves_and_nothing_is_restored_on_a_first_start() -> None:
    machine = FailoverMachine([A, B])
    machine.start(0.0)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb1"), 0.1)
    assert machine.events() == []
    assert machine.serving is None
    machine.link_up(A, welcome("a", "active", 1, "ta1"), 0.2)
    assert machine.events() == [
        ServingChanged(A, 1, False, None, None, None, 0.2),
        Restore(A, (), None, ()),
    ]
    assert machine.serving == A
    assert not machine.via_standby
    assert machine.highest_epoch == 1
    assert machine.switched_at == 0.2
    assert machine.link(A).instance == "a"


def test_commands_held_before_start_go_out_with_the_first_restore() -> None:
    machine = FailoverMachine([A])
    machine.start(0.0)
    machine.events()
    first = command("k1")
    assert machine.command_sent(first, 0.05) is None
    machine.link_up(A, welcome("a", "active", 1, "ta1"), 0.2)
    [_, restore] = machine.events()
    assert restore == Restore(A, (first,), None, ())


def test_commands_go_to_the_serving_link_until_answered() -> None:
    machine = pair()
    assert machine.command_sent(command("k1"), 1.0) == A
    assert machine.command_sent(command("k2"), 1.1) == A
    assert machine.outstanding() == ["k1", "k2"]
    machine.command_answered("k1")
    assert machine.outstanding() == ["k2"]
    assert machine.events() == []


def test_a_command_needs_a_key_and_a_known_link() -> None:
    machine = pair()
    with pytest.raises(ValueError, match="idempotency key"):
        machine.command_sent(TextSend(id=0, text="x", group="G"), 1.0)
    machine.command_sent(command("k1"), 1.0)
    with pytest.raises(ValueError, match="already outstanding"):
        machine.command_sent(command("k1"), 1.0)
    with pytest.raises(ValueError, match="unknown instance"):
        machine.link_down("ws://c", 1.0)


# ----- failover -----------------------------------------------------------------------------


def test_loss_of_the_active_holds_commands_until_the_standby_is_promoted_then_restores_everything() -> None:
    machine = pair(standby_peer_up=False)
    machine.set_affiliations(["G-TRAIN", "G-DEPOT"], "G-TRAIN")
    machine.floor_wanted("call-7", "dispatcher")
    first, second = command("k1", "first"), command("k2", "second")
    assert machine.command_sent(first, 1.0) == A

    machine.link_down(A, 1.5, silent_for=0.75)
    assert machine.events() == [Offline(A, 0.75, 1.5, 1.5)]
    assert machine.serving is None
    assert machine.link(A).state == "down"
    assert machine.command_sent(second, 1.6) is None  # held: no switch on loss alone

    machine.role_announced(B, announce("b", "active", 2), 1.8)
    assert machine.events() == [
        ServingChanged(B, 2, False, A, 0.75, 1.5, 1.8),
        Connect(B, resume="ta1", replaces=True),  # resume the serving session there (§7.2 step 3)
    ]
    assert machine.outstanding() == ["k1", "k2"]
    assert machine.command_sent(command("k3"), 1.82) is None  # re-attach under way: held too

    machine.link_up(B, welcome("b", "active", 2, "ta2"), 1.85)
    [restore] = machine.events()
    assert restore == Restore(
        B,
        (first, second, command("k3")),
        AffiliationSet(id=0, groups=["G-TRAIN", "G-DEPOT"], selected="G-TRAIN"),
        (FloorIntent("call-7", "dispatcher"),),
    )
    assert [r.key for r in restore.replay] == ["k1", "k2", "k3"]
    assert machine.highest_epoch == 2
    assert machine.lost_at is None and machine.detected_at is None
    assert machine.command_sent(command("k4"), 2.0) == B


def test_a_higher_epoch_active_takes_over_at_once_and_in_flight_commands_are_replayed_there() -> None:
    machine = pair()
    flying = command("k1")
    assert machine.command_sent(flying, 1.0) == A
    machine.role_announced(B, announce("b", "active", 2), 1.2)
    assert machine.events() == [ServingChanged(B, 2, False, A, None, None, 1.2), Connect(B, "ta1", True)]
    machine.link_up(B, welcome("b", "active", 2, "ta2"), 1.3)
    [restore] = of_type(machine.events(), Restore)
    assert restore.replay == (flying,)
    # the deposed A refuses the copy it still had: absorbed, since the command now flies on B
    assert machine.command_refused("k1", A, ErrorCode.STALE_EPOCH, 1.4)
    assert machine.outstanding() == ["k1"]
    assert machine.events() == []
    assert machine.serving == B


def test_serves_through_the_standby_while_the_active_is_unreachable_and_back_when_it_returns() -> None:
    machine = pair(standby_peer_up=True)
    flying = command("k1")
    machine.command_sent(flying, 1.0)
    machine.link_down(A, 2.0)  # closed: the last message is the close itself
    assert machine.events() == [ServingChanged(B, 1, True, A, 2.0, 2.0, 2.0), Connect(B, "ta1", True)]
    assert machine.via_standby
    # the re-attached connection's welcome does not repeat peer_up: the announcement's still counts
    machine.link_up(B, welcome("b", "standby", 1, "ta2"), 2.05)
    assert machine.events() == [Restore(B, (flying,), None, ())]
    assert machine.serving == B and machine.via_standby

    machine.handle_timer(2.1)  # A's reconnect: its old token is no longer the serving session's
    assert machine.events() == [Connect(A, None, False, 1)]
    machine.link_up(A, welcome("a", "active", 1, "ta3"), 2.2)
    assert machine.events() == [ServingChanged(A, 1, False, B, None, None, 2.2), Connect(A, "ta2", True)]


def test_a_standby_without_its_peer_is_not_used() -> None:
    machine = pair(standby_peer_up=False)
    machine.link_down(A, 1.0)
    assert of_type(machine.events(), ServingChanged) == []
    machine.role_announced(B, announce("b", "standby", 1, peer_up=True), 1.1)
    assert of_type(machine.events(), ServingChanged) == [ServingChanged(B, 1, True, A, 1.0, 1.0, 1.1)]


def test_stale_announcements_are_ignored() -> None:
    machine = pair()
    machine.role_announced(B, announce("b", "active", 2), 1.0)
    machine.link_up(B, welcome("b", "active", 2, "ta2"), 1.1)
    machine.events()
    machine.role_announced(A, announce("a", "active", 1), 1.2)  # the deposed A has not noticed yet
    assert machine.events() == [StaleAnnouncement(A, 1, 2)]
    assert machine.serving == B
    assert machine.link(A).epoch == 1
    machine.role_announced(A, announce("a", "standby", 2, peer_up=True), 1.3)  # it stepped down
    assert machine.events() == []
    assert machine.link(A).role == "standby"
    assert machine.serving == B


def test_a_higher_epoch_on_any_message_fences_off_the_old_active() -> None:
    machine = pair(standby_peer_up=False)
    machine.epoch_seen(2, 1.0)  # e.g. a ping from B before its platform.role
    assert machine.events() == [Offline(A, None, 1.0, 1.0)]
    machine.epoch_seen(1, 1.1)
    assert machine.highest_epoch == 2


# ----- split brain ----------------------------------------------------------------------------


def test_split_brain_stops_commands_until_one_active_steps_down() -> None:
    machine = pair(follow_attachment=False)
    machine.role_announced(B, announce("b", "active", 1), 1.0)
    assert machine.events() == [SplitBrain((A, B), 1)]
    assert not machine.commands_allowed
    assert machine.split_brain == ((A, B), 1)
    held = command("k1")
    assert machine.command_sent(held, 1.1) is None
    machine.link_down(B, 1.2)  # unreachable is not resolved: B may still act as active
    assert of_type(machine.events(), SplitBrainCleared) == []
    assert not machine.commands_allowed
    machine.handle_timer(1.3)
    machine.link_up(B, welcome("b", "active", 1, "tb2"), 1.35)
    machine.events()
    machine.role_announced(B, announce("b", "standby", 1), 1.4)
    assert machine.events() == [SplitBrainCleared(1), Resend(A, (held,))]
    assert machine.commands_allowed
    assert machine.serving == A


def test_split_brain_is_cleared_by_a_higher_epoch() -> None:
    machine = pair()
    machine.role_announced(B, announce("b", "active", 1), 1.0)
    machine.events()
    machine.role_announced(B, announce("b", "active", 2), 1.5)
    events = machine.events()
    assert events[:2] == [SplitBrainCleared(1), ServingChanged(B, 2, False, A, None, None, 1.5)]
    assert machine.commands_allowed


# ----- refusals and deadlines -----------------------------------------------------------------


def test_a_not_active_refusal_stops_using_that_instance_until_it_announces_again() -> None:
    machine = pair(standby_peer_up=True)
    machine.link_down(A, 1.0)
    machine.link_up(B, welcome("b", "standby", 1, "ta2"), 1.05)
    machine.events()
    first = command("k1")
    assert machine.command_sent(first, 1.1) == B
    generation = machine.link(B).generation
    # B lost its own link to A, and says so before its announcement arrives
    assert machine.command_refused("k1", B, ErrorCode.NOT_ACTIVE, 1.2, generation=generation)
    assert machine.events() == [Offline(B, None, 1.2, 1.2)]
    machine.role_announced(B, announce("b", "active", 2), 1.6)
    # the same connection still carries the session: no re-attach, just send the command again
    assert machine.events() == [ServingChanged(B, 2, False, B, None, 1.2, 1.6), Resend(B, (first,))]


def test_unavailable_is_retried_after_a_growing_pause() -> None:
    machine = pair()
    first = command("k1")
    machine.command_sent(first, 1.0)
    assert machine.command_refused("k1", A, ErrorCode.UNAVAILABLE, 1.0)
    assert machine.events() == []
    assert machine.get_timer() == pytest.approx(1.25)
    machine.handle_timer(1.25)
    assert machine.events() == [Resend(A, (first,))]
    assert machine.command_refused("k1", A, ErrorCode.UNAVAILABLE, 1.3)
    assert machine.get_timer() == pytest.approx(1.8)


def test_other_refusals_are_final() -> None:
    machine = pair()
    machine.command_sent(command("k1"), 1.0)
    assert not machine.command_refused("k1", A, ErrorCode.CONFLICT, 1.1)
    assert machine.outstanding() == []
    assert not machine.command_refused("k1", A, ErrorCode.NOT_ACTIVE, 1.2)  # already over


def test_a_refusal_from_a_superseded_connection_is_absorbed() -> None:
    machine = pair()
    machine.command_sent(command("k1"), 1.0)
    old = machine.link(A).generation
    machine.link_up(B, welcome("b", "standby", 1, "tb2"), 1.1)  # B said hello last: re-attach A
    assert machine.events() == [Connect(A, "ta1", True)]
    machine.link_up(A, welcome("a", "active", 1, "ta2"), 1.2)
    [restore] = machine.events()
    assert [r.key for r in restore.replay] == ["k1"]
    assert machine.command_refused("k1", A, ErrorCode.NOT_ACTIVE, 1.3, generation=old)
    assert machine.serving == A and machine.outstanding() == ["k1"]


def test_commands_fail_when_no_instance_served_for_fail_after() -> None:
    machine = pair(standby_peer_up=False, fail_after=10.0)
    machine.link_down(A, 1.0)
    machine.command_sent(command("k1"), 1.5)
    machine.command_sent(command("k2"), 2.0)
    machine.events()
    while (when := machine.get_timer()) is not None and when < 11.0:  # reconnects keep failing
        machine.handle_timer(when)
        for connect in of_type(machine.events(), Connect):
            machine.connect_failed(connect.instance, when)
    assert machine.outstanding() == ["k1", "k2"]
    machine.handle_timer(11.0)
    [failed] = of_type(machine.events(), CommandsFailed)
    assert failed.keys == ("k1", "k2") and failed.code == ErrorCode.UNAVAILABLE
    assert machine.command_sent(command("k3"), 12.0) is None
    [failed] = of_type(machine.events(), CommandsFailed)
    assert failed.keys == ("k3",)
    assert machine.outstanding() == []


def test_a_command_past_its_deadline_fails_with_timeout_or_unavailable() -> None:
    machine = pair(standby_peer_up=False)
    machine.command_sent(command("k1"), 1.0, timeout=5.0)
    machine.handle_timer(5.9)
    assert of_type(machine.events(), CommandsFailed) == []
    machine.handle_timer(6.0)
    assert machine.events() == [CommandsFailed(("k1",), ErrorCode.TIMEOUT, "no answer in time")]
    machine.link_down(A, 7.0)
    machine.command_sent(command("k2"), 7.0, timeout=1.0)
    machine.handle_timer(8.0)
    [failed] = of_type(machine.events(), CommandsFailed)
    assert failed == CommandsFailed(("k2",), ErrorCode.UNAVAILABLE, "no platform instance serves")


# ----- links --------------------------------------------------------------------------------


def test_reconnect_backoff_doubles_up_to_the_cap_and_restarts_after_a_welcome() -> None:
    machine = pair(reconnect_initial=0.1, reconnect_max=2.0)
    machine.link_down(B, 10.0)
    gaps, last = [], 10.0
    for _ in range(7):
        when = machine.get_timer()
        assert when is not None
        gaps.append(round(when - last, 6))
        machine.handle_timer(when)
        [connect] = machine.events()
        assert connect == Connect(B, None, False, len(gaps))
        assert machine.link(B).state == "connecting"
        machine.connect_failed(B, when)
        last = when
    assert gaps == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    machine.handle_timer(machine.get_timer() or 0.0)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb2"), 30.0)
    machine.events()
    machine.link_down(B, 31.0)
    assert machine.get_timer() == pytest.approx(31.1)


def test_reconnect_jitter_shortens_the_delay_by_up_to_a_quarter() -> None:
    machine = pair(jitter=lambda: 1.0)
    machine.link_down(B, 10.0)
    assert machine.get_timer() == pytest.approx(10.075)


def test_the_serving_link_reconnects_resuming_its_session() -> None:
    machine = pair(standby_peer_up=False)
    machine.link_down(A, 1.0)
    machine.handle_timer(1.1)
    assert of_type(machine.events(), Connect) == [Connect(A, "ta1", False, 1)]
    machine.link_up(A, welcome("a", "active", 1, "ta2"), 1.2)
    events = machine.events()
    assert of_type(events, ServingChanged) == [ServingChanged(A, 1, False, A, 1.0, 1.0, 1.2)]
    assert of_type(events, Connect) == []  # it carries the serving session already: no re-attach
    assert len(of_type(events, Restore)) == 1


def test_the_serving_link_is_reattached_when_the_platform_attached_the_session_elsewhere() -> None:
    machine = FailoverMachine([A, B])
    machine.start(0.0)
    machine.events()
    machine.link_up(A, welcome("a", "active", 1, "ta1"), 0.1)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb1"), 0.2)  # B's hello came last
    assert machine.events() == [Connect(A, "ta1", True)]
    machine.link_up(A, welcome("a", "active", 1, "ta2"), 0.3)
    assert machine.events() == [Restore(A, (), None, ())]


def test_without_follow_attachment_a_later_standby_hello_changes_nothing() -> None:
    machine = FailoverMachine([A, B], follow_attachment=False)
    machine.start(0.0)
    machine.events()
    machine.link_up(A, welcome("a", "active", 1, "ta1"), 0.1)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb1"), 0.2)
    assert machine.events() == []


def test_a_failed_reattach_is_retried_after_a_pause() -> None:
    machine = pair()
    machine.link_down(A, 1.0)
    assert of_type(machine.events(), Connect) == [Connect(B, "ta1", True)]
    machine.connect_failed(B, 1.1)
    assert machine.events() == []
    assert machine.link(B).state == "up"
    assert machine.get_timer() == pytest.approx(1.1)  # A's reconnect; B's re-attach is retried at 1.2
    machine.handle_timer(1.25)
    assert of_type(machine.events(), Connect) == [Connect(A, "ta1", False, 1), Connect(B, "ta1", True, 1)]


def test_a_link_lost_during_its_reattach_waits_for_that_attempt() -> None:
    machine = pair()
    machine.link_down(A, 1.0)
    machine.events()
    machine.link_down(B, 1.05)
    assert machine.link(B).state == "connecting"
    assert machine.events() == [Offline(B, 1.05, 1.05, 1.05)]
    assert machine.get_timer() == pytest.approx(1.1)  # A's reconnect only: B's attempt is still out
    machine.link_up(B, welcome("b", "standby", 1, "ta2"), 1.08)
    events = machine.events()
    assert of_type(events, ServingChanged) == [ServingChanged(B, 1, True, B, 1.05, 1.05, 1.08)]
    assert len(of_type(events, Restore)) == 1


def test_floor_intents_are_kept_until_released() -> None:
    machine = pair()
    machine.floor_wanted("call-1", "emergency", override=True)
    machine.floor_wanted("call-2")
    machine.floor_released("call-1")
    assert machine.floors == [FloorIntent("call-2", "dispatcher", False)]
