"""Bench lines: the sample line plus many handsets and talk groups, written to a file the platform loads.

The extra handsets are `HB-0001`, `HB-0002`, ... (staff kind ``bench``, homes cycled over the stations);
the groups `TG-B01`, ... hold consecutive handsets, ``per_group`` each. The sample's roles, accounts and
shared terminal secret are kept, so the `chief` account (groups ``*``) sees everything.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from testbed.line import Line, default_line_path, load_line

logger = logging.getLogger(__name__)

#: staff kind of the bench handsets (any word is a valid staff kind)
BENCH_STAFF = "bench"


def handset_id(n: int) -> str:
    """Id of the n-th bench handset, counting from 1."""
    return f"HB-{n:04d}"


def group_id(n: int) -> str:
    """Id of the n-th bench talk group, counting from 1."""
    return f"TG-B{n:02d}"


#: the latency probe of bench_platform: a bench handset alone in a talk group of its own
PROBE_HANDSET = "HS-PROBE"
PROBE_GROUP = "TG-PROBE"


def bench_line_data(handsets: int, groups: int, per_group: int) -> dict[str, Any]:
    """The sample line's YAML data with ``handsets`` bench handsets and ``groups`` groups of ``per_group``, plus
    the probe handset in its own group."""
    if groups * per_group > handsets:
        raise ValueError(f"{groups} groups of {per_group} need {groups * per_group} handsets, not {handsets}")
    data: dict[str, Any] = yaml.safe_load(default_line_path().read_text(encoding="utf-8"))
    stations = [s["code"] for s in data["stations"]]
    data.setdefault("handsets", []).extend(
        {"id": handset_id(n), "staff": BENCH_STAFF, "station": stations[(n - 1) % len(stations)]}
        for n in range(1, handsets + 1)
    )
    data["groups"].extend(
        {
            "id": group_id(g),
            "name": f"Bench group {g:02d}",
            "name_zh": f"压测组{g:02d}",
            "subsystem": "line",
            "kind": "talk",
            "members": [handset_id(n) for n in range((g - 1) * per_group + 1, g * per_group + 1)],
        }
        for g in range(1, groups + 1)
    )
    data["handsets"].append({"id": PROBE_HANDSET, "staff": BENCH_STAFF, "station": stations[0]})
    data["groups"].append({"id": PROBE_GROUP, "name": "Bench probe", "name_zh": "压测探针组", "subsystem": "line",
                           "kind": "talk", "members": [PROBE_HANDSET]})
    return data


def write_bench_line(folder: Path, handsets: int, groups: int, per_group: int) -> tuple[Path, Line]:
    """Write a bench line into ``folder`` and check that it loads; its path and the loaded line."""
    path = folder / "bench-line.yaml"
    data = bench_line_data(handsets, groups, per_group)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    line = load_line(path)  # raises LineError with every problem if the generated file is wrong
    logger.info("bench line %s: %d terminals, %d groups", path, len(line.terminals), len(line.groups))
    return path, line


__all__ = ["BENCH_STAFF", "PROBE_GROUP", "PROBE_HANDSET", "bench_line_data", "group_id", "handset_id",
           "write_bench_line"]
