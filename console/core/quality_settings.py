"""The ``[quality]`` section of the settings file: how often the desk samples its links and media, how long the
plots keep, and the thresholds that raise a quality warning (docs/configuration.md, "Every key").

Read by `console.core.config` like every other section (a bad value keeps its default and is named as a problem);
kept apart because only the quality monitor (console/core/quality.py) uses it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

__all__ = ["QualitySettings", "read_quality"]


@dataclass(frozen=True)
class QualitySettings:
    """Sampling, history and warning thresholds of the quality plots. A threshold of 0 turns its warning off."""

    #: seconds between two samples of the platform links (the media stats come once a second)
    sample_s: float = 1.0
    #: seconds of history the plots keep
    history_s: float = 900.0
    #: heartbeat round trip to a platform instance, ms
    rtt_ms: float = 300.0
    #: packets lost on a call or video feed, percent
    loss_percent: float = 5.0
    #: interarrival jitter of a call or video feed, ms
    jitter_ms: float = 50.0
    #: a live video feed below this many frames a second
    min_frame_rate: float = 5.0
    #: floor access time (KPI1: PTT pressed to floor granted), ms
    floor_access_ms: float = 300.0
    #: a value must stay past its threshold this long before the warning is raised, seconds
    raise_after_s: float = 3.0
    #: and back inside it (with the hysteresis margin) this long before the warning clears, seconds
    clear_after_s: float = 5.0
    #: share of a threshold a value must come back by to clear (0.2: a 5 % loss warning clears under 4 %)
    hysteresis: float = 0.2


class _ReaderLike(Protocol):
    """The parts of the settings reader (`console.core.config._Reader`) this section uses."""

    def table(self, data: Mapping[str, Any], key: str, known: Sequence[str]) -> dict[str, Any]: ...

    def problem(self, key: str, text: str) -> None: ...


#: the smallest value each key accepts (a sampling period or a history of 0 would make no sense)
_MINIMUM = {"sample_s": 0.1, "history_s": 10.0}
_AT_MOST_ONE = ("hysteresis",)


def read_quality(reader: _ReaderLike, data: Mapping[str, Any]) -> QualitySettings:
    """The ``[quality]`` table of the parsed settings, every value checked (bad ones keep their default)."""
    defaults = QualitySettings()
    names = [f.name for f in fields(QualitySettings)]
    table = reader.table(data, "quality", names)
    values: dict[str, float] = {}
    for name in names:
        if name not in table:
            continue
        key, value = f"quality.{name}", table[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            reader.problem(key, f" must be a number (got {value!r})")
            continue
        minimum = _MINIMUM.get(name, 0.0)
        if value < minimum:
            reader.problem(key, f"{value!r} must be at least {minimum:g}")
            continue
        if name in _AT_MOST_ONE and value >= 1:
            reader.problem(key, f"{value!r} must be below 1")
            continue
        values[name] = float(value)
    return QualitySettings(**{name: values.get(name, getattr(defaults, name)) for name in names})
