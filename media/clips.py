"""Pre-encoded test clips: H.264 in MPEG-TS, stamped per frame, generated reproducibly into a cache.

Simulated cameras send these clips without re-encoding (sources.py), so a wall of 30 feeds costs the senders
almost nothing. Each clip belongs to one source: its frames carry the source id and the frame number in a
machine-readable stamp (stamp.py) and, for people, the label and frame number in digits. One clip per
source id and quality; the stamp's source id is how tests tell which terminal a tile shows.

Encoding is WebRTC-friendly: constrained baseline, no B-frames, a keyframe (with SPS/PPS) every second,
a single slice per frame, so a receiver that joins mid-stream shows a picture within a second.

    python -m media.clips --source-id 7 --label TR-0504 --quality thumb hd
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import av
import numpy as np
import numpy.typing as npt
import platformdirs

from media.stamp import draw_text, stamp_geometry, text_width, write_stamp

log = logging.getLogger(__name__)

__all__ = ["QUALITIES", "ClipSpec", "Quality", "clip_spec", "default_cache_dir", "ensure_clip", "generate_clip", "main"]

Quality = Literal["thumb", "hd"]

#: bumped whenever the picture or the encoding changes, so that cached clips are made again
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class ClipSpec:
    """What a clip shows and how it is encoded."""

    source_id: int
    label: str
    width: int
    height: int
    bitrate: int
    fps: int = 25
    #: frames between keyframes (1-2 s is what a receiver joining mid-stream can wait for)
    gop: int = 25
    seconds: float = 10.0

    @property
    def frames(self) -> int:
        return round(self.seconds * self.fps)

    def file_name(self) -> str:
        """A cache file name that changes with every field and with the generator."""
        digest = hashlib.sha256(repr((GENERATOR_VERSION, sorted(asdict(self).items()))).encode()).hexdigest()[:12]
        label = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.label)
        return f"{label}-{self.source_id}-{self.width}x{self.height}-{digest}.ts"


#: thumbnail (grid tiles) and HD (focused tiles), as the SPEC's `video.quality` names them
QUALITIES: dict[Quality, tuple[int, int, int]] = {
    "thumb": (320, 180, 250_000),
    "hd": (1280, 720, 2_500_000),
}


def clip_spec(quality: Quality, source_id: int, label: str, *, seconds: float = 10.0, fps: int = 25) -> ClipSpec:
    """The spec of a source's clip at a quality (320x180 at 0.25 Mbps, or 1280x720 at 2.5 Mbps, at 25 fps).

    Another ``fps`` keeps the bits per frame and a keyframe a second (tests that run many feeds on two cores
    send fewer frames)."""
    width, height, bitrate = QUALITIES[quality]
    if fps == 25:
        return ClipSpec(source_id=source_id, label=label, width=width, height=height, bitrate=bitrate, seconds=seconds)
    return ClipSpec(source_id=source_id, label=label, width=width, height=height, bitrate=bitrate * fps // 25,
                    fps=fps, gop=fps, seconds=seconds)


def default_cache_dir() -> Path:
    """Where clips are kept between runs (never committed)."""
    return Path(platformdirs.user_cache_dir("trunkdesk")) / "clips"


# ----- the picture -------------------------------------------------------------------------------------------


def _tint(source_id: int) -> tuple[int, int]:
    """Chroma (U, V) of a source's background, so that neighbouring tiles look different at a glance."""
    angle = (source_id * 2.399963) % (2 * np.pi)  # golden angle: neighbours far apart
    return int(128 + 40 * np.cos(angle)), int(128 + 40 * np.sin(angle))


def _pictures(spec: ClipSpec) -> Iterator[npt.NDArray[np.uint8]]:
    """The clip's frames as I420 arrays (height * 3/2 x width): moving stripes, grain, stamp, label and number."""
    width, height = spec.width, spec.height
    scale = max(1, round(height / 180))
    rng = np.random.default_rng(spec.source_id)
    rows, cols = np.mgrid[0:height, 0:width]
    period = 64 * scale
    diagonal = (cols + rows) % period
    stripes = (70 + 50 * np.sin(2 * np.pi * np.arange(period) / period)).astype(np.int16)
    # a few fields of grain, cycled: the encoder cannot predict them from the previous frame, so the clip uses
    # its bitrate the way a camera picture does
    grain = [rng.integers(-12, 13, size=(height, width), dtype=np.int16) for _ in range(5)]
    u_value, v_value = _tint(spec.source_id)
    chroma = np.empty((height // 2, width), dtype=np.uint8)
    chroma[: height // 4] = u_value
    chroma[height // 4:] = v_value
    _, cell_h, _ = stamp_geometry(height)
    label = f"{spec.label} {width}X{height}"
    digit_scale = 4 * scale
    for index in range(spec.frames):
        shift = (index * 2 * scale) % period
        luma16 = stripes[(diagonal + shift) % period] + grain[index % len(grain)]
        luma = np.clip(luma16, 16, 235).astype(np.uint8)
        # a quiet band behind the stamp and the label keeps them sharp under compression
        band = cell_h + 14 * scale
        luma[:band, : max(stamp_geometry(height)[2], text_width(label, 2 * scale)) + 4 * scale] = 16
        write_stamp(luma, spec.source_id, index)
        draw_text(luma, label, 2 * scale, cell_h + 3 * scale, 2 * scale)
        number = f"#{index:04d}"
        nx = (width - text_width(number, digit_scale)) // 2
        ny = (height - 7 * digit_scale) // 2
        luma[ny - 2 * scale: ny + 9 * digit_scale, nx - 2 * scale: nx + text_width(number, digit_scale)] = 16
        draw_text(luma, number, nx, ny, digit_scale)
        picture = np.empty((height * 3 // 2, width), dtype=np.uint8)
        picture[:height] = luma
        # I420 as one array: U then V, each (height/2 x width/2) packed two rows per array row
        picture[height:] = chroma
        yield picture


# ----- encoding ----------------------------------------------------------------------------------------------


def generate_clip(spec: ClipSpec, path: Path) -> Path:
    """Encode ``spec`` into ``path`` (MPEG-TS, H.264 constrained baseline); written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with av.open(temporary, mode="w", format="mpegts") as container:
            stream = container.add_stream("libx264", rate=spec.fps)
            stream.width = spec.width
            stream.height = spec.height
            stream.pix_fmt = "yuv420p"
            stream.bit_rate = spec.bitrate
            context = stream.codec_context
            context.gop_size = spec.gop
            context.max_b_frames = 0
            context.options = {
                "profile": "baseline",
                "preset": "veryfast",
                "tune": "zerolatency",
                # one thread and one slice: the same bytes on every machine, and plain packetisation
                "threads": "1",
                "x264-params": (
                    f"keyint={spec.gop}:min-keyint={spec.gop}:scenecut=0:bframes=0:repeat-headers=1"
                    f":vbv-maxrate={spec.bitrate // 1000}:vbv-bufsize={spec.bitrate // 1000}:sliced-threads=0"
                ),
            }
            for index, picture in enumerate(_pictures(spec)):
                frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
                frame.pts = index
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    log.info("clip %s (source %d): %dx%d, %d frames, %d bytes", spec.label, spec.source_id, spec.width,
             spec.height, spec.frames, path.stat().st_size)
    return path


def ensure_clip(spec: ClipSpec, cache_dir: Path | None = None) -> Path:
    """The path of ``spec``'s clip in the cache, generated first if it is not there yet."""
    path = (cache_dir or default_cache_dir()) / spec.file_name()
    if not path.exists():
        generate_clip(spec, path)
    return path


# ----- command line ------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Generate clips into the cache (or ``--out``) and print their paths."""
    parser = argparse.ArgumentParser(prog="python -m media.clips", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--source-id", type=int, default=1, help="number carried in every frame's stamp")
    parser.add_argument("--label", default="CAM-1", help="text shown on the picture (the terminal id)")
    parser.add_argument("--quality", nargs="+", choices=sorted(QUALITIES), default=["thumb", "hd"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None, help=f"directory (default {default_cache_dir()})")
    parser.add_argument("--force", action="store_true", help="generate again even if cached")
    args = parser.parse_args(argv)
    for quality in args.quality:
        spec = clip_spec(quality, args.source_id, args.label, seconds=args.seconds)
        if args.force:
            path = generate_clip(spec, (args.out or default_cache_dir()) / spec.file_name())
        else:
            path = ensure_clip(spec, args.out)
        sys.stdout.write(f"{quality}\t{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
