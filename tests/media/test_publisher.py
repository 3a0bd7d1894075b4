"""A publication of the SFU plane: thumbnail then HD in one offer, HD sent only while wanted and from a keyframe,
and a keyframe request making a pre-encoded clip skip ahead to its next keyframe."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from media.clips import clip_spec
from media.publisher import FeedPublisher, GatedClipTrack
from media.sources import ClipTrack, EncodedClip, ToneTrack, load_clip
from testbed.platform.janus_plane import video_descriptions

LOOPBACK = ("127.0.0.1",)


async def test_a_keyframe_request_makes_the_clip_skip_ahead_to_its_next_keyframe(
        make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("thumb", 21, seconds=2.0))  # keyframes at frames 0 and 25
    assert [i for i, key in enumerate(clip.keyframes) if key] == [0, 25]
    track = ClipTrack(clip)
    for _ in range(3):
        await track.recv()
    track.request_keyframe()
    jumped = await track.recv()
    assert bytes(jumped) == clip.units[25] and track.keyframe_jumps == 1
    assert jumped.pts == 3 * 3600, "the timeline runs on: only the picture skips ahead"
    assert bytes(await track.recv()) == clip.units[26]
    # on a keyframe already: nothing to skip
    for _ in range(48):  # back round to frame 25 (the clip has 50 frames)
        await track.recv()
    track.request_keyframe()
    assert bytes(await track.recv()) == clip.units[25] and track.keyframe_jumps == 1
    track.stop()


async def test_a_gated_clip_sends_nothing_while_shut_loads_its_clip_when_first_opened_and_starts_at_a_keyframe(
        make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("thumb", 22, seconds=2.0))
    loads: list[int] = []

    async def load() -> EncodedClip:
        loads.append(1)
        return clip

    gate = {"open": False}
    track = GatedClipTrack(load, lambda: gate["open"])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.2)
    assert loads == [] and track.source is None, "nothing loaded while nobody wants it"
    gate["open"] = True
    first = await track.recv()
    assert bytes(first) == clip.units[0] and loads == [1]
    for _ in range(5):
        await track.recv()
    gate["open"] = False
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.2)
    gate["open"] = True
    again = await track.recv()
    assert bytes(again) == clip.units[0], "opened again: from the clip's first keyframe"
    assert loads == [1]
    track.stop()


async def test_a_video_publication_offers_thumbnail_then_hd_send_only_and_a_voice_one_its_microphone(
        make_clip: Callable[..., Path]) -> None:
    thumb = load_clip(make_clip("thumb", 23, seconds=0.4))
    video = FeedPublisher(thumb=thumb, hd=thumb, allowed_addresses=LOOPBACK, name="video")
    offer = await video.offer()
    sections = offer.split("\r\nm=")[1:]
    assert [s.split(" ")[0] for s in sections] == ["video", "video"]
    assert all("a=sendonly" in s and "H264" in s for s in sections)
    assert video_descriptions(offer) == {"0": "thumb", "1": "hd"}
    assert not video.hd_on
    video.send_hd(True)
    assert video.hd_on
    await video.close()

    voice = FeedPublisher(audio=ToneTrack(700.0), allowed_addresses=LOOPBACK, name="voice")
    offer = await voice.offer()
    assert [s.split(" ")[0] for s in offer.split("\r\nm=")[1:]] == ["audio"]
    assert video_descriptions(offer) == {}
    await voice.close()
    with pytest.raises(ValueError):
        FeedPublisher(allowed_addresses=LOOPBACK)


def test_a_clip_at_another_frame_rate_keeps_a_keyframe_a_second_and_the_bits_per_frame() -> None:
    usual, slow = clip_spec("thumb", 1, "CAM"), clip_spec("thumb", 1, "CAM", fps=10)
    assert (slow.fps, slow.gop, slow.bitrate) == (10, 10, usual.bitrate * 10 // 25)
    assert slow.file_name() != usual.file_name()
