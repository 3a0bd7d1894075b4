"""The video wall's bookkeeping: tiles for feeds, one focused tile in HD, hidden tiles kept for their source,
and a tile's health from the frame wall's sequence numbers (frozen after a second without a picture)."""

from __future__ import annotations

import pytest

from console.core.video_wall import FROZEN_AFTER, VideoWall, WallFull
from media.commands import SessionStats, StreamStats


def test_feeds_take_the_first_free_tiles_and_a_full_wall_refuses_more() -> None:
    wall = VideoWall(tiles=3)
    assert [wall.place(f"CAM-{n}").index for n in range(3)] == [0, 1, 2]
    with pytest.raises(WallFull):
        wall.place("CAM-3")
    wall.release(1)
    assert wall.place("CAM-4").index == 1
    with pytest.raises(ValueError, match="already shows"):
        wall.place("CAM-5", tile=0)
    with pytest.raises(ValueError, match="not on the wall"):
        wall.place("CAM-5", tile=3)


def test_focus_puts_one_tile_in_hd_and_the_previous_one_back_to_a_thumbnail() -> None:
    wall = VideoWall(tiles=4)
    for n in range(3):
        wall.attach(wall.place(f"CAM-{n}").index, f"V-{n}")
    assert [(t.index, t.quality) for t in wall.focus(0)] == [(0, "hd")]
    # the one going down comes first, so that the sources' uplink never carries two HD streams for us
    assert [(t.index, t.quality) for t in wall.focus(2)] == [(0, "thumb"), (2, "hd")]
    assert wall.focus(2) == []
    assert [(t.index, t.quality) for t in wall.focus(None)] == [(2, "thumb")]
    with pytest.raises(ValueError):
        wall.focus(3)


def test_a_hidden_tile_gives_up_its_session_keeps_its_source_and_can_be_shown_again() -> None:
    wall = VideoWall(tiles=2)
    wall.attach(wall.place("CAM-1", asked="TR-1").index, "V-1")
    wall.focus(0)
    assert wall.hide(0) == "V-1"
    tile = wall.tiles[0]
    assert tile.hidden and tile.session is None and tile.quality == "thumb" and wall.focused is None
    assert (tile.source, tile.asked) == ("CAM-1", "TR-1")
    assert wall.free_tile() == 1, "a hidden tile is not free"
    # its old session's end does not empty it; showing it again reserves the same tile
    assert wall.session_ended("V-1", "stopped") is None
    assert wall.place("CAM-1", tile=0).index == 0 and not wall.tiles[0].hidden


def test_a_tile_whose_session_stops_is_emptied() -> None:
    wall = VideoWall(tiles=2)
    wall.attach(wall.place("CAM-1").index, "V-1")
    wall.focus(0)
    assert wall.session_ended("V-1", "stopped") is not None
    assert 0 not in wall.tiles and wall.focused is None


def test_a_tile_whose_session_fails_keeps_its_place_and_says_why_until_tried_again() -> None:
    wall = VideoWall(tiles=2)
    wall.attach(wall.place("CAM-1", asked="TR-1").index, "V-1", now=5.0)
    wall.media_state("V-1", "connecting", now=5.5)
    tile = wall.session_ended("V-1", "failed", "not set up within 10 s")
    assert tile is wall.tiles[0] and tile.state == "failed" and tile.failed == "not set up within 10 s"
    assert tile.session is None and not tile.showing and wall.free_tile() == 1, "a failed tile is not free"
    # pulled again onto the same tile: a fresh tile there
    again = wall.place("CAM-1", tile=0, asked="TR-1")
    assert again.index == 0 and again.state == "requested" and again.failed == ""


def test_a_tile_whose_media_has_not_come_up_in_time_is_overdue() -> None:
    wall = VideoWall(tiles=3)
    wall.attach(wall.place("CAM-1").index, "V-1", now=0.0)
    wall.attach(wall.place("CAM-2").index, "V-2", now=0.0)
    wall.attach(wall.place("CAM-3").index, "V-3", now=8.0)
    wall.media_state("V-2", "connected", now=1.0)
    assert [t.source for t in wall.overdue(10.5, 10.0)] == ["CAM-1"], "connected, or not yet due: not overdue"
    wall.hide(0)
    assert wall.overdue(30.0, 10.0) == [wall.tiles[2]], "a hidden tile waits for nothing"


def test_a_live_feed_without_a_new_picture_for_a_second_is_frozen() -> None:
    wall = VideoWall(tiles=1)
    wall.attach(wall.place("CAM-1").index, "V-1")
    wall.media_state("V-1", "connected", now=10.0)
    wall.observe(0, seq=2, has_picture=False, now=10.1)  # the tile was emptied for the session: no picture yet
    assert not wall.tiles[0].showing and not wall.tiles[0].frozen
    wall.observe(0, seq=2, has_picture=False, now=10.0 + FROZEN_AFTER + 0.1)
    assert wall.tiles[0].frozen, "connected but never a picture"
    wall.observe(0, seq=4, has_picture=True, now=11.2)
    assert wall.tiles[0].showing and not wall.tiles[0].frozen
    wall.observe(0, seq=40, has_picture=True, now=12.0)
    wall.observe(0, seq=40, has_picture=True, now=12.0 + FROZEN_AFTER / 2)
    assert not wall.tiles[0].frozen and wall.tiles[0].last_frame_age == pytest.approx(FROZEN_AFTER / 2)
    wall.observe(0, seq=40, has_picture=True, now=12.0 + FROZEN_AFTER + 0.01)
    assert wall.frozen == [wall.tiles[0]]


def test_a_feed_whose_media_closed_under_a_live_session_is_frozen() -> None:
    wall = VideoWall(tiles=1)
    wall.attach(wall.place("CAM-1").index, "V-1")
    wall.media_state("V-1", "checking", now=10.0)
    wall.observe(0, seq=1, has_picture=False, now=10.0 + FROZEN_AFTER + 0.5)
    assert not wall.tiles[0].frozen, "still connecting: not frozen yet"
    wall.media_state("V-1", "connected", now=11.0)
    wall.observe(0, seq=3, has_picture=True, now=11.1)
    wall.media_state("V-1", "closed", now=11.2)  # the far end went away; the platform still says live
    wall.observe(0, seq=3, has_picture=True, now=11.1 + FROZEN_AFTER + 0.01)
    assert wall.frozen == [wall.tiles[0]]


def test_engine_stats_fill_the_tile_of_their_session() -> None:
    wall = VideoWall(tiles=2)
    wall.attach(wall.place("CAM-1").index, "V-1")
    video = StreamStats(kind="video", frames=250, fps=25.0, last_frame_age=0.01, freezes=0, freeze_seconds=0.0,
                        decode_errors=0, packets_received=300, packets_lost=0, width=1280, height=720)
    wall.take_stats(SessionStats(session="V-1", worker=0, tile=0, state="connected", bytes_received=1,
                                 video=video, audio=None))
    tile = wall.tiles[0]
    assert (tile.frames, tile.fps, tile.width, tile.height) == (250, 25.0, 1280, 720)


def test_a_restarted_tile_keeps_its_place_source_quality_and_focus_and_forgets_its_old_feed() -> None:
    wall = VideoWall(tiles=3)
    wall.attach(wall.place("CAM-1").index, "V-1")
    wall.attach(wall.place("CAM-2", asked="TR-2").index, "V-2")
    wall.focus(1)
    wall.media_state("V-2", "connected", 10.0)
    wall.observe(1, 2, True, 10.5)
    assert wall.tiles[1].showing
    placed = wall.restart(1)  # the platform switched to its standby: the feed is pulled again
    assert placed is wall.tiles[1] and wall.focused == 1
    assert (placed.source, placed.asked, placed.quality, placed.focused) == ("CAM-2", "TR-2", "hd", True)
    assert (placed.session, placed.state, placed.media_state) == (None, "restoring", "new")
    assert not placed.showing and not placed.frozen and placed.last_frame_age is None
    wall.observe(1, 4, True, 20.0)  # pictures of no session are not the tile's
    assert not placed.showing
    assert wall.by_session("V-2") is None and wall.tiles[0].session == "V-1"
    wall.attach(1, "V-7")  # the new session
    assert wall.by_session("V-7") is placed and placed.quality == "hd"
