"""Consoles talk in the SFU media plane (SPEC §5.14.9, "Consoles talk") in `PlatformState`, without sockets or Janus:
a console holding a floor is published once and subscribed to by the call's other parties, paused between bursts,
stopped when the call ends; nothing of it in the direct plane."""

from __future__ import annotations

import pytest

from protocols.messages import (
    AffiliationSet,
    FloorAck,
    FloorRelease,
    FloorRequest,
    MediaAnswer,
    MediaOffer,
    Ok,
    VideoSession,
)
from testbed.line import Line, default_line_path, load_line
from testbed.platform.journal import Entry, apply_entry, message_entry
from testbed.platform.model import SFU, Outbound
from testbed.platform.state import PlatformState

GROUP = "TG-S01"


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


def _state(line: Line, plane: str = "sfu", *, warm: bool = False) -> PlatformState:
    """Two consoles monitoring GROUP (selected) and three handsets; without warm talk unless ``warm`` (the tests
    of the voice set up when a console first talks; test_platform_sfu_warm_talk.py tests warm talk)."""
    state = PlatformState(line, media_plane=plane)  # type: ignore[arg-type]
    if not warm:
        state.video.warm_groups = 0
    for who in ("chief", "train1", "HS-001", "HS-002", "HS-003"):
        state.attach(who, 100.0)
    for console in ("chief", "train1"):
        answer, _ = state.apply(console, AffiliationSet(id=1, groups=[GROUP], selected=GROUP), 100.5)
        assert isinstance(answer, Ok), answer
    return state


def _notices(out: list[Outbound]) -> list[VideoSession]:
    return [o.message for o in out if isinstance(o.message, VideoSession)]


def _press(state: PlatformState, who: str, now: float) -> tuple[str, list[Outbound]]:
    answer, out = state.apply(who, FloorRequest(id=2, group=GROUP), now)
    assert isinstance(answer, Ok) and answer.result["outcome"] == "granted", answer
    return str(answer.result["call"]), out


def test_a_console_holding_the_floor_is_published_once_and_every_other_party_subscribed(line: Line) -> None:
    state = _state(line)
    _call, out = _press(state, "chief", 101.0)
    notices = _notices(out)
    publication = next(n for n in notices if n.sink == SFU)
    assert (publication.source, publication.media, publication.plane) == ("chief", "audio", "sfu")
    subscriptions = {n.sink: n for n in notices if n.sink != SFU}
    assert set(subscriptions) == {"HS-001", "HS-002", "train1"}, "the call's other parties, not HS-003 elsewhere"
    assert all(n.source == "chief" and n.media == "audio" and not n.paused for n in subscriptions.values())
    # each announced to its sink (who did not pull it) and the SFU, not to the talker
    for sink, notice in subscriptions.items():
        to = next(o.to for o in out if o.message is notice)
        assert to == {sink, SFU}
    assert sorted(s.sink for s in state.video.talk_subscriptions()) == ["HS-001", "HS-002", "train1"]
    from testbed.platform.janus_plane import talk_room, talkers

    assert talk_room(state, "chief") == GROUP and talk_room(state, "HS-001") is None
    assert "chief" in talkers(state)


def test_between_bursts_the_subscriptions_wait_paused_and_the_next_burst_resumes_them(line: Line) -> None:
    state = _state(line)
    call, _ = _press(state, "chief", 101.0)
    sessions = {s.id for s in state.video.sessions.values()}
    answer, out = state.apply("chief", FloorRelease(id=3, call=call), 102.0)
    assert isinstance(answer, Ok)
    paused = _notices(out)
    assert sorted(n.sink for n in paused) == ["HS-001", "HS-002", "train1"] and all(n.paused for n in paused)

    # a handset talks: the console's voice stays paused; its own publication is the terminal's business
    _press(state, "HS-001", 103.0)
    assert all(s.paused for s in state.video.talk_subscriptions())
    state.apply("HS-001", FloorRelease(id=4, call=call), 104.0)

    _call, out = _press(state, "chief", 105.0)
    resumed = _notices(out)
    assert sorted(n.sink for n in resumed) == ["HS-001", "HS-002", "train1"] and not any(n.paused for n in resumed)
    assert {s.id for s in state.video.sessions.values()} == sessions, "the same sessions: no new set-up"


def _negotiate(state: PlatformState, now: float) -> None:
    """Every session offered and answered (the SDP relayed as the desk, the terminals and the SFU would)."""
    for session in sorted(state.video.sessions.values(), key=lambda s: (not s.publication, s.id)):
        if session.publication:
            state.notify(session.source, MediaOffer(session=session.id, sdp="offer"), now)
            state.notify(SFU, MediaAnswer(session=session.id, sdp="answer"), now)
        else:
            state.notify(SFU, MediaOffer(session=session.id, sdp="offer"), now)
            state.notify(session.sink, MediaAnswer(session=session.id, sdp="answer"), now)
    assert {s.state for s in state.video.sessions.values()} == {"live"}


def test_the_call_ending_stops_the_subscriptions_and_the_publication(line: Line) -> None:
    state = _state(line)
    call, _ = _press(state, "chief", 101.0)
    _negotiate(state, 101.5)
    state.apply("chief", FloorRelease(id=3, call=call), 102.0)
    deadline = state.get_timer()
    assert deadline is not None
    out = state.handle_timer(deadline + 0.1)  # the hang time: the idle call ends
    ended = _notices(out)
    assert {n.state for n in ended} == {"stopped"}
    assert sorted(n.sink for n in ended) == ["HS-001", "HS-002", SFU, "train1"]
    assert state.video.sessions == {}


def test_a_listener_that_leaves_loses_its_subscription_and_a_lost_console_its_publication(line: Line) -> None:
    state = _state(line)
    _press(state, "chief", 101.0)
    out = state.detach("HS-002", 102.0, orderly=True)
    assert [(n.sink, n.state) for n in _notices(out)] == [("HS-002", "stopped")]
    out = state.detach("chief", 103.0, orderly=False)
    assert {(n.sink, n.state) for n in _notices(out)} == {(SFU, "stopped"), ("HS-001", "stopped"),
                                                          ("train1", "stopped")}
    assert state.video.sessions == {}


def test_the_direct_plane_opens_nothing_for_a_talking_console(line: Line) -> None:
    state = _state(line, plane="direct")
    _call, out = _press(state, "chief", 101.0)
    assert _notices(out) == [] and state.video.sessions == {}


def test_a_journal_of_a_console_talking_replays_to_equal_copies(line: Line) -> None:
    entries = [Entry(index=0, epoch=1, now=100.0, kind="attach", principal=who, via="A")
               for who in ("chief", "train1", "HS-001", "HS-002")]
    entries.append(message_entry(0, 1, 100.5, "train1", AffiliationSet(id=1, groups=[GROUP], key="a1")))
    entries.append(message_entry(0, 1, 101.0, "chief", FloorRequest(id=2, group=GROUP, key="f1")))
    entries.append(message_entry(0, 1, 102.0, "chief", FloorRelease(id=3, call="C-1", key="f2")))
    active, standby = PlatformState(line, media_plane="sfu"), PlatformState(line, media_plane="sfu")
    for entry in entries:
        assert apply_entry(active, entry) == apply_entry(standby, entry), entry
    # train1 monitors the group: warm, it is published with HS-001 and HS-002 subscribed; chief talks: published,
    # with HS-001, HS-002 and train1 subscribed
    assert active.video.sessions == standby.video.sessions and len(active.video.sessions) == 7


def test_a_session_not_live_within_the_setup_timeout_fails_and_a_silent_console_is_not_published_again(
        line: Line) -> None:
    """SPEC §5.14.1: a session not live VIDEO_SETUP_TIMEOUT seconds after it was requested fails. A desk that never
    offers its publication (no media) is not asked again while it keeps talking."""
    from protocols.constants import VIDEO_SETUP_TIMEOUT

    state = _state(line)
    call, _ = _press(state, "chief", 101.0)
    state.notify("chief", FloorAck(call=call), 101.1)
    assert state.video.get_timer() == pytest.approx(101.0 + VIDEO_SETUP_TIMEOUT)
    out = state.handle_timer(101.0 + VIDEO_SETUP_TIMEOUT)
    ended = {(n.sink, n.state) for n in _notices(out)}
    assert (SFU, "failed") in ended and state.video.sessions == {}
    assert all(n.reason for n in _notices(out))
    assert next(n.reason for n in _notices(out) if n.sink == SFU) == f"not set up within {VIDEO_SETUP_TIMEOUT:g} s"
    # still talking: not published again at the next input
    floor = state.calls.calls[call].floor
    assert floor is not None and floor.holder == "chief"
    state.apply("chief", AffiliationSet(id=5, groups=[GROUP], selected=GROUP), 112.0)
    assert floor.holder == "chief"
    assert state.video.sessions == {}
    # the next burst tries again
    state.apply("chief", FloorRelease(id=6, call=call), 113.0)
    _press(state, "chief", 114.0)
    assert len(state.video.sessions) == 4
