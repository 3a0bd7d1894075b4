"""Generated clips: WebRTC-friendly H.264, a stamp on every frame, reproducible, cached, and a command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import pytest

from media.clips import clip_spec, ensure_clip, generate_clip, main
from media.stamp import read_frame_stamp


def test_thumb_clip_is_constrained_baseline_with_a_keyframe_every_second_and_a_stamp_on_every_frame(
        make_clip: Callable[..., Path]) -> None:
    path = make_clip("thumb", 7)
    keyframes, stamps, pictures = [], [], set()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert container.format.name == "mpegts"
        assert stream.codec_context.profile == "Constrained Baseline"
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
        for index, packet in enumerate(p for p in container.demux(stream) if p.size):
            if packet.is_keyframe:
                keyframes.append(index)
            for frame in packet.decode():
                stamps.append(read_frame_stamp(frame))
                pictures.add(av.video.frame.PictureType(frame.pict_type).name)
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
    assert stamps == [(7, n) for n in range(250)]  # 10 s at 25 fps, every frame readable, in order
    assert keyframes == list(range(0, 250, 25))
    assert pictures <= {"I", "P"}  # no B-frames
    bitrate = path.stat().st_size * 8 / duration
    assert 150_000 < bitrate < 400_000  # about 0.25 Mbps (plus MPEG-TS overhead)


def test_hd_clip_is_720p_and_stamped(make_clip: Callable[..., Path]) -> None:
    path = make_clip("hd", 9, seconds=1.0)
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert (frames[0].width, frames[0].height) == (1280, 720)
    assert [read_frame_stamp(f) for f in frames] == [(9, n) for n in range(25)]
    # about 2.5 Mbps: the grain makes the encoder spend its budget as a camera picture would
    assert 1_500_000 < path.stat().st_size * 8 < 3_600_000


def test_generation_is_reproducible_and_the_cache_is_reused(tmp_path: Path) -> None:
    spec = clip_spec("thumb", 3, "ST-03", seconds=1.0)
    first = generate_clip(spec, tmp_path / "a.ts")
    second = generate_clip(spec, tmp_path / "b.ts")
    assert first.read_bytes() == second.read_bytes()
    cached = ensure_clip(spec, tmp_path / "cache")
    mtime = cached.stat().st_mtime_ns
    assert ensure_clip(spec, tmp_path / "cache") == cached
    assert cached.stat().st_mtime_ns == mtime
    # another source or length is another file
    assert ensure_clip(clip_spec("thumb", 4, "ST-03", seconds=1.0), tmp_path / "cache") != cached
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_command_line_generates_into_the_given_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--source-id", "12", "--label", "CAM-0504-CAB", "--quality", "thumb", "--seconds", "0.4",
                 "--out", str(tmp_path)]) == 0
    quality, path = capsys.readouterr().out.strip().split("\t")
    assert quality == "thumb"
    assert Path(path).parent == tmp_path
    with av.open(path) as container:
        frames = list(container.decode(video=0))
    assert [read_frame_stamp(f) for f in frames] == [(12, n) for n in range(10)]
