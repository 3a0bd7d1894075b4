"""Service time: the timetable's clock (seconds since service start) as a function of the wall clock.

Simulated trains and staff share one `ServiceClock`, so a speed factor (10x for demos) moves them
all alike and a test can recompute where the timetable put a train at any wall-clock instant. The testbed's
platform tells the same clock to consoles in their welcome (`to_wire`), so a desk reads delays on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from protocols.messages import LineClock


@dataclass(frozen=True)
class ServiceClock:
    """``at(now) = offset + (now - start) * speed``: service seconds at wall-clock time ``now``."""

    #: wall-clock time (the simulation's clock, unix seconds by default) when service time was ``offset``
    start: float
    speed: float = 1.0
    #: service seconds at ``start``
    offset: float = 0.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, got {self.speed}")

    def at(self, now: float) -> float:
        """Service seconds at wall-clock time ``now``."""
        return self.offset + (now - self.start) * self.speed

    def wall(self, service_t: float) -> float:
        """The wall-clock time at which service time reaches ``service_t``."""
        return self.start + (service_t - self.offset) / self.speed

    def to_wire(self) -> LineClock:
        """The clock as the platform tells it to consoles (SPEC.md §3.5.9), referred to a whole millisecond."""
        at_ms = round(self.start * 1000)
        return LineClock(at_ms=at_ms, service_s=self.at(at_ms / 1000), rate=self.speed)

    def text(self) -> str:
        """``START SPEED OFFSET``: what `trunkdesk testbed` prints and `trunkdesk platform --line-clock` reads."""
        return f"{self.start:.3f} {self.speed:g} {self.offset:.3f}"

    @classmethod
    def parse(cls, text: str) -> ServiceClock:
        """The clock `text` wrote (three numbers, spaces or commas between); ValueError when it is not one."""
        parts = text.replace(",", " ").split()
        if len(parts) != 3:
            raise ValueError(f"a service clock is START SPEED OFFSET, got {text!r}")
        try:
            start, speed, offset = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"a service clock is three numbers START SPEED OFFSET, got {text!r}") from None
        if not all(math.isfinite(v) for v in (start, speed, offset)):
            raise ValueError(f"a service clock needs finite numbers START SPEED OFFSET, got {text!r}")
        return cls(start=start, speed=speed, offset=offset)
