"""Ogg Opus recordings: PCM written in chunks reads back as the same sound and length; a missing, empty, foreign,
corrupt or truncated file is a `RecordingError` that names the file and says what is wrong, never a crash."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest

from media.audio import AUDIO_RATE, Pcm, tone_level
from media.recording import OggOpusWriter, RecordingError, read_ogg_opus


def tone(frequency: float, seconds: float, amplitude: float = 0.3) -> Pcm:
    n = np.arange(int(seconds * AUDIO_RATE))
    return (amplitude * 32767 * np.sin(2 * math.pi * frequency * n / AUDIO_RATE)).astype(np.int16)


def write(path: Path, pcm: Pcm, chunk: int = 1920, **tags: str) -> int:
    writer = OggOpusWriter(path, tags=tags)
    for start in range(0, len(pcm), chunk):
        writer.write(pcm[start:start + chunk])
    return writer.close()


def test_pcm_written_in_uneven_chunks_reads_back_with_its_tone_length_and_tags(tmp_path: Path) -> None:
    pcm = tone(700.0, 2.5)
    path = tmp_path / "day" / "burst.ogg"
    assert write(path, pcm, chunk=1234, artist="HS-001", trunkdesk_group="TG-S01") == len(pcm)
    back = read_ogg_opus(path, expected=len(pcm))
    assert abs(len(back) - len(pcm)) <= AUDIO_RATE // 50, "the same length within one Opus frame"
    assert tone_level(back, 700.0) > 0.95
    assert tone_level(back, 500.0) < 0.01
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus" and container.format.name == "ogg"
        assert stream.metadata.get("artist") == "HS-001"
        assert stream.metadata.get("trunkdesk_group") == "TG-S01"
    assert path.stat().st_size < 2.5 * 24_000 / 8 * 1.5, "about 24 kbit/s"


def test_a_missing_empty_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="missing"):
        read_ogg_opus(tmp_path / "nothing.ogg")
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        read_ogg_opus(empty)
    garbage = tmp_path / "garbage.ogg"
    garbage.write_bytes(b"not an ogg file at all " * 200)
    with pytest.raises(RecordingError, match=r"garbage\.ogg cannot be read"):
        read_ogg_opus(garbage)


def test_a_truncated_or_corrupt_file_is_a_clear_error_when_its_length_is_known(tmp_path: Path) -> None:
    pcm = tone(900.0, 3.0)
    path = tmp_path / "burst.ogg"
    write(path, pcm)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.ogg"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordingError, match=r"truncated\.ogg is damaged or truncated: .* of 3\.00 s"):
        read_ogg_opus(truncated, expected=len(pcm))
    assert 0 < len(read_ogg_opus(truncated)) < len(pcm), "without an expected length: what it still holds"
    corrupt = tmp_path / "corrupt.ogg"
    damaged = bytearray(data)
    damaged[len(data) // 3: len(data) // 3 + 400] = bytes(400)
    corrupt.write_bytes(bytes(damaged))
    with pytest.raises(RecordingError, match="damaged"):
        read_ogg_opus(corrupt, expected=len(pcm))


def test_writing_after_close_or_where_nothing_can_be_written_is_a_clear_error(tmp_path: Path) -> None:
    writer = OggOpusWriter(tmp_path / "a.ogg")
    writer.write(tone(440.0, 0.1))
    assert writer.close() == 4800
    assert writer.close() == 4800, "idempotent"
    with pytest.raises(RecordingError, match="closed"):
        writer.write(tone(440.0, 0.1))
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be")
    with pytest.raises((RecordingError, OSError)):
        OggOpusWriter(blocked / "b.ogg")
