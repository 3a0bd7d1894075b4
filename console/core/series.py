"""Bounded time series for live plots: (time, value) samples in numpy arrays, the oldest dropped past a capacity.

A plot redraws a series many times while it grows one sample at a time, so a series must never cost a Python
object per sample nor a copy per redraw. `Series` writes every sample twice into arrays of twice its capacity
(at ``i`` and ``i + capacity``): whatever the write position, the samples kept are one contiguous slice, and
`times` / `values` hand that slice out as a view. Appending is O(1); reading is free.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "Series"]

FloatArray = npt.NDArray[np.float64]


class Series:
    """Samples of one quantity over time, at most ``capacity`` of them (see the module docstring)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a series needs a capacity of at least 1, got {capacity}")
        self.capacity = capacity
        self._times: FloatArray = np.full(2 * capacity, np.nan)
        self._values: FloatArray = np.full(2 * capacity, np.nan)
        self._next = 0
        self._count = 0
        #: bumped by every append: a plot redraws only when it moved
        self.version = 0

    def __len__(self) -> int:
        return self._count

    def append(self, when: float, value: float) -> None:
        """Add one sample (NaN values break a plotted line there)."""
        i = self._next
        self._times[i] = self._times[i + self.capacity] = when
        self._values[i] = self._values[i + self.capacity] = value
        self._next = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        self.version += 1

    def _window(self) -> slice:
        end = self._next if self._next >= self._count else self._next + self.capacity
        return slice(end - self._count, end)

    @property
    def times(self) -> FloatArray:
        """Times of the samples kept, oldest first (a read-only view: copy it to keep it)."""
        view = self._times[self._window()]
        view.flags.writeable = False
        return view

    @property
    def values(self) -> FloatArray:
        """Values of the samples kept, oldest first (a read-only view)."""
        view = self._values[self._window()]
        view.flags.writeable = False
        return view

    def last(self) -> tuple[float, float] | None:
        """The newest sample, or None while there is none."""
        if not self._count:
            return None
        i = (self._next - 1) % self.capacity
        return float(self._times[i]), float(self._values[i])

    def last_value(self) -> float | None:
        """The newest sample's value (None when there is none, or when it is NaN)."""
        newest = self.last()
        if newest is None or np.isnan(newest[1]):
            return None
        return newest[1]

    def since(self, when: float) -> tuple[FloatArray, FloatArray]:
        """The samples from time ``when`` on (times kept in order: appended in time order)."""
        times = self.times
        start = int(np.searchsorted(times, when, side="left"))
        return times[start:], self.values[start:]
