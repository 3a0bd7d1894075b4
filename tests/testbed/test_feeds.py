"""A simulated terminal's media sessions, the parts that need no network: numbering, bookkeeping, refusals.
(Real media through the platform: tests/integration/test_media_*.py.)"""

from __future__ import annotations

import asyncio

from protocols.messages import MediaAnswer, Ok, Request, TextMessage, VideoSession, VideoStop
from testbed.line import Line, default_line_path, load_line
from testbed.terminals import Fleet
from testbed.terminals.feeds import MAX_FEEDS, FeedSettings, TerminalFeeds, media_number, media_numbers


def test_every_terminal_of_a_line_gets_its_own_number_in_line_order() -> None:
    line: Line = load_line(default_line_path())
    numbers = media_numbers(line.terminals)
    assert sorted(numbers.values()) == list(range(1, len(line.terminals) + 1))
    assert numbers[next(iter(line.terminals))] == 1
    fleet = Fleet(line, "ws://127.0.0.1:1", rate=0, include=["CAM-S01-1", "HS-001"])
    assert fleet.terminal("CAM-S01-1").feeds.number == numbers["CAM-S01-1"]
    assert fleet.terminal("HS-001").feeds.number == numbers["HS-001"]
    assert 1 <= media_number("ANY-ID") <= 4000 and media_number("ANY-ID") == media_number("ANY-ID")


async def test_sessions_are_followed_only_when_the_terminal_is_the_source_and_extra_ones_are_refused() -> None:
    asked: list[Request] = []

    async def request(message: Request) -> Ok:
        asked.append(message)
        return Ok(re=message.id, result={"stopped": True})

    feeds = TerminalFeeds("CAM-1", 7, FeedSettings(), talking=lambda: False, notify=lambda _m: None,
                          request=request)
    assert feeds.handle(VideoSession(session="V-0", source="CAM-2", sink="chief"))
    assert not feeds.feeds, "another terminal's session"
    for n in range(1, MAX_FEEDS + 2):
        feeds.handle(VideoSession(session=f"V-{n}", source="CAM-1", sink="chief"))
    await asyncio.sleep(0.01)
    assert len(feeds.feeds) == MAX_FEEDS
    assert [m.session for m in asked if isinstance(m, VideoStop)] == [f"V-{MAX_FEEDS + 1}"]
    # a quality change is noted (the clip follows once a sender runs), a stop forgets the session
    feeds.handle(VideoSession(session="V-1", source="CAM-1", sink="chief", quality="hd", state="live"))
    assert feeds.feeds["V-1"].quality == "hd" and feeds.feeds["V-1"].state == "live"
    feeds.handle(VideoSession(session="V-1", source="CAM-1", sink="chief", state="stopped"))
    assert "V-1" not in feeds.feeds
    assert feeds.handle(MediaAnswer(session="V-2", sdp="v=0"))  # ours to ignore: sources never offer
    assert not feeds.handle(TextMessage(message="M-1", sender="chief", text="hi"))
    await feeds.close()
    assert not feeds.feeds and len(feeds.heard(1.0)) == 0
