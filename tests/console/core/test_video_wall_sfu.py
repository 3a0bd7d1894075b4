"""The wall's tiles in the SFU plane: a hidden tile keeps its (paused) session, is never flagged frozen while
hidden, and shown again it resumes the same session, frozen again only if no picture comes."""

from __future__ import annotations

from console.core.video_wall import FROZEN_AFTER, VideoWall


def test_a_tile_hidden_with_its_session_kept_is_not_frozen_and_resumes_the_same_session() -> None:
    wall = VideoWall(4)
    tile = wall.attach(wall.place("CAM-S01-1").index, "V-2")
    wall.focus(tile.index)
    wall.media_state("V-2", "connected", 10.0)
    wall.observe(tile.index, 5, True, 10.1)

    assert wall.hide(tile.index, keep_session=True) == "V-2"
    assert (tile.session, tile.hidden, tile.state, tile.quality) == ("V-2", True, "hidden", "thumb")
    assert wall.focused is None and tile.media_state == "connected", "the peer connection stays up"
    wall.observe(tile.index, 5, True, 10.1 + 5 * FROZEN_AFTER)
    assert not tile.frozen and not wall.frozen, "a paused tile is expected to get nothing"
    wall.session_state("V-2", "live", "thumb")
    assert tile.state == "hidden"

    wall.unhide(tile.index, 20.0)
    assert (tile.hidden, tile.session, tile.state) == (False, "V-2", "live")
    wall.observe(tile.index, 5, True, 20.0 + FROZEN_AFTER / 2)
    assert not tile.frozen, "a moment to bring the next picture"
    wall.observe(tile.index, 5, True, 20.0 + 2 * FROZEN_AFTER)
    assert tile.frozen, "shown again and still no picture: frozen"
    wall.observe(tile.index, 6, True, 20.0 + 2.1 * FROZEN_AFTER)
    assert not tile.frozen

    # its session ended while hidden: the tile keeps its place and forgets the session (showing pulls anew)
    wall.hide(tile.index, keep_session=True)
    wall.session_ended("V-2", "stopped")
    assert tile.index in wall.tiles and tile.session is None and tile.hidden
