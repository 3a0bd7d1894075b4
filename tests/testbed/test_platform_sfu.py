"""The SFU media plane in `PlatformState`, without sockets or Janus: publications follow subscriptions, SDP goes
between a session's media end and the SFU, pauses, quality, losses, and the media plane going down and back."""

from __future__ import annotations

import pytest

from protocols.messages import (
    AlarmUpdate,
    Error,
    MediaAnswer,
    MediaOffer,
    Ok,
    VideoPause,
    VideoPull,
    VideoQualitySet,
    VideoSession,
    VideoStop,
)
from testbed.line import Line, default_line_path, load_line
from testbed.platform.journal import Entry, apply_entry, message_entry
from testbed.platform.model import SFU, Outbound
from testbed.platform.state import PlatformState
from testbed.platform.video import MEDIA_PLANE_DOWN

CAMERA = "CAM-S01-1"


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


def _state(line: Line, *present: str, plane: str = "sfu") -> PlatformState:
    state = PlatformState(line, media_plane=plane)  # type: ignore[arg-type]
    for who in present:
        state.attach(who, 100.0)
    return state


def _pull(state: PlatformState, who: str, source: str = CAMERA, **fields: object) -> tuple[str, list[Outbound]]:
    answer, out = state.apply(who, VideoPull(id=1, source=source, **fields), 101.0)  # type: ignore[arg-type]
    assert isinstance(answer, Ok), answer
    return str(answer.result["session"]), out


def _notices(out: list[Outbound]) -> list[tuple[VideoSession, frozenset[str]]]:
    return [(o.message, o.to) for o in out if isinstance(o.message, VideoSession)]


def test_the_first_pull_publishes_the_feed_into_the_sfu_and_the_next_pulls_only_subscribe(line: Line) -> None:
    state = _state(line, "chief", "train1", CAMERA)
    first, out = _pull(state, "chief")
    (published, to_publisher), (subscribed, to_sink) = _notices(out)
    assert (published.source, published.sink, published.plane, published.state) == (CAMERA, SFU, "sfu", "requested")
    assert to_publisher == {CAMERA, SFU}, "the terminal hears of its publication"
    assert (subscribed.session, subscribed.sink, subscribed.plane) == (first, "chief", "sfu")
    assert to_sink == {"chief", SFU}, "a subscription is not its source's business"

    second, out = _pull(state, "train1")
    assert [(m.session, to) for m, to in _notices(out)] == [(second, frozenset({"train1", SFU}))]
    video = state.video
    assert [s.id for s in video.sessions.values() if s.publication] == [published.session]
    assert {s.id for s in video.subscriptions_of(CAMERA, "video")} == {first, second}


def test_sdp_goes_between_a_sessions_media_end_and_the_sfu(line: Line) -> None:
    state = _state(line, "chief", CAMERA, "HS-001")
    subscription, out = _pull(state, "chief")
    publication = next(m.session for m, _ in _notices(out) if m.sink == SFU)

    # the source offers its publication; the SFU answers it
    out = state.notify(CAMERA, MediaOffer(session=publication, sdp="offer"), 102.0)
    assert [(type(o.message).__name__, o.to) for o in out if not isinstance(o.message, VideoSession)] == [
        ("MediaOffer", frozenset({SFU}))]
    out = state.notify(SFU, MediaAnswer(session=publication, sdp="answer"), 102.1)
    relayed = next(o for o in out if isinstance(o.message, MediaAnswer))
    assert relayed.to == {CAMERA} and relayed.message.sender == SFU
    assert state.video.sessions[publication].state == "live"

    # the SFU offers to the subscription's sink; the sink answers
    out = state.notify(SFU, MediaOffer(session=subscription, sdp="offer"), 102.2)
    assert next(o.to for o in out if isinstance(o.message, MediaOffer)) == {"chief"}
    assert state.notify("chief", MediaAnswer(session=subscription, sdp="answer"), 102.3)[0].to == {SFU}
    assert state.video.sessions[subscription].state == "live"

    # nobody else's SDP is relayed: not the source's for a subscription, not a stranger's
    assert state.notify(CAMERA, MediaAnswer(session=subscription, sdp="x"), 102.4) == []
    assert state.notify("HS-001", MediaOffer(session=publication, sdp="x"), 102.4) == []


def test_the_publication_sends_hd_only_while_a_sink_that_is_not_paused_watches_in_hd(line: Line) -> None:
    state = _state(line, "chief", "train1", CAMERA)
    watched, _ = _pull(state, "chief")
    _pull(state, "train1")
    published = state.video.publication_of(CAMERA, "video")
    assert published is not None and published.quality == "thumb"

    answer, out = state.apply("chief", VideoQualitySet(id=2, session=watched, quality="hd"), 103.0)
    assert isinstance(answer, Ok) and published.quality == "hd"
    assert [(m.session, m.quality) for m, _ in _notices(out)] == [(watched, "hd"), (published.id, "hd")]

    answer, out = state.apply("chief", VideoPause(id=3, session=watched), 104.0)
    assert isinstance(answer, Ok) and answer.result == {"paused": True}
    assert [(m.session, m.paused, m.quality) for m, _ in _notices(out)] == [(watched, True, "hd"),
                                                                          (published.id, False, "thumb")]
    # pausing again changes nothing; resuming brings HD back
    assert state.apply("chief", VideoPause(id=4, session=watched), 104.5)[1] == []
    state.apply("chief", VideoPause(id=5, session=watched, paused=False), 105.0)
    assert published.quality == "hd"
    # a publication's own quality is not set by hand
    refused, _ = state.apply(CAMERA, VideoQualitySet(id=6, session=published.id, quality="thumb"), 105.5)
    assert isinstance(refused, Error) and refused.code == 409


def test_pausing_is_for_sinks_of_the_sfu_plane(line: Line) -> None:
    direct = _state(line, "chief", CAMERA, plane="direct")
    session, _ = _pull(direct, "chief")
    refused, out = direct.apply("chief", VideoPause(id=2, session=session), 102.0)
    assert isinstance(refused, Error) and refused.code == 409 and "stop" in refused.reason and out == []

    state = _state(line, "chief", CAMERA, "HS-001")
    session, _ = _pull(state, "chief")
    stranger, _ = state.apply("HS-001", VideoPause(id=2, session=session), 102.0)
    assert isinstance(stranger, Error) and stranger.code == 403
    unknown, _ = state.apply("chief", VideoPause(id=3, session="V-99"), 102.0)
    assert isinstance(unknown, Error) and unknown.code == 404


def test_the_last_subscription_gone_stops_the_publication_and_a_lost_source_takes_its_subscriptions(
        line: Line) -> None:
    state = _state(line, "chief", "train1", CAMERA)
    first, _ = _pull(state, "chief")
    second, _ = _pull(state, "train1")
    published = state.video.publication_of(CAMERA, "video")
    assert published is not None

    _, out = state.apply("chief", VideoStop(id=2, session=first), 103.0)
    assert [(m.session, m.state) for m, _ in _notices(out)] == [(first, "stopped")], "train1 still watches"
    # train1's console is lost: its subscription ends, and with it the publication
    out = state.detach("train1", 104.0, orderly=False)
    assert [(m.session, m.state, m.reason) for m, _ in _notices(out)] == [
        (second, "stopped", "train1 lost"), (published.id, "stopped", "nobody watches")]
    assert state.video.sessions == {}

    third, _ = _pull(state, "chief")
    again = state.video.publication_of(CAMERA, "video")
    assert again is not None and again.id != published.id, "watched again: published afresh"
    out = state.detach(CAMERA, 105.0, orderly=False)
    assert {(m.session, m.state) for m, _ in _notices(out)} == {(again.id, "stopped"), (third, "stopped")}


def test_the_media_plane_down_raises_one_alarm_and_its_return_negotiates_every_session_afresh(line: Line) -> None:
    state = _state(line, "chief", "train1", CAMERA, "CAM-S02-1")
    subscriptions = [_pull(state, "chief")[0], _pull(state, "train1")[0], _pull(state, "chief", "CAM-S02-1")[0]]
    for session in state.video.sessions.values():
        session.state = "live"

    out = state.media_plane(False, "connection closed", 110.0)
    (alarm,) = [o for o in out if isinstance(o.message, AlarmUpdate)]
    assert alarm.consoles and alarm.message.alarm.code == MEDIA_PLANE_DOWN
    assert (alarm.message.alarm.severity, alarm.message.alarm.origin) == ("critical", SFU)
    assert alarm.message.alarm.text == "media plane down: connection closed"
    assert state.media_plane(False, "still down", 111.0) == [], "one alarm however often the loss is reported"
    assert all(s.state == "live" for s in state.video.sessions.values()), "nothing else changes while down"

    out = state.media_plane(True, "media plane restarted", 120.0)
    cleared = [o.message.alarm for o in out if isinstance(o.message, AlarmUpdate)]
    assert [(a.id, a.state) for a in cleared] == [(alarm.message.alarm.id, "cleared")]
    notices = _notices(out)
    assert len(notices) == 5 and {m.state for m, _ in notices} == {"requested"}
    assert [m.sink == SFU for m, _ in notices] == [True, True, False, False, False], "publications first"
    assert {m.session for m, _ in notices if m.sink != SFU} == set(subscriptions)
    assert state.media_plane(True, "again", 121.0) != [], "a second return is a second round"


def test_a_journal_with_the_sfu_plane_replays_to_equal_copies(line: Line) -> None:
    entries = [Entry(index=0, epoch=1, now=100.0, kind="attach", principal=who, via="A")
               for who in ("chief", CAMERA)]
    entries.append(message_entry(0, 1, 101.0, "chief", VideoPull(id=1, source=CAMERA, key="k1")))
    entries.append(message_entry(0, 1, 102.0, CAMERA, MediaOffer(session="V-1", sdp="offer")))
    entries.append(message_entry(0, 1, 102.5, SFU, MediaAnswer(session="V-1", sdp="answer")))
    entries.append(Entry(index=0, epoch=1, now=103.0, kind="media_plane", count=0, text="lost"))
    entries.append(Entry(index=0, epoch=1, now=104.0, kind="media_plane", count=1, text="back"))
    active, standby = PlatformState(line, media_plane="sfu"), PlatformState(line, media_plane="sfu")
    for entry in entries:
        assert apply_entry(active, entry) == apply_entry(standby, entry), entry
    assert active.video.sessions == standby.video.sessions
    assert active.alarms == standby.alarms and len(active.alarms) == 1


def test_each_terminal_publishes_into_its_most_specific_groups_room(line: Line) -> None:
    from testbed.platform.janus_plane import NO_GROUP_ROOM, home_room, room_number

    assert home_room(line, CAMERA) == NO_GROUP_ROOM, "cameras have no group: they share a room"
    for terminal in ("HS-001", "TR1901"):
        groups = line.groups_of(terminal)
        room = home_room(line, terminal)
        assert room in groups
        assert len(line.groups[room].members) == min(len(line.groups[g].members) for g in groups)
    numbers = {room_number(name) for name in (*line.groups, NO_GROUP_ROOM)}
    assert len(numbers) == len(line.groups) + 1, "a room number per group"
    assert room_number("TG-S01") == room_number("TG-S01"), "the same on every instance"


def test_a_feed_never_published_fails_its_subscriptions_after_the_setup_timeout_unless_the_sfu_is_down(
        line: Line) -> None:
    """SPEC §5.14.1 in the SFU plane: a publication not live VIDEO_SETUP_TIMEOUT seconds on fails, and takes its
    subscriptions along as failed (their tiles say why); while the SFU is unreachable they wait for its return."""
    from protocols.constants import VIDEO_SETUP_TIMEOUT

    state = _state(line, "chief", CAMERA)
    subscription, _ = _pull(state, "chief")
    state.media_plane(False, "connection closed", 102.0)
    assert state.handle_timer(101.0 + VIDEO_SETUP_TIMEOUT) == [] and subscription in state.video.sessions
    assert state.video.get_timer() is None, "nothing is due while the SFU is away"
    state.media_plane(True, "media plane restarted", 120.0)
    assert state.video.get_timer() == pytest.approx(120.0 + VIDEO_SETUP_TIMEOUT), "a new round, a new bound"
    out = state.handle_timer(120.0 + VIDEO_SETUP_TIMEOUT)
    ended = {m.session: (m.state, m.reason) for m, _ in _notices(out)}
    reason = f"not set up within {VIDEO_SETUP_TIMEOUT:g} s"
    assert ended[subscription] == ("failed", f"{CAMERA}'s feed failed: {reason}")
    assert [end for end, _ in ended.values()] == ["failed", "failed"] and state.video.sessions == {}
