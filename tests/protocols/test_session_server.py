"""The server session machine, driven by lists of calls: no sockets, no sleeps."""

from __future__ import annotations

import pytest

from protocols.codec import decode, encode
from protocols.constants import MAX_CONSECUTIVE_ERRORS, CloseCode, ErrorCode
from protocols.machines.session import (
    CloseRequested,
    HelloReceived,
    NotificationReceived,
    PeerSilent,
    RequestReceived,
    ServerSession,
)
from protocols.messages import (
    Bye,
    CallRelease,
    Error,
    FloorAck,
    Hello,
    Location,
    LocationReport,
    Message,
    Ok,
    Ping,
    Pong,
    PresenceUpdate,
    TerminalInfo,
    Welcome,
)

HELLO = Hello(id=1, versions=[1], role="terminal", ident="train-0101", secret="s3cret")
WELCOME = Welcome(version=1, session="s-1", resume_token="tok-1", instance="a", role="active",
                  heartbeat_ms=0, loss_threshold=0)


def wire(session: ServerSession) -> list[Message]:
    return [decode(data) for data in session.data_to_send()]


def server(epoch: int = 4, now: float = 0.0, heartbeat_interval: float = 0.25, loss_threshold: int = 3,
           hello_timeout: float = 5.0) -> ServerSession:
    return ServerSession(epoch=epoch, instance="a", now=now, heartbeat_interval=heartbeat_interval,
                         loss_threshold=loss_threshold, hello_timeout=hello_timeout)


def opened(epoch: int = 4, now: float = 0.0) -> ServerSession:
    session = server(epoch=epoch, now=now)
    session.receive_data(encode(HELLO), now)
    session.events()
    session.accept(WELCOME, "train-0101", now)
    session.data_to_send()
    return session


# ----- handshake ------------------------------------------------------------------------------


def test_hello_is_handed_to_the_owner_and_accept_answers_with_a_filled_in_welcome() -> None:
    session = server(epoch=4, heartbeat_interval=0.5, loss_threshold=4)
    assert session.state == "awaiting_hello"
    session.receive_data(encode(HELLO), 0.1)
    assert session.events() == [HelloReceived(HELLO)]
    assert wire(session) == []
    session.accept(WELCOME, "train-0101", 0.2)
    [answer] = wire(session)
    assert isinstance(answer, Welcome)
    assert (answer.re, answer.epoch, answer.heartbeat_ms, answer.loss_threshold) == (1, 4, 500, 4)
    assert session.state == "open" and session.principal == "train-0101"


def test_hello_without_a_common_version_is_refused_426_and_closed_4002() -> None:
    session = server()
    session.receive_data(encode(Hello(id=1, versions=[2, 3], role="terminal", ident="t")), 0.0)
    [answer] = wire(session)
    assert isinstance(answer, Error) and answer.code == ErrorCode.UNSUPPORTED_VERSION and answer.re == 1
    assert session.events() == [CloseRequested(CloseCode.UNSUPPORTED_VERSION, answer.reason)]
    assert session.state == "closed" and session.close_code == 4002


def test_wrong_credentials_are_refused_401_and_closed_4001() -> None:
    session = server()
    session.receive_data(encode(HELLO), 0.0)
    session.events()
    session.reject(ErrorCode.UNAUTHORIZED, "wrong secret", 0.1)
    assert wire(session) == [Error(code=401, reason="wrong secret", re=1, epoch=4)]
    assert session.events() == [CloseRequested(CloseCode.AUTH_FAILED, "wrong secret")]
    assert session.close_code == 4001


def test_other_refusals_leave_the_connection_waiting_for_another_hello() -> None:
    session = server()
    session.receive_data(encode(HELLO), 0.0)
    session.reject(ErrorCode.NOT_ACTIVE, "standby; try instance b", 0.1)
    assert session.state == "awaiting_hello"
    session.receive_data(encode(Hello(id=2, versions=[1], role="terminal", ident="train-0101")), 0.2)
    assert isinstance(session.events()[-1], HelloReceived)


def test_request_before_hello_gets_401_and_the_hello_still_works() -> None:
    session = server()
    session.receive_data(encode(CallRelease(id=5, call="c1")), 0.0)
    assert wire(session) == [Error(code=401, reason="hello first", re=5, epoch=4)]
    assert session.events() == []
    session.receive_data(encode(FloorAck(call="c1")), 0.0)  # notifications before hello: dropped
    assert wire(session) == [] and session.events() == []
    session.receive_data(encode(HELLO), 0.1)
    assert session.events() == [HelloReceived(HELLO)]


def test_no_hello_within_the_timeout_closes_4006_exactly_then() -> None:
    session = server(now=10.0, hello_timeout=5.0)
    assert session.get_timer() == 15.0
    session.handle_timer(14.999)
    assert session.events() == []
    session.handle_timer(15.0)
    assert session.events() == [CloseRequested(CloseCode.HELLO_TIMEOUT, "no hello in time")]


def test_hello_timeout_does_not_fire_while_the_owner_decides() -> None:
    session = server(now=0.0, hello_timeout=5.0)
    session.receive_data(encode(HELLO), 1.0)
    assert session.get_timer() is None
    session.handle_timer(9.0)
    assert [e for e in session.events() if isinstance(e, CloseRequested)] == []


def test_second_hello_is_refused_409() -> None:
    session = opened()
    session.receive_data(encode(Hello(id=9, versions=[1], role="terminal", ident="x")), 1.0)
    [answer] = wire(session)
    assert isinstance(answer, Error) and answer.code == ErrorCode.CONFLICT and answer.re == 9
    assert session.principal == "train-0101" and session.state == "open"


def test_hello_while_the_first_awaits_a_decision_is_refused_409() -> None:
    session = server()
    session.receive_data(encode(HELLO), 0.0)
    session.receive_data(encode(Hello(id=2, versions=[1], role="terminal", ident="x")), 0.0)
    assert session.events() == [HelloReceived(HELLO)]
    [answer] = wire(session)
    assert isinstance(answer, Error) and (answer.code, answer.re) == (409, 2)


def test_wrong_terminal_kind_is_refused_403_and_closed_4001() -> None:
    session = server()
    session.receive_data(encode(HELLO), 0.0)
    session.reject(ErrorCode.FORBIDDEN, "train-0101 is a train radio", 0.1)
    assert session.close_code == CloseCode.AUTH_FAILED


def test_client_without_the_subprotocol_gets_426_on_its_first_request_and_4002() -> None:
    session = ServerSession(epoch=4, instance="a", now=0.0, negotiated=False)
    session.receive_data(encode(FloorAck(call="c1")), 0.0)  # notifications: ignored as before a hello
    assert wire(session) == [] and session.state == "awaiting_hello"
    session.receive_data(encode(HELLO), 0.1)
    [answer] = wire(session)
    assert isinstance(answer, Error) and (answer.code, answer.re) == (426, 1)
    assert session.events() == [CloseRequested(CloseCode.UNSUPPORTED_VERSION, "no subprotocol in common")]


# ----- requests ---------------------------------------------------------------------------------


def test_request_is_handed_out_and_answered_once() -> None:
    session = opened()
    session.receive_data(encode(CallRelease(id=2, call="c1", epoch=4)), 1.0)
    assert session.events() == [RequestReceived(CallRelease(id=2, call="c1", epoch=4))]
    assert session.awaiting_answer() == [2]
    session.answer(2, Ok(result={"released": True}), 1.1)
    assert wire(session) == [Ok(re=2, result={"released": True}, epoch=4)]
    with pytest.raises(ValueError):
        session.answer(2, Ok(), 1.2)
    with pytest.raises(ValueError):
        session.answer(99, Ok(), 1.2)


def test_reused_request_id_gets_423_even_the_hello_id() -> None:
    session = opened()
    session.receive_data(encode(CallRelease(id=2, call="c1")), 1.0)
    session.receive_data(encode(CallRelease(id=2, call="c2")), 1.0)
    session.receive_data(encode(CallRelease(id=1, call="c3")), 1.0)
    assert [e.request.id for e in session.events() if isinstance(e, RequestReceived)] == [2]
    answers = wire(session)
    assert [(a.code, a.re) for a in answers if isinstance(a, Error)] == [(423, 2), (423, 1)]


def test_ids_may_arrive_out_of_order_but_never_twice() -> None:
    session = opened()
    for request_id in (5, 3, 4, 2, 1000):
        session.receive_data(encode(CallRelease(id=request_id, call="c")), 1.0)
    assert len(session.events()) == 5
    for request_id in (3, 1000, 5):
        session.receive_data(encode(CallRelease(id=request_id, call="c")), 1.0)
    assert session.events() == []
    assert [a.code for a in wire(session) if isinstance(a, Error)] == [423, 423, 423]


def test_answer_after_the_session_closed_is_dropped() -> None:
    session = opened()
    session.receive_data(encode(CallRelease(id=2, call="c1")), 1.0)
    session.connection_lost(1.1)
    session.answer(2, Ok(), 1.2)  # the client vanished mid-request: no error
    assert wire(session) == []


def test_answer_too_large_to_send_becomes_a_500() -> None:
    session = opened()
    session.receive_data(encode(CallRelease(id=2, call="c1")), 1.0)
    session.answer(2, Ok(result={"blob": "x" * 70_000}), 1.1)
    [answer] = wire(session)
    assert isinstance(answer, Error) and answer.code == ErrorCode.INTERNAL and answer.re == 2


# ----- epochs ---------------------------------------------------------------------------------


def test_request_with_a_higher_epoch_is_refused_410_and_the_session_stays_up() -> None:
    session = opened(epoch=4)
    session.receive_data(encode(CallRelease(id=2, call="c1", epoch=6)), 1.0)
    assert session.events() == []
    assert wire(session) == [Error(code=410, reason="instance epoch 4 is older than 6", re=2, epoch=4)]
    session.set_epoch(6)
    session.receive_data(encode(CallRelease(id=3, call="c1", epoch=6)), 1.1)
    assert isinstance(session.events()[0], RequestReceived)


def test_outgoing_messages_carry_the_current_epoch() -> None:
    session = opened(epoch=4)
    update = PresenceUpdate(terminal=TerminalInfo(id="t1", kind="handset"))
    session.send(update, 1.0)
    session.set_epoch(5)
    session.send(update, 1.0)
    assert [m.epoch for m in wire(session)] == [4, 5]


def test_notifications_from_a_newer_epoch_are_fenced_but_heartbeats_still_answered() -> None:
    session = opened(epoch=4)
    session.receive_data(encode(LocationReport(location=Location(station="S3"), epoch=5)), 1.0)
    session.receive_data(encode(Ping(seq=8, epoch=5)), 1.0)
    assert session.events() == []
    assert wire(session) == [Pong(seq=8, epoch=4)]


# ----- bad input ------------------------------------------------------------------------------


def test_garbage_gets_an_error_and_the_session_stays_up() -> None:
    session = opened()
    session.receive_data(b"\xff\xfe not json", 1.0)
    session.receive_data(b'{"t": "warp.drive", "id": 12}', 1.0)
    session.receive_data(b'{"t": "call.release", "id": 13}', 1.0)  # missing "call"
    answers = wire(session)
    assert [(a.code, a.re) for a in answers if isinstance(a, Error)] == [(400, None), (415, 12), (400, 13)]
    assert session.state == "open"
    session.receive_data(encode(CallRelease(id=14, call="c1")), 1.1)
    assert session.events() == [RequestReceived(CallRelease(id=14, call="c1"))]


def test_clients_may_not_send_answers() -> None:
    session = opened()
    session.receive_data(encode(Ok(re=3)), 1.0)
    [answer] = wire(session)
    assert isinstance(answer, Error) and answer.code == ErrorCode.BAD_MESSAGE and answer.re is None
    assert session.events() == []


def test_binary_frame_gets_400_without_re_even_when_it_holds_a_valid_message() -> None:
    session = opened()
    session.receive_data(encode(CallRelease(id=2, call="c1")), 1.0, binary=True)
    assert wire(session) == [Error(code=400, reason="binary frames are not TDP/1 messages", epoch=4)]
    assert session.events() == []
    session.receive_data(encode(CallRelease(id=2, call="c1")), 1.1)  # the id was never used
    assert session.events() == [RequestReceived(CallRelease(id=2, call="c1"))]


def test_too_many_undecodable_messages_in_a_row_close_4007() -> None:
    session = opened()
    for _ in range(MAX_CONSECUTIVE_ERRORS - 1):
        session.receive_data(b"nope", 1.0)
    session.receive_data(encode(FloorAck(call="c1")), 1.0)  # a decodable message resets the count
    for _ in range(MAX_CONSECUTIVE_ERRORS - 1):
        session.receive_data(b"nope", 1.0)
    session.receive_data(encode(Ok(re=1)), 1.0)  # decodable, though refused: resets the count too
    for _ in range(MAX_CONSECUTIVE_ERRORS - 1):
        session.receive_data(b"nope", 1.0)
    assert session.state == "open"
    session.receive_data(encode(FloorAck(call="c1")), 1.0, binary=True)  # binary frames count
    assert session.state == "closed" and session.close_code == CloseCode.TOO_MANY_ERRORS
    assert isinstance(session.events()[-1], CloseRequested)
    assert len(wire(session)) == 3 * MAX_CONSECUTIVE_ERRORS - 1  # every bad message was still answered
    session.receive_data(encode(CallRelease(id=20, call="c1")), 1.1)
    assert session.events() == [] and wire(session) == []


# ----- heartbeats and ending ------------------------------------------------------------------


def test_server_pings_every_interval_and_answers_pings() -> None:
    session = opened(now=0.0)
    assert session.get_timer() == 0.25
    session.receive_data(encode(Pong(seq=1)), 0.2)
    session.handle_timer(0.25)
    session.receive_data(encode(Ping(seq=70)), 0.3)
    session.handle_timer(0.5)
    assert wire(session) == [Ping(seq=1, epoch=4), Pong(seq=70, epoch=4), Ping(seq=2, epoch=4)]


def test_silent_client_is_closed_4004_exactly_at_interval_times_threshold() -> None:
    session = opened(now=0.0)
    session.receive_data(encode(Pong(seq=1)), 1.0)
    session.handle_timer(1.25)
    session.handle_timer(1.5)
    assert session.get_timer() == 1.75
    session.handle_timer(1.749)
    assert session.events() == []
    session.handle_timer(1.75)
    events = session.events()
    assert events[0] == PeerSilent(0.75)
    assert isinstance(events[1], CloseRequested) and events[1].code == CloseCode.HEARTBEAT_TIMEOUT
    assert session.get_timer() is None


def test_bye_from_the_client_ends_the_session_normally() -> None:
    session = opened()
    session.receive_data(encode(Bye(reason="shift over")), 1.0)
    assert session.events() == [NotificationReceived(Bye(reason="shift over")),
                                CloseRequested(CloseCode.NORMAL, "shift over")]


def test_close_says_bye_then_requests_the_close_code() -> None:
    session = opened()
    session.close(CloseCode.DEPOSED, "instance b is active now", 2.0)
    assert wire(session) == [Bye(reason="instance b is active now", epoch=4)]
    assert session.events() == [CloseRequested(CloseCode.DEPOSED, "instance b is active now")]
    session.send(FloorAck(call="c1"), 2.1)
    assert wire(session) == []
