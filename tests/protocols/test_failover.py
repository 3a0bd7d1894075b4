"""Console failover across the dual-live pair: the machine driven by lists of calls (no sockets, no sleeps),
then the asyncio driver over loopback against a small in-test pair of fake instances."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest

from protocols.aio.client import RequestError
from protocols.aio.dual import DualLiveClient
from protocols.aio.server import Connection, TrunkingServer
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
from protocols.messages import (
    AffiliationSet,
    Error,
    Hello,
    Message,
    Notification,
    Ok,
    PlatformRole,
    Request,
    Role,
    SnapshotRequest,
    TextMessage,
    TextSend,
    Welcome,
)

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
    assert machine.serving == A and machine.ready
    assert not machine.via_standby
    assert machine.highest_epoch == 1
    assert machine.timeline == (None, None, 0.2)
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
    assert not machine.ready

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
    assert machine.timeline == (None, None, 1.8)
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
    # the same connection still carries the session: no re-attach; the command goes again, and the desired
    # affiliations and floors are stated again on the promoted instance (what went through the standby may
    # have been refused)
    assert machine.events() == [ServingChanged(B, 2, False, B, None, 1.2, 1.6), Restore(B, (first,), None, ())]


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
    machine = pair(follow_attachment=True)
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
    machine = FailoverMachine([A, B], follow_attachment=True)
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


def test_at_start_a_standby_is_used_only_once_the_actives_first_attempt_failed() -> None:
    machine = FailoverMachine([A, B])
    machine.start(0.0)
    machine.events()
    machine.link_up(B, welcome("b", "standby", 1, "tb1"), 0.1)
    machine.role_announced(B, announce("b", "standby", 1, peer_up=True), 0.1)
    assert machine.events() == []
    machine.connect_failed(A, 1.0)
    assert machine.events() == [ServingChanged(B, 1, True, None, None, None, 1.0), Restore(B, (), None, ())]


# ----- the asyncio driver over loopback, against a fake pair ------------------------------------

HEARTBEAT = 0.05
HELLO = Hello(id=0, versions=[1], role="console", ident="alice", secret="pw")


class FakeInstance:
    """One instance of a test double for the pair (not the product platform): a command is applied once per
    key in a dict shared with its twin, as replication would; a standby with peer_up forwards to the active."""

    def __init__(self, name: str, pair: FakePair, role: Role, epoch: int = 1) -> None:
        self.instance = name
        self.epoch = epoch
        self.role: Role = role
        self.peer_up = False
        self.pair = pair
        self.server = TrunkingServer(self, heartbeat_interval=HEARTBEAT, loss_threshold=3)  # type: ignore[arg-type]
        self.hellos: list[Hello] = []
        self.requests: list[Request] = []
        self.arrived = asyncio.Event()
        #: when set, commands wait here (before or after applying them): in flight when the instance dies
        self.gate: asyncio.Event | None = None
        self.apply_then_wait = False

    @property
    def url(self) -> str:
        return self.server.url

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome:
        self.hellos.append(hello)
        resumed = hello.resume in self.pair.tokens
        token = f"{self.instance}-{len(self.pair.tokens) + 1}"
        self.pair.tokens.add(token)
        asyncio.get_running_loop().call_soon(conn.send, self.role_message())
        return Welcome(version=1, session=token, resume_token=token, resumed=resumed, instance=self.instance,
                       role=self.role, heartbeat_ms=0, loss_threshold=0)

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:

        return None  # every request through on_request


    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        self.requests.append(request)
        self.arrived.set()
        if self.role == "standby":
            if self.peer_up:
                return await self.pair.other(self).apply(request)
            return Error(code=ErrorCode.NOT_ACTIVE, reason="standby")
        return await self.apply(request)

    async def apply(self, request: Request) -> Ok:
        key = request.key
        if key is None:
            return Ok()
        if key in self.pair.applied:
            return Ok(result=self.pair.applied[key], replayed=True)
        if self.gate is not None and not self.apply_then_wait:
            await self.gate.wait()
        result = {"n": len(self.pair.applied) + 1, "by": self.instance}
        self.pair.applied[key] = result
        self.pair.applications.append(key)
        if self.gate is not None and self.apply_then_wait:
            await self.gate.wait()
        return Ok(result=result)

    def on_notification(self, conn: Connection, message: Notification) -> None:
        pass

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        pass

    def role_message(self) -> PlatformRole:
        return PlatformRole(instance=self.instance, role=self.role, peer_up=self.peer_up)

    def announce(self) -> None:
        self.server.broadcast(self.role_message())

    def promote(self, epoch: int) -> None:
        self.epoch, self.role = epoch, "active"
        self.announce()

    async def crash(self) -> None:
        """Die without a word: every connection dropped, no bye, no close frame; stop listening."""
        for conn in self.server.connections:
            conn.transport.abort()
        await self.server.stop()


class FakePair:
    def __init__(self) -> None:
        self.applied: dict[str, dict[str, object]] = {}
        self.applications: list[str] = []
        self.tokens: set[str | None] = set()
        self.a = FakeInstance("a", self, "active")
        self.b = FakeInstance("b", self, "standby")

    def other(self, instance: FakeInstance) -> FakeInstance:
        return self.b if instance is self.a else self.a

    def commands_seen(self, instance: FakeInstance) -> list[str | None]:
        return [r.key for r in instance.requests if isinstance(r, TextSend)]


class Cable:
    """A TCP relay in front of an instance that can be cut: bytes are then dropped both ways and new
    connections refused, but nothing is closed (a pulled cable, as heartbeats see it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.is_cut = False
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    def cut(self) -> None:
        self.is_cut = True

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.append(writer)
        if self.is_cut:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._writers.append(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not self.is_cut:
                    writer.write(data)
                    await writer.drain()
        writer.close()


@pytest.fixture
async def fake_pair() -> AsyncIterator[FakePair]:
    pair = FakePair()
    await pair.a.server.start()
    await pair.b.server.start()
    yield pair
    await pair.a.server.stop()
    await pair.b.server.stop()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[list[str]], DualLiveClient]]:
    made: list[DualLiveClient] = []

    def make(urls: list[str]) -> DualLiveClient:
        client = DualLiveClient(urls, HELLO, request_timeout=3.0, connect_timeout=1.0)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def eventually(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_driver_commands_go_to_the_active_and_only_its_notifications_are_delivered(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    a, b = fake_pair.a, fake_pair.b
    client = clients([a.url, b.url])
    await client.start()
    assert client.serving == a.url and client.epoch == 1

    ok = await client.request(TextSend(id=0, text="hold at S07", group="G-TRAIN"))
    assert ok.result == {"n": 1, "by": "a"}
    assert fake_pair.commands_seen(a) == [ok_key := a.requests[-1].key] and ok_key
    assert fake_pair.commands_seen(b) == []

    b.server.broadcast(TextMessage(message="m-b", sender="x", text="from the standby"))
    b.announce()  # after the text on the same link: once this arrives, so has the text
    a.server.broadcast(TextMessage(message="m-a", sender="x", text="from the active"))
    seen: list[Message] = []
    while not (any(isinstance(m, TextMessage) for m in seen)
               and sum(isinstance(m, PlatformRole) and m.instance == "b" for m in seen) >= 2):
        seen.append(await asyncio.wait_for(client.next_message(), 3.0))
    assert [m.message for m in seen if isinstance(m, TextMessage)] == ["m-a"]

    links = client.links()
    assert links[a.url].serving and links[a.url].role == "active" and links[a.url].state == "up"
    assert links[b.url].role == "standby" and not links[b.url].serving
    assert links[b.url].heartbeat_age is not None and links[b.url].heartbeat_age < 1.0


@pytest.mark.parametrize("applied_before_the_crash", [True, False])
async def test_driver_command_in_flight_when_the_active_dies_is_answered_once_by_the_new_active(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient], applied_before_the_crash: bool) -> None:
    a, b = fake_pair.a, fake_pair.b
    client = clients([a.url, b.url])
    changes: list[FailoverEvent] = []
    client.on_change = changes.append
    await client.start()
    await client.set_affiliations(["G-TRAIN"], "G-TRAIN")
    a.gate, a.apply_then_wait = asyncio.Event(), applied_before_the_crash
    a.arrived.clear()

    flying = asyncio.create_task(client.request(TextSend(id=0, text="hold at S07", group="G-TRAIN"), timeout=5.0))
    await asyncio.wait_for(a.arrived.wait(), 3.0)
    key = a.requests[-1].key
    await a.crash()
    b.promote(2)

    ok = await asyncio.wait_for(flying, 5.0)
    assert ok.replayed is applied_before_the_crash
    assert ok.result["by"] == ("a" if applied_before_the_crash else "b")
    assert fake_pair.applications.count(key) == 1  # applied exactly once, whoever applied it
    assert fake_pair.commands_seen(b) == [key]  # replayed with the same key
    assert client.serving == b.url and client.epoch == 2
    assert any(h.resume is not None and h.resume.startswith("a-") for h in b.hellos)  # A's session resumed
    [switch] = [e for e in changes if isinstance(e, ServingChanged) and e.instance == b.url]
    assert switch.previous == a.url and switch.epoch == 2
    await eventually(lambda: any(isinstance(r, AffiliationSet) and r.groups == ["G-TRAIN"] for r in b.requests))


async def test_driver_serves_through_the_standby_when_cut_off_from_the_active(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    a, b = fake_pair.a, fake_pair.b
    b.peer_up = True
    cable = Cable(a.server.port)
    await cable.start()
    try:
        client = clients([cable.url, b.url])
        changes: list[FailoverEvent] = []
        client.on_change = changes.append
        await client.start()
        assert client.serving == cable.url

        cable.cut()
        ok = await client.request(TextSend(id=0, text="hold at S07", group="G-TRAIN"), timeout=5.0)
        assert ok.result["by"] == "a"  # applied by the active, through the standby
        assert client.serving == b.url and client.via_standby
        [key] = fake_pair.applications
        assert fake_pair.commands_seen(b) == [key]
        [switch] = [e for e in changes if isinstance(e, ServingChanged) and e.instance == b.url]
        assert switch.via_standby
        assert switch.lost_at is not None and switch.detected_at is not None
        assert switch.detected_at - switch.lost_at >= 3 * HEARTBEAT * 0.9  # detected by heartbeat silence
        assert switch.detected_at <= switch.now < switch.detected_at + 1.0
    finally:
        await cable.stop()


async def test_driver_refuses_commands_during_split_brain_but_still_reads(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    a, b = fake_pair.a, fake_pair.b
    client = clients([a.url, b.url])
    await client.start()
    b.role = "active"
    b.announce()
    await eventually(lambda: client.split_brain)
    with pytest.raises(RequestError) as refused:
        await client.request(TextSend(id=0, text="x", group="G-TRAIN"))
    assert refused.value.error.code == ErrorCode.UNAVAILABLE
    await client.request(SnapshotRequest(id=0))
    b.role = "standby"
    b.announce()
    await eventually(lambda: not client.split_brain)
    ok = await client.request(TextSend(id=0, text="x", group="G-TRAIN"))
    assert ok.result["by"] == "a"
    assert len(fake_pair.applications) == 1


async def test_driver_fails_a_command_when_no_instance_serves_in_time(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    client = clients([fake_pair.a.url, fake_pair.b.url])
    await client.start()
    await fake_pair.a.crash()
    with pytest.raises(RequestError) as failed:
        await client.request(TextSend(id=0, text="x", group="G-TRAIN"), timeout=0.5)
    assert failed.value.error.code == ErrorCode.UNAVAILABLE
    assert fake_pair.applications == []
    assert client.serving is None


async def test_driver_asks_a_read_again_on_the_next_serving_instance(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    client = clients([fake_pair.a.url, fake_pair.b.url])
    await client.start()
    await fake_pair.a.crash()
    await eventually(lambda: client.serving is None)
    read = asyncio.create_task(client.request(SnapshotRequest(id=0), timeout=3.0))
    await asyncio.sleep(0.05)
    assert not read.done()
    fake_pair.b.promote(2)
    await asyncio.wait_for(read, 3.0)
    assert any(isinstance(r, SnapshotRequest) for r in fake_pair.b.requests)


async def test_driver_forgets_a_command_whose_caller_gave_up(
        fake_pair: FakePair, clients: Callable[[list[str]], DualLiveClient]) -> None:
    client = clients([fake_pair.a.url, fake_pair.b.url])
    await client.start()
    await fake_pair.a.crash()
    await eventually(lambda: client.serving is None)
    held = asyncio.create_task(client.request(TextSend(id=0, text="x", group="G-TRAIN"), timeout=3.0))
    await eventually(lambda: len(client.machine.outstanding()) == 1)
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held
    assert client.machine.outstanding() == []
    fake_pair.b.promote(2)
    await eventually(lambda: client.machine.ready)
    await client.request(SnapshotRequest(id=0))  # a round trip on B after the restore went out
    assert fake_pair.commands_seen(fake_pair.b) == []


def test_a_standby_promoted_under_the_serving_link_gets_affiliations_and_floors_stated_again() -> None:
    machine = pair(standby_peer_up=True)
    machine.set_affiliations(["G-TRAIN"], "G-TRAIN")
    machine.floor_wanted("C-1")
    machine.link_down(A, 1.0)
    machine.link_up(B, welcome("b", "standby", 1, "ta2"), 1.05)  # the serving session resumed on B
    first = of_type(machine.events(), Restore)
    assert len(first) == 1 and first[0].affiliation is not None
    # serving through B while it still follows A: what it forwards may be refused once its link to A is gone
    assert machine.serving == B and machine.via_standby
    machine.role_announced(B, announce("b", "active", 2), 1.6)
    restores = [e for e in machine.events() if isinstance(e, Restore)]
    assert len(restores) == 1
    assert restores[0].affiliation is not None and restores[0].affiliation.groups == ["G-TRAIN"]
    assert [f.call for f in restores[0].floors] == ["C-1"]
