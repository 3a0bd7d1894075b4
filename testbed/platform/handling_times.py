"""How long the platform took over each request, kept when a benchmark asks (`trunkdesk testbed --handling-times`).

The stamps come from the server driver (`protocols.aio.request_timing`): read off the socket, taken by the
driver, answered, answer written. Kept per kind of request and outcome (``floor.request granted``,
``floor.request queued``, ``floor.release``, ``floor.request error 409``, ...) as histograms with 1 µs bins:
exact enough for a p99 of a few milliseconds, and bounded in memory however long the platform runs (one
counter per distinct microsecond value seen).

Four spans per request, in microseconds: ``total`` (read → written), ``wait`` (read → taken: handling the messages that
came in the same read before it), ``handle`` (taken → answered: decoding, the platform's state, the notifications
to the other members; for a request answered in a task, the loop's other work until the task ran) and
``write`` (answered → written: the rest of the batch the answer goes out with, and ``transport.write``).
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

from protocols.aio.request_timing import RequestStamps
from protocols.messages import Error, Ok, Request, tag_of

SPANS = ("total", "wait", "handle", "write")
#: format of the file `HandlingTimes.write` makes (the bench checks it)
FORMAT = "trunkdesk handling times 1"


def request_key(request: Request, answer: Ok | Error) -> str:
    """``tag [outcome]``: the request's kind, and what it came to when the answer says (floor requests do)."""
    tag = tag_of(request)
    if isinstance(answer, Error):
        return f"{tag} error {answer.code}"
    outcome = answer.result.get("outcome") if isinstance(answer.result, dict) else None
    return f"{tag} {outcome}" if isinstance(outcome, str) else tag


class HandlingTimes:
    """`protocols.aio.request_timing.RequestTimes` that keeps a histogram per request kind and span.

    Called for every request the platform answers, so it is kept cheap (about 3 µs a request on the 2-core
    development machine): the key is looked up by the request's type and outcome, and the spans go straight
    into their counters."""

    def __init__(self) -> None:
        #: key -> span -> microseconds -> how many
        self.histograms: dict[str, dict[str, Counter[int]]] = {}
        #: (request type, outcome or error code) -> the four histograms of its key, in SPANS order
        self._by_kind: dict[tuple[type, object], tuple[Counter[int], ...]] = {}

    def answered(self, request: Request, answer: Ok | Error, stamps: RequestStamps) -> None:
        kind = (type(request), answer.code if isinstance(answer, Error) else answer.result.get("outcome"))
        hists = self._by_kind.get(kind)
        if hists is None:
            spans = self.histograms.setdefault(request_key(request, answer), {span: Counter() for span in SPANS})
            hists = self._by_kind[kind] = tuple(spans[span] for span in SPANS)
        read, taken, answered, written = stamps
        total, wait, handle, write = hists
        total[int((written - read) * 1e6 + 0.5)] += 1
        wait[int((taken - read) * 1e6 + 0.5)] += 1
        handle[int((answered - taken) * 1e6 + 0.5)] += 1
        write[int((written - answered) * 1e6 + 0.5)] += 1

    def count(self, key: str) -> int:
        spans = self.histograms.get(key)
        return sum(spans["total"].values()) if spans else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "unit": "us",
            "requests": {key: {span: {str(us): n for us, n in sorted(hist.items())} for span, hist in spans.items()}
                         for key, spans in sorted(self.histograms.items())},
        }

    def write(self, path: Path) -> None:
        """Write the histograms as JSON (atomically: a reader never sees half a file)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()), encoding="utf-8")
        os.replace(tmp, path)


def load(path: Path) -> dict[str, dict[str, Counter[int]]]:
    """Histograms written by `HandlingTimes.write`: key -> span -> microseconds -> count. ValueError if it is
    not such a file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a handling-times file ({FORMAT!r})")
    return {key: {span: Counter({int(us): int(n) for us, n in hist.items()}) for span, hist in spans.items()}
            for key, spans in data["requests"].items()}


def percentile_us(histogram: Counter[int], p: float) -> float:
    """Nearest-rank ``p``-th percentile of a microsecond histogram (nan when empty)."""
    total = sum(histogram.values())
    if not total:
        return math.nan
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for us in sorted(histogram):
        seen += histogram[us]
        if seen >= rank:
            return float(us)
    return float(max(histogram))  # not reached: the ranks add up to total



__all__ = ["FORMAT", "SPANS", "HandlingTimes", "load", "percentile_us", "request_key"]
