"""How many media workers a desk starts by default: one on a machine of up to two cores (a worker is already two
busy threads), two on larger machines."""

from __future__ import annotations

import os

import pytest

from console.core.media_desk import default_media_workers


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (3, 2), (4, 2), (32, 2)])
def test_default_media_workers_follow_the_cores_the_desk_may_use(monkeypatch: pytest.MonkeyPatch, cores: int,
                                                                 workers: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert default_media_workers() == workers
