"""Warm talk in the SFU media plane (SPEC §5.14.9, "Warm talk") in `PlatformState`, without sockets or Janus: a console
that monitors a group has its voice published and the present members subscribed to it ahead, paused; the grant only
resumes them, the release pauses them, and they follow the group's membership within bounds."""

from __future__ import annotations

import pytest

from protocols.constants import VIDEO_SETUP_TIMEOUT
from protocols.messages import AffiliationSet, FloorRelease, FloorRequest, MediaAnswer, MediaOffer, Ok, VideoSession
from testbed.line import Line, default_line_path, load_line
from testbed.platform.janus_plane import talk_room
from testbed.platform.model import SFU, Outbound
from testbed.platform.state import PlatformState

GROUP = "TG-S01"  # members present here: HS-001, HS-002 (HS-003 is of TG-S02)


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


def _state(line: Line) -> PlatformState:
    state = PlatformState(line, media_plane="sfu")
    for who in ("chief", "train1", "HS-001", "HS-002", "HS-003"):
        state.attach(who, 100.0)
    return state


def _monitor(state: PlatformState, console: str, groups: list[str], selected: str | None, now: float) -> list[Outbound]:
    answer, out = state.apply(console, AffiliationSet(id=1, groups=groups, selected=selected), now)
    assert isinstance(answer, Ok), answer
    return out


def _notices(out: list[Outbound]) -> list[VideoSession]:
    return [o.message for o in out if isinstance(o.message, VideoSession)]


def _warm(state: PlatformState, console: str) -> dict[str, bool]:
    """sink → paused, for the subscriptions to ``console``'s voice."""
    return {s.sink: s.paused for s in state.video.talk_subscriptions() if s.source == console}


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


def _publications(state: PlatformState) -> list[str]:
    return sorted(s.source for s in state.video.sessions.values() if s.publication)


def test_monitoring_a_group_publishes_the_console_and_subscribes_the_present_members_paused(line: Line) -> None:
    state = _state(line)
    out = _monitor(state, "chief", [GROUP], GROUP, 101.0)
    notices = _notices(out)
    publication = next(n for n in notices if n.sink == SFU)
    assert (publication.source, publication.media, publication.plane, publication.paused) == \
        ("chief", "audio", "sfu", False)
    assert notices.index(publication) == 0, "the publication is announced before its subscriptions"
    subscriptions = {n.sink: n for n in notices if n.sink != SFU}
    assert set(subscriptions) == {"HS-001", "HS-002"}, "present members only: not HS-003 of another group"
    assert all(n.paused and n.source == "chief" and n.state == "requested" for n in subscriptions.values())
    for sink, notice in subscriptions.items():  # announced to the sink, which did not pull it, and to the SFU
        assert next(o.to for o in out if o.message is notice) == {sink, SFU}
    assert talk_room(state, "chief") == GROUP, "a warm publication goes into the selected group's room"
    # a terminal never gets a warm publication; another console monitoring the group is a listener too
    _monitor(state, "train1", [GROUP], GROUP, 102.0)
    assert _publications(state) == ["chief", "train1"]
    assert _warm(state, "chief") == {"HS-001": True, "HS-002": True, "train1": True}
    assert _warm(state, "train1") == {"HS-001": True, "HS-002": True, "chief": True}


def test_the_grant_resumes_the_warm_sessions_and_the_release_pauses_them_with_no_new_session(line: Line) -> None:
    state = _state(line)
    _monitor(state, "chief", [GROUP], GROUP, 101.0)
    _negotiate(state, 101.5)
    sessions = set(state.video.sessions)
    answer, out = state.apply("chief", FloorRequest(id=2, group=GROUP), 102.0)
    assert isinstance(answer, Ok) and answer.result["outcome"] == "granted", answer
    resumed = _notices(out)
    assert sorted(n.sink for n in resumed) == ["HS-001", "HS-002"] and not any(n.paused for n in resumed)
    assert all(n.state == "live" for n in resumed), "only the pause changed"
    assert set(state.video.sessions) == sessions, "the grant sets nothing up: it resumes"
    call = str(answer.result["call"])
    state.apply("chief", FloorRelease(id=3, call=call), 103.0)
    assert _warm(state, "chief") == {"HS-001": True, "HS-002": True}
    # the call ends after its hang time: the subscriptions stay, paused, for the next call
    deadline = state.calls.get_timer()
    assert deadline is not None
    state.handle_timer(deadline + 0.1)
    assert call not in state.calls.calls
    assert set(state.video.sessions) == sessions and all(_warm(state, "chief").values())


def test_a_member_that_comes_later_is_subscribed_and_one_that_goes_or_leaves_the_group_is_not(line: Line) -> None:
    state = _state(line)
    _monitor(state, "chief", [GROUP], GROUP, 101.0)
    out = state.attach("HS-035", 102.0)  # a member of the group registers
    assert [(n.sink, n.paused) for n in _notices(out)] == [("HS-035", True)]
    out = _monitor(state, "HS-001", ["TG-ALL"], None, 103.0)  # a handset leaves the group
    assert [(n.sink, n.state) for n in _notices(out)] == [("HS-001", "stopped")]
    out = _monitor(state, "HS-001", ["TG-ALL", GROUP], None, 104.0)  # and joins it again
    assert [(n.sink, n.paused, n.state) for n in _notices(out)] == [("HS-001", True, "requested")]
    out = state.detach("HS-002", 105.0, orderly=True)
    assert [(n.sink, n.state) for n in _notices(out)] == [("HS-002", "stopped")]
    assert _warm(state, "chief") == {"HS-001": True, "HS-035": True}
    # the console stops monitoring: its subscriptions go, the publication with the last one
    out = _monitor(state, "chief", [], None, 106.0)
    assert {(n.sink, n.state) for n in _notices(out)} == {("HS-001", "stopped"), ("HS-035", "stopped"),
                                                          (SFU, "stopped")}
    assert state.video.sessions == {}


def test_warm_talk_is_bounded_the_selected_group_first(line: Line) -> None:
    state = _state(line)
    for who in ("HS-004", "BW-01", "HS-035"):
        state.attach(who, 100.0)
    state.video.warm_listeners = 3
    _monitor(state, "chief", ["TG-S02", GROUP], "TG-S02", 101.0)
    assert state.video.warm_groups_of("chief") == ["TG-S02", GROUP]
    # TG-S02's present members (BW-01, HS-003, HS-004) fill the bound before TG-S01's
    assert set(_warm(state, "chief")) == {"BW-01", "HS-003", "HS-004"}
    _monitor(state, "chief", ["TG-S02", GROUP], GROUP, 102.0)
    assert set(_warm(state, "chief")) == {"HS-001", "HS-002", "HS-035"}, "the selected group's members first"
    state.video.warm_listeners = 64
    state.video.warm_groups = 1
    _monitor(state, "chief", ["TG-S02", GROUP], "TG-S02", 103.0)
    assert set(_warm(state, "chief")) == {"BW-01", "HS-003", "HS-004"}, "one group: the selected one"
    state.video.warm_groups = 0
    _monitor(state, "chief", ["TG-S02", GROUP], "TG-S02", 104.0)
    assert state.video.sessions == {}, "no warm groups: nothing ahead"


def test_a_warm_publication_that_never_comes_up_is_not_asked_again_until_the_console_talks_or_comes_back(
        line: Line) -> None:
    """A desk without media never offers: its warm publication fails after VIDEO_SETUP_TIMEOUT, and is not opened
    again at every input (which would fail every 10 s for ever); talking still tries, and a publication that comes
    up makes it warm again."""
    state = _state(line)
    _monitor(state, "chief", [GROUP], GROUP, 101.0)
    out = state.handle_timer(101.0 + VIDEO_SETUP_TIMEOUT)
    assert (SFU, "failed") in {(n.sink, n.state) for n in _notices(out)}
    assert state.video.sessions == {}
    _monitor(state, "chief", [GROUP], GROUP, 112.0)
    assert state.video.sessions == {}, "not warm again"
    answer, _ = state.apply("chief", FloorRequest(id=2, group=GROUP), 113.0)
    assert isinstance(answer, Ok)
    publication = next(s for s in state.video.sessions.values() if s.publication)
    assert not any(_warm(state, "chief").values()), "talking still publishes, unpaused"
    state.notify("chief", MediaOffer(session=publication.id, sdp="offer"), 113.5)
    state.notify(SFU, MediaAnswer(session=publication.id, sdp="answer"), 113.6)
    state.apply("chief", FloorRelease(id=3, call=str(answer.result["call"])), 114.0)
    deadline = state.calls.get_timer()
    assert deadline is not None
    state.handle_timer(deadline + 0.1)  # the call is over: the publication came up, so it stays warm
    assert _warm(state, "chief") == {"HS-001": True, "HS-002": True}
    assert "chief" not in state.video.warm_failed


def test_the_direct_plane_opens_nothing_ahead(line: Line) -> None:
    state = PlatformState(line, media_plane="direct")
    for who in ("chief", "HS-001"):
        state.attach(who, 100.0)
    assert _notices(_monitor(state, "chief", [GROUP], GROUP, 101.0)) == []
    assert state.video.sessions == {}
