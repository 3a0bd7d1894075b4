"""Test mode: the desk owns a test bench (the dual-live pair as processes, simulated terminals of the line in the
desk's own process) and a panel to drive terminals by hand, break the platform and record what was done as a
scenario file that replays headless (docs/scenarios.md).

This module is light on purpose (the command line imports it); the bench is `console.ui.test_mode.bench`, the
recorder `console.ui.test_mode.recording`, the panel `console.ui.panes.test_mode`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestModeOptions:
    """How the desk's test bench starts: which terminals register at once (ids or kinds; None: every terminal of
    the line) and how the simulated terminals behave on their own."""

    __test__ = False  # not a pytest test class, whatever its name

    #: terminals registered when the desk is up (ids or kinds; None: all of the line; empty: none)
    terminals: tuple[str, ...] | None = None
    #: scale of the terminals' own behaviours (talk bursts, texts, alarms); 0: they only do what they are told
    rate: float = 1.0
    seed: int = 1
    #: timetable speed (10: trains run ten times faster)
    speed: float = 1.0
    #: the media plane of the bench's own pair: direct, or janus (the bench starts a Janus its pair brokers; its
    #: faults panel can then kill, pause, resume and restart it)
    media: str = "direct"
    #: where the bench's media flows (the Janus plane needs an address that is not loopback); empty: loopback
    media_addresses: tuple[str, ...] = ()


__all__ = ["TestModeOptions"]
