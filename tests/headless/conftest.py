"""Fixtures for headless scenarios: writing scenario files, and a record of every platform started."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed.pair import PairProcesses
from testbed.platform.server import PlatformServer

WriteScenario = Callable[..., Path]
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "scenarios"


@pytest.fixture
def write_scenario(tmp_path: Path) -> WriteScenario:
    """Write YAML text (dedented) to a file in a temporary folder; its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def platforms_started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every platform (in-process instance or pair of processes) started from now on, by kind."""
    started: list[str] = []
    real_server, real_pair = PlatformServer.start, PairProcesses.start

    async def server_start(self: PlatformServer) -> None:
        started.append("embedded")
        await real_server(self)

    async def pair_start(self: PairProcesses, *, timeout: float = 20.0) -> None:
        started.append("pair")
        await real_pair(self, timeout=timeout)

    monkeypatch.setattr(PlatformServer, "start", server_start)
    monkeypatch.setattr(PairProcesses, "start", pair_start)
    return started
