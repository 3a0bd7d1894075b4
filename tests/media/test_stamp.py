"""The frame stamp survives a round trip through pixels, and anything that is not a stamp reads as None."""

from __future__ import annotations

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.stamp import FRAME_BITS, SOURCE_BITS, draw_text, read_frame_stamp, stamp_geometry, write_stamp

SIZES = [(320, 180), (640, 360), (1280, 720)]


def grey(width: int, height: int, value: int = 100) -> np.ndarray:
    return np.full((height, width), value, dtype=np.uint8)


@pytest.mark.parametrize(("width", "height"), SIZES)
@given(source_id=st.integers(0, (1 << SOURCE_BITS) - 1), frame_no=st.integers(0, (1 << FRAME_BITS) - 1))
def test_stamp_round_trips_at_every_wall_size(width: int, height: int, source_id: int, frame_no: int) -> None:
    luma = grey(width, height)
    write_stamp(luma, source_id, frame_no)
    assert read_frame_stamp(luma) == (source_id, frame_no)


def test_stamp_reads_from_rgb_arrays_and_video_frames() -> None:
    luma = grey(320, 180)
    write_stamp(luma, 42, 1234)
    rgb = np.repeat(luma[:, :, None], 3, axis=2)
    assert read_frame_stamp(rgb) == (42, 1234)
    assert read_frame_stamp(av.VideoFrame.from_ndarray(rgb, format="rgb24")) == (42, 1234)
    yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    assert read_frame_stamp(yuv) == (42, 1234)


def test_stamp_survives_noise_and_blur_of_a_few_levels() -> None:
    rng = np.random.default_rng(1)
    luma = grey(320, 180)
    write_stamp(luma, 7, 99)
    noisy = np.clip(luma.astype(int) + rng.integers(-40, 41, luma.shape), 0, 255).astype(np.uint8)
    assert read_frame_stamp(noisy) == (7, 99)


@pytest.mark.parametrize("picture", ["black", "white", "grey", "noise"])
def test_pictures_without_a_stamp_read_as_none(picture: str) -> None:
    rng = np.random.default_rng(2)
    luma = {
        "black": grey(320, 180, 0),
        "white": grey(320, 180, 255),
        "grey": grey(320, 180, 128),
        "noise": rng.integers(0, 256, (180, 320), dtype=np.uint8),
    }[picture]
    assert read_frame_stamp(luma) is None


def test_a_flipped_bit_fails_the_check() -> None:
    luma = grey(320, 180)
    write_stamp(luma, 5, 300)
    cell_w, cell_h, _ = stamp_geometry(180)
    cell = 2 + SOURCE_BITS + FRAME_BITS - 1  # the frame number's lowest bit
    region = luma[0:cell_h, cell * cell_w:(cell + 1) * cell_w]
    region[...] = 235 if region.mean() < 128 else 16
    assert read_frame_stamp(luma) is None


def test_out_of_range_source_id_is_refused_and_frame_numbers_wrap() -> None:
    luma = grey(320, 180)
    with pytest.raises(ValueError, match="bits"):
        write_stamp(luma, 1 << SOURCE_BITS, 0)
    write_stamp(luma, 1, (1 << FRAME_BITS) + 3)
    assert read_frame_stamp(luma) == (1, 3)


def test_a_frame_too_narrow_for_the_stamp_has_none() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        write_stamp(grey(100, 180), 1, 1)
    assert read_frame_stamp(grey(100, 180)) is None


def test_text_is_drawn_inside_the_picture_and_clipped_at_its_edge() -> None:
    luma = grey(60, 20, 0)
    draw_text(luma, "TR-05", 2, 2, 2)
    assert luma.max() == 235
    assert luma[:2].max() == 0  # nothing above the text
    draw_text(luma, "WIDE TEXT PAST THE EDGE", 40, 15, 3)  # clipped, no error
