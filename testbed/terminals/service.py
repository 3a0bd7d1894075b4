"""Service time: the timetable's clock (seconds since service start) as a function of the wall clock.

Simulated trains and staff share one `ServiceClock`, so a speed factor (10x for demos) moves them
all alike and a test can recompute where the timetable put a train at any wall-clock instant.
"""

from __future__ import annotations

from dataclasses import dataclass


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
