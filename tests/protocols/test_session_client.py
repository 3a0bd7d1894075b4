"""The client session machine, driven by lists of calls: no sockets, no sleeps."""

from __future__ import annotations

import pytest

from protocols.codec import ProtocolError, decode, encode
from protocols.constants import MAX_MESSAGE_BYTES, ErrorCode
from protocols.machines.session import (
    Answered,
    ClientSession,
    CloseRequested,
    EpochRaised,
    HelloReceived,
    HelloRejected,
    PeerSilent,
    Received,
    RequestFailed,
    RequestReceived,
    ServerSession,
    StaleMessage,
    UnexpectedAnswer,
    Violation,
    Welcomed,
)
from protocols.messages import (
    Bye,
    CallRelease,
    Error,
    FloorAck,
    FloorRequest,
    Hello,
    Message,
    Ok,
    Ping,
    Pong,
    PresenceUpdate,
    TerminalInfo,
    TextSend,
    Welcome,
)

HELLO = Hello(id=0, versions=[1], role="console", ident="alice", secret="pw")


def welcome(epoch: int = 5, re: int = 1, heartbeat_ms: int = 250, loss_threshold: int = 3) -> Welcome:
    return Welcome(
        epoch=epoch, re=re, version=1, session="s-1", resume_token="tok-1", instance="a", role="active",
        heartbeat_ms=heartbeat_ms, loss_threshold=loss_threshold,
    )


def wire(session: ClientSession) -> list[Message]:
    """What the session wrote, decoded."""
    return [decode(data) for data in session.data_to_send()]


def opened(now: float = 0.0, epoch: int = 5, request_timeout: float = 5.0) -> ClientSession:
    session = ClientSession(HELLO, request_timeout=request_timeout)
    session.connect(now)
    session.data_to_send()
    session.receive_data(encode(welcome(epoch=epoch)), now)
    session.events()
    return session


# ----- handshake ------------------------------------------------------------------------------


def test_connect_sends_hello_with_id_1_and_welcome_opens_the_session() -> None:
    session = ClientSession(HELLO)
    assert session.state == "idle"
    session.connect(10.0)
    [hello] = wire(session)
    assert isinstance(hello, Hello) and hello.id == 1 and hello.ident == "alice" and hello.epoch == 0
    assert session.state == "hello_sent"

    session.receive_data(encode(welcome(epoch=5)), 10.1)
    events = session.events()
    assert events == [EpochRaised(0, 5), Welcomed(welcome(epoch=5))]
    assert session.state == "open"
    assert session.welcome == welcome(epoch=5)
    assert session.epoch == 5


def test_requests_made_during_the_hello_are_held_until_the_welcome() -> None:
    session = ClientSession(HELLO)
    session.connect(0.0)
    wire(session)
    first = session.send_request(CallRelease(id=0, call="c1"), 0.0)
    session.send_notification(FloorAck(call="c1"), 0.0)
    assert first == 2
    assert wire(session) == []

    session.receive_data(encode(welcome(epoch=7)), 0.1)
    written = wire(session)
    assert written == [CallRelease(id=2, call="c1", epoch=7), FloorAck(call="c1", epoch=7)]


def test_refused_hello_closes_the_session() -> None:
    session = ClientSession(HELLO)
    session.connect(0.0)
    refusal = Error(code=ErrorCode.UNAUTHORIZED, reason="wrong password", re=1)
    session.receive_data(encode(refusal), 0.1)
    assert session.events() == [HelloRejected(refusal)]
    assert session.state == "closed"
    with pytest.raises(RuntimeError):
        session.send_request(CallRelease(id=0, call="c1"), 0.2)


def test_hello_without_answer_is_refused_locally_after_the_request_timeout() -> None:
    session = ClientSession(HELLO, request_timeout=2.0)
    session.connect(0.0)
    assert session.get_timer() == 2.0
    session.handle_timer(1.999)
    assert session.events() == []
    session.handle_timer(2.0)
    [event] = session.events()
    assert isinstance(event, HelloRejected) and event.error.code == ErrorCode.TIMEOUT
    assert session.state == "closed"


def test_reconnect_resumes_with_the_token_and_restarts_ids() -> None:
    session = opened()
    session.send_request(CallRelease(id=0, call="c1"), 0.0)
    session.connection_lost(1.0)
    session.connect(2.0)
    [hello] = wire(session)
    assert isinstance(hello, Hello)
    assert hello.id == 1 and hello.resume == "tok-1" and hello.epoch == 5
    session.receive_data(encode(welcome(epoch=5)), 2.1)
    assert session.send_request(CallRelease(id=0, call="c2"), 2.2) == 2


def test_connect_twice_is_a_programming_error() -> None:
    session = opened()
    with pytest.raises(RuntimeError):
        session.connect(1.0)


# ----- heartbeats -----------------------------------------------------------------------------


def test_pings_go_out_every_interval_and_server_pings_are_answered() -> None:
    session = opened(now=0.0)
    assert session.get_timer() == 0.25
    session.handle_timer(0.25)
    assert wire(session) == [Ping(seq=1, epoch=5)]
    session.receive_data(encode(Pong(seq=1, epoch=5)), 0.3)
    session.handle_timer(0.5)
    assert wire(session) == [Ping(seq=2, epoch=5)]

    session.receive_data(encode(Ping(seq=41, epoch=5)), 0.6)
    assert wire(session) == [Pong(seq=41, epoch=5)]
    assert session.events() == []  # heartbeats are not notifications for the owner


def test_welcome_sets_the_heartbeat_figures() -> None:
    session = ClientSession(HELLO, heartbeat_interval=1.0, loss_threshold=10)
    session.connect(0.0)
    session.receive_data(encode(welcome(heartbeat_ms=100, loss_threshold=2)), 0.0)
    assert session.heartbeat_interval == 0.1 and session.loss_threshold == 2
    assert session.get_timer() == 0.1


def test_peer_silent_exactly_at_interval_times_threshold_and_only_once() -> None:
    session = opened(now=0.0)
    session.receive_data(encode(Pong(seq=99, epoch=5)), 1.0)  # last sign of life at t=1.0
    silent_at = 1.0 + 0.25 * 3
    for t in (1.25, 1.5):
        session.handle_timer(t)
    session.handle_timer(silent_at - 1e-6)
    assert [e for e in session.events() if isinstance(e, PeerSilent)] == []
    assert session.get_timer() == silent_at
    session.handle_timer(silent_at)
    assert [e for e in session.events() if isinstance(e, PeerSilent)] == [PeerSilent(0.75)]
    session.handle_timer(3.0)
    assert [e for e in session.events() if isinstance(e, PeerSilent)] == []


def test_any_message_counts_as_liveness_and_rearms_silence_detection() -> None:
    session = opened(now=0.0)
    session.handle_timer(0.75)
    assert PeerSilent(0.75) in session.events()
    session.receive_data(encode(PresenceUpdate(terminal=TerminalInfo(id="t1", kind="train"), epoch=5)), 1.0)
    session.handle_timer(1.74)
    assert not any(isinstance(e, PeerSilent) for e in session.events())
    session.handle_timer(1.75)
    assert PeerSilent(0.75) in session.events()


def test_rtt_is_measured_from_ping_to_matching_pong() -> None:
    session = opened(now=0.0)
    assert session.rtt is None
    session.handle_timer(0.25)
    session.handle_timer(0.5)
    session.receive_data(encode(Pong(seq=7, epoch=5)), 0.51)  # never sent: measures nothing
    assert session.rtt is None
    session.receive_data(encode(Pong(seq=2, epoch=5)), 0.53)
    assert session.rtt == pytest.approx(0.03)
    session.receive_data(encode(Pong(seq=1, epoch=5)), 0.6)  # older than the one answered: forgotten
    assert session.rtt == pytest.approx(0.03)


# ----- correlation ----------------------------------------------------------------------------


def test_each_request_gets_its_own_answer_whatever_the_order() -> None:
    session = opened()
    a = session.send_request(CallRelease(id=0, call="c1", key="k1"), 1.0)
    b = session.send_request(FloorRequest(id=0, group="g1"), 1.0)
    assert (a, b) == (2, 3)
    sent = wire(session)
    assert sent == [CallRelease(id=2, call="c1", key="k1", epoch=5), FloorRequest(id=3, group="g1", epoch=5)]

    ok_b = Ok(re=3, result={"outcome": "granted"}, epoch=5)
    err_a = Error(re=2, code=ErrorCode.NOT_FOUND, reason="no call c1", epoch=5)
    session.receive_data(encode(ok_b), 1.1)
    session.receive_data(encode(err_a), 1.2)
    assert session.events() == [Answered(sent[1], ok_b), Answered(sent[0], err_a)]
    assert session.pending_ids() == []


def test_unanswered_request_fails_with_504_at_its_deadline_and_late_answer_is_unexpected() -> None:
    session = opened(request_timeout=2.0)
    quick = session.send_request(CallRelease(id=0, call="c1"), 1.0, timeout=0.5)
    slow = session.send_request(CallRelease(id=0, call="c2"), 1.0)
    session.handle_timer(1.499)
    assert not any(isinstance(e, RequestFailed) for e in session.events())
    session.handle_timer(1.5)
    [failed] = [e for e in session.events() if isinstance(e, RequestFailed)]
    assert failed.request.id == quick and failed.error.code == ErrorCode.TIMEOUT and failed.error.re == quick
    assert session.pending_ids() == [slow]

    late = Ok(re=quick, epoch=5)
    session.receive_data(encode(late), 1.6)
    assert session.events() == [UnexpectedAnswer(late)]


def test_answer_to_unknown_id_or_without_re_is_unexpected() -> None:
    session = opened()
    stray = Ok(re=77, epoch=5)
    unreadable = Error(code=ErrorCode.BAD_MESSAGE, reason="not JSON", epoch=5)
    session.receive_data(encode(stray), 1.0)
    session.receive_data(encode(unreadable), 1.0)
    assert session.events() == [UnexpectedAnswer(stray), UnexpectedAnswer(unreadable)]


def test_request_too_large_to_send_raises_and_uses_no_id() -> None:
    session = opened()
    with pytest.raises(ProtocolError) as info:
        session.send_request(TextSend(id=0, text="x" * MAX_MESSAGE_BYTES), 1.0)
    assert info.value.code == ErrorCode.TOO_LARGE
    assert session.send_request(CallRelease(id=0, call="c1"), 1.0) == 2


# ----- epochs ---------------------------------------------------------------------------------


def test_message_from_an_older_epoch_is_dropped() -> None:
    session = opened(epoch=5)
    request_id = session.send_request(CallRelease(id=0, call="c1"), 1.0)
    stale_answer = Ok(re=request_id, epoch=4)
    stale_event = PresenceUpdate(terminal=TerminalInfo(id="t1", kind="train"), epoch=4)
    session.receive_data(encode(stale_answer), 1.1)
    session.receive_data(encode(stale_event), 1.1)
    session.receive_data(encode(Ping(seq=3, epoch=4)), 1.1)
    assert session.events() == [StaleMessage(stale_answer, 5), StaleMessage(stale_event, 5),
                                StaleMessage(Ping(seq=3, epoch=4), 5)]
    assert session.pending_ids() == [request_id]
    assert wire(session)[-1] == CallRelease(id=request_id, call="c1", epoch=5)  # no pong to a stale ping


def test_refusal_410_from_a_superseded_instance_is_dropped_like_any_stale_message() -> None:
    session = opened(epoch=5, request_timeout=1.0)
    session.raise_epoch(6)  # learnt from the newer active: this instance is superseded
    request_id = session.send_request(CallRelease(id=0, call="c1"), 1.0)
    refusal = Error(code=ErrorCode.STALE_EPOCH, reason="instance epoch 5 is older than 6", re=request_id, epoch=5)
    session.receive_data(encode(refusal), 1.1)
    assert session.events() == [StaleMessage(refusal, 6)]
    assert session.pending_ids() == [request_id]  # its outcome stays unknown until its timeout


def test_stale_welcome_is_dropped_too() -> None:
    session = ClientSession(Hello(id=0, versions=[1], role="console", ident="alice", epoch=9))
    session.connect(0.0)
    session.receive_data(encode(welcome(epoch=8)), 0.1)
    assert session.events() == [StaleMessage(welcome(epoch=8), 9)]
    assert session.state == "hello_sent"


def test_higher_epoch_is_adopted_and_stamped_on_later_messages() -> None:
    session = opened(epoch=5)
    session.receive_data(encode(PresenceUpdate(terminal=TerminalInfo(id="t1", kind="train"), epoch=6)), 1.0)
    events = session.events()
    assert events[0] == EpochRaised(5, 6)
    assert isinstance(events[1], Received)
    session.send_request(CallRelease(id=0, call="c1"), 1.0)
    session.send_notification(FloorAck(call="c1"), 1.0)
    assert [m.epoch for m in wire(session)] == [6, 6]
    session.raise_epoch(9)
    session.raise_epoch(2)
    assert session.epoch == 9


# ----- bad input ------------------------------------------------------------------------------


def test_garbage_from_the_server_is_a_violation_and_the_session_stays_open() -> None:
    session = opened()
    session.receive_data(b"{not json", 1.0)
    session.receive_data(encode(CallRelease(id=4, call="c1", epoch=5)), 1.0)  # servers send no requests
    events = session.events()
    assert [type(e) for e in events] == [Violation, Violation]
    assert isinstance(events[0], Violation) and events[0].error.code == ErrorCode.BAD_MESSAGE
    assert session.state == "open"
    session.receive_data(encode(Ping(seq=1, epoch=5)), 1.0, binary=True)  # binary frames are not decoded
    [binary] = session.events()
    assert isinstance(binary, Violation) and binary.error.code == ErrorCode.BAD_MESSAGE
    assert wire(session) == []
    bye = Bye(reason="maintenance", epoch=5)
    session.receive_data(encode(bye), 1.1)
    assert session.events() == [Received(bye)]


# ----- connection loss ------------------------------------------------------------------------


def test_connection_lost_keeps_requests_unacknowledged_instead_of_failing_them() -> None:
    session = opened(request_timeout=1.0)
    session.send_request(CallRelease(id=0, call="c1", key="k-1"), 0.0)
    session.send_request(CallRelease(id=0, call="c2", key="k-2"), 0.0)
    session.connection_lost(0.5)
    assert session.state == "closed"
    session.handle_timer(5.0)
    assert session.events() == []
    assert session.get_timer() is None
    assert [r.key for r in session.unacknowledged()] == ["k-1", "k-2"]

    # replay after reconnecting: new ids, same idempotency keys
    session.connect(6.0)
    session.receive_data(encode(welcome()), 6.0)
    wire(session)
    for request in session.take_unacknowledged():
        session.send_request(request, 6.1)
    assert [(m.id, m.key) for m in wire(session) if isinstance(m, CallRelease)] == [(2, "k-1"), (3, "k-2")]
    assert session.unacknowledged() == []


def test_fail_unacknowledged_gives_each_request_one_failure() -> None:
    session = opened()
    request_id = session.send_request(CallRelease(id=0, call="c1"), 0.0)
    session.connection_lost(0.5)
    session.fail_unacknowledged(0.6)
    [event] = session.events()
    assert isinstance(event, RequestFailed)
    assert event.request.id == request_id and event.error.code == ErrorCode.TIMEOUT
    session.fail_unacknowledged(0.7)
    assert session.events() == []


def test_close_queues_bye_and_refuses_further_sends() -> None:
    session = opened()
    session.close(1.0, "shift over")
    assert wire(session) == [Bye(reason="shift over", epoch=5)]
    assert session.state == "closed"
    with pytest.raises(RuntimeError):
        session.send_notification(FloorAck(call="c1"), 1.1)


# ----- a client and a server machine paired, no sockets ---------------------------------------


def test_client_and_server_machines_talk_to_each_other() -> None:
    client = ClientSession(HELLO)
    server = ServerSession(epoch=3, instance="a", now=0.0)

    def to_server(now: float) -> None:
        for data in client.data_to_send():
            server.receive_data(data, now)

    def to_client(now: float) -> None:
        for data in server.data_to_send():
            client.receive_data(data, now)

    client.connect(0.0)
    to_server(0.0)
    [hello_event] = server.events()
    assert isinstance(hello_event, HelloReceived)
    server.accept(welcome(epoch=0), "alice", 0.01)
    to_client(0.01)
    assert isinstance(client.events()[-1], Welcomed) and client.epoch == 3

    client.send_request(FloorRequest(id=0, group="g1"), 0.02)
    to_server(0.02)
    [received] = server.events()
    assert isinstance(received, RequestReceived)
    server.answer(received.request.id, Ok(result={"outcome": "granted"}), 0.03)
    to_client(0.03)
    [answered] = client.events()
    assert isinstance(answered, Answered) and answered.answer.result == {"outcome": "granted"}

    client.close(0.04)
    to_server(0.04)
    assert isinstance(server.events()[-1], CloseRequested)
