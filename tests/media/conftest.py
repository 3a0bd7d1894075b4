"""Fixtures for media tests: clips generated once per run into a temporary cache, loopback-only ICE."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from media import ice
from media.clips import Quality, clip_spec, ensure_clip

#: media in tests flows over loopback only
LOOPBACK = ("127.0.0.1",)


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def make_clip(clip_cache: Path) -> Callable[..., Path]:
    """``make_clip(quality, source_id, seconds=...)``: a source's clip, generated once per run."""

    def make(quality: Quality, source_id: int, *, seconds: float = 10.0) -> Path:
        return ensure_clip(clip_spec(quality, source_id, f"TR-{source_id:04d}", seconds=seconds), clip_cache)

    return make


@pytest.fixture(autouse=True)
def loopback_media() -> Iterator[None]:
    """Senders in the test process gather on 127.0.0.1 only; whatever a test changes is put back."""
    ice.restrict_host_addresses(LOOPBACK)
    yield
    ice.restrict_host_addresses(LOOPBACK)
