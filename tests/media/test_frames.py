"""The frame wall hands the latest frame per tile across processes, whole or not at all."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from multiprocessing import shared_memory

import av
import numpy as np
import pytest

import media.frames
from media.frames import FrameWall


def picture(width: int, height: int, value: int) -> av.VideoFrame:
    """An I420 frame whose every byte is ``value`` (so a torn copy shows as mixed values)."""
    frame = av.VideoFrame.from_ndarray(np.full((height * 3 // 2, width), value, np.uint8), format="yuv420p")
    frame.pts = value
    return frame


def gradient(width: int, height: int) -> av.VideoFrame:
    rows, cols = np.mgrid[0:height * 3 // 2, 0:width]
    return av.VideoFrame.from_ndarray(((rows + 3 * cols) % 256).astype(np.uint8), format="yuv420p")


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def writer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test on both tile writers: media/_rtpcore.c's `write_yuv` (the default) and numpy's (the fallback)."""
    if request.param == "numpy":
        monkeypatch.setattr(media.frames, "_rtpcore", None)
    else:
        assert media.frames._rtpcore is not None, "media._rtpcore is not built (run ./dev setup)"
    return str(request.param)


@pytest.fixture
def wall() -> Iterator[FrameWall]:
    created = FrameWall.create(tiles=4, max_width=640, max_height=360)
    yield created
    created.close()


def test_latest_frame_round_trips_plane_for_plane(wall: FrameWall) -> None:
    frame = gradient(320, 180)
    wall.clear(2, generation=5)
    wall.write(2, frame)
    read = wall.read(2)
    assert read is not None
    assert (read.tile, read.generation, read.frame_no, read.width, read.height) == (2, 5, 1, 320, 180)
    assert read.format == "yuv420p"
    assert np.array_equal(read.pixels, frame.to_ndarray())
    assert read.age < 5
    assert wall.read(0) is None  # other tiles untouched


def test_readers_hear_only_of_newer_frames_and_older_ones_are_overwritten(wall: FrameWall) -> None:
    for value in (10, 20, 30):
        wall.write(1, picture(320, 180, value))
    latest = wall.read(1)
    assert latest is not None and latest.frame_no == 3 and int(latest.pixels[0, 0]) == 30
    assert wall.read(1, since=latest.seq) is None
    wall.write(1, picture(320, 180, 40))
    newer = wall.read(1, since=latest.seq)
    assert newer is not None and newer.seq > latest.seq and int(newer.pixels[0, 0]) == 40


def test_clearing_a_tile_empties_it_for_its_next_owner(wall: FrameWall) -> None:
    wall.write(0, picture(320, 180, 50))
    assert wall.has_picture(0)
    wall.clear(0, generation=9)
    assert wall.read(0) is None
    assert not wall.has_picture(0)
    assert wall.generation(0) == 9
    wall.write(0, picture(320, 180, 60))
    again = wall.read(0)
    assert again is not None and again.generation == 9 and again.frame_no == 1


def test_frames_larger_than_a_slot_are_scaled_to_fit(wall: FrameWall) -> None:
    wall.write(3, gradient(1280, 720))
    read = wall.read(3)
    assert read is not None and (read.width, read.height) == (640, 360)
    assert read.to_rgb(160, 90).shape == (90, 160, 3)


def test_an_rgb_wall_stores_converted_pictures() -> None:
    wall = FrameWall.create(tiles=1, max_width=320, max_height=180, pixel_format="rgb24")
    try:
        frame = gradient(320, 180)
        wall.write(0, frame)
        read = wall.read(0)
        assert read is not None and read.format == "rgb24" and read.pixels.shape == (180, 320, 3)
        expected = frame.to_ndarray(format="rgb24").astype(int)
        assert np.abs(read.pixels.astype(int) - expected).mean() < 2
        assert read.luma() is read.pixels
    finally:
        wall.close()


def test_another_process_attaches_by_name_and_refuses_foreign_memory(wall: FrameWall) -> None:
    other = FrameWall.attach(wall.name)
    try:
        wall.write(0, picture(320, 180, 77))
        read = other.read(0)
        assert read is not None and int(read.pixels.max()) == 77 and other.tiles == 4
    finally:
        other.close()
    foreign = shared_memory.SharedMemory(create=True, size=4096)
    try:
        with pytest.raises(ValueError, match="not a frame wall"):
            FrameWall.attach(foreign.name)
    finally:
        foreign.close()
        foreign.unlink()


def test_out_of_range_tiles_are_refused(wall: FrameWall) -> None:
    with pytest.raises(IndexError):
        wall.read(4)
    with pytest.raises(IndexError):
        wall.write(-1, picture(320, 180, 1))


def write_for(name: str, seconds: float, writer: str) -> None:
    """In a child process: overwrite tile 0 thousands of times a second (a hundred times a real feed)."""
    if writer == "numpy":
        media.frames._rtpcore = None
    wall = FrameWall.attach(name)
    frames = [picture(320, 180, value) for value in range(256)]
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        wall.write(0, frames[count % 256])
        count += 1
        time.sleep(0.0002)
    wall.close()


def test_a_reader_never_sees_a_torn_frame_while_another_process_writes(wall: FrameWall, writer: str) -> None:
    process = multiprocessing.get_context("spawn").Process(target=write_for, args=(wall.name, 1.5, writer))
    process.start()
    try:
        deadline = time.monotonic() + 20
        while not wall.has_picture(0) and time.monotonic() < deadline:
            time.sleep(0.01)
        reads, seq = 0, -1
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            frame = wall.read(0, since=seq)
            if frame is None:
                continue
            values = np.unique(frame.pixels)
            assert values.size == 1, f"torn frame: values {values[:8]}"
            assert int(values[0]) == frame.pts  # header and pixels from the same write
            seq = frame.seq
            reads += 1
        assert reads > 100
    finally:
        process.join(10)
    assert process.exitcode == 0


def test_the_compiled_writer_refuses_planes_too_small_and_the_tile_then_reads_empty(wall: FrameWall) -> None:
    """(Then a write by whichever writer the test runs with shows again.)"""
    from media import _rtpcore  # type: ignore[attr-defined]

    wall.write(1, picture(320, 180, 9))
    offset = wall._offset(1)
    with pytest.raises(ValueError, match="cannot hold"):
        _rtpcore.write_yuv(wall._memory.buf, offset, wall.slot_size, bytes(320 * 180), 320, bytes(10), 160,
                           bytes(160 * 90), 160, 320, 180, 0, 0.0)
    assert not wall.has_picture(1), "half a picture is never shown"
    with pytest.raises(ValueError, match="does not fit"):
        _rtpcore.write_yuv(wall._memory.buf, offset, wall.slot_size, bytes(4), 2, bytes(1), 1, bytes(1), 1, 1280,
                           720, 0, 0.0)
    wall.write(1, picture(320, 180, 11))
    read = wall.read(1)
    assert read is not None and read.pts == 11 and read.frame_no == 2
