"""How many TDP/1 messages one core encodes and decodes per second (target: 100,000 round trips).

The mix is the hot path of a busy desk: floor requests and their answers, floor notifications,
location reports from trains, presence updates, heartbeats, plus one short text message. The same
messages as plain dicts through ``json.dumps``/``json.loads`` are the baseline measured in the same
run: the ratio to it is the figure to compare across machines.

Run from the repository root: ``.venv/bin/python -m bench.bench_codec`` (about 20 s; ``--quick`` for a
smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec

from bench._report import record
from protocols.codec import decode, encode
from protocols.messages import (
    FloorGranted,
    FloorRelease,
    FloorRequest,
    FloorTaken,
    Location,
    LocationReport,
    Message,
    Ok,
    Ping,
    PresenceUpdate,
    TerminalInfo,
    TextMessage,
)

TARGET_PER_CORE = 100_000


def hot_path_mix() -> list[Message]:
    """One of each message a desk handles most often, as a line in service sends them."""
    return [
        FloorRequest(epoch=7, id=1042, key="desk-1:1042", group="line-dispatch", priority="dispatcher"),
        Ok(epoch=7, re=1042,
           result={"call": "call-318", "outcome": "granted", "position": 0, "limit_ms": 120000}),
        FloorGranted(epoch=7, call="call-318", holder="desk-1", priority="dispatcher", limit_ms=120000),
        FloorTaken(epoch=7, call="call-318", holder="desk-1", priority="dispatcher"),
        FloorRelease(epoch=7, id=1043, key="desk-1:1043", call="call-318"),
        LocationReport(
            epoch=7,
            location=Location(station="S07", next_station="S08", chainage_m=12345.6, direction="up",
                              train_number="1905"),
            fix_ms=1_700_000_000_123,
        ),
        PresenceUpdate(
            epoch=7,
            terminal=TerminalInfo(
                id="train-1905", kind="train", name="Train 1905", name_zh="1905次列车", presence="busy",
                location=Location(station="S07", direction="up", train_number="1905"),
                groups=["line-dispatch", "train-all"],
            ),
        ),
        Ping(epoch=7, seq=88213),
        TextMessage(epoch=7, message="msg-77", sender="desk-1", text="S08站台有乘客晕倒，请1905次司机注意。",
                    group="line-dispatch", sent_ms=1_700_000_000_456),
    ]


def _calls_per_round(work: Callable[[], object], round_seconds: float) -> int:
    """How many calls of ``work`` take about ``round_seconds``."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            work()
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 4:
            return max(1, int(calls * round_seconds / elapsed))
        calls *= 2


def best_rates(cases: Mapping[str, Callable[[], object]], items_per_call: int, seconds: float,
               repeats: int) -> dict[str, float]:
    """Items per second of each case: the fastest of ``repeats`` rounds, the cases' rounds interleaved so
    that the codec and its baseline see the same load from the rest of the machine."""
    round_seconds = seconds / repeats / len(cases)
    calls = {name: _calls_per_round(work, round_seconds) for name, work in cases.items()}
    best = dict.fromkeys(cases, 0.0)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, work in cases.items():
                start = time.perf_counter()
                for _ in range(calls[name]):
                    work()
                elapsed = time.perf_counter() - start
                best[name] = max(best[name], calls[name] * items_per_call / elapsed)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best


def measure(seconds: float, repeats: int) -> dict[str, float]:
    """Rates (messages per second) of the codec and of the plain-json baseline on the same messages."""
    mix = hot_path_mix()
    n = len(mix)
    frames = [encode(m) for m in mix]
    texts = [f.decode("utf-8") for f in frames]
    dicts: list[Any] = [msgspec.to_builtins(m) for m in mix]
    dumped = [json.dumps(d, ensure_ascii=False).encode("utf-8") for d in dicts]
    for message, frame in zip(mix, frames, strict=True):
        assert decode(frame) == message, frame

    def codec_round_trip() -> None:
        for m in mix:
            decode(encode(m))

    def codec_encode() -> None:
        for m in mix:
            encode(m)

    def codec_decode() -> None:
        for f in frames:
            decode(f)

    def codec_decode_text() -> None:
        for t in texts:
            decode(t)

    def json_round_trip() -> None:
        for d in dicts:
            json.loads(json.dumps(d, ensure_ascii=False).encode("utf-8"))

    def json_encode() -> None:
        for d in dicts:
            json.dumps(d, ensure_ascii=False).encode("utf-8")

    def json_decode() -> None:
        for b in dumped:
            json.loads(b)

    cases = {
        "round trip": codec_round_trip, "encode": codec_encode, "decode": codec_decode,
        "decode str": codec_decode_text, "json round trip": json_round_trip, "json encode": json_encode,
        "json decode": json_decode,
    }
    return best_rates(cases, n, seconds, repeats)


def report_lines(rates: dict[str, float], mix: list[Message], repeats: int) -> list[str]:
    """The result as markdown, for the terminal and for docs/benchmarks.md."""
    sizes = [len(encode(m)) for m in mix]
    met = rates["round trip"] >= TARGET_PER_CORE
    kinds = ", ".join(type(m).__name__ for m in mix)

    def row(label: str, ours: str, baseline: str) -> str:
        ratio = rates[ours] / rates[baseline]
        return f"| {label} | {rates[ours]:,.0f} | {rates[baseline]:,.0f} | {ratio:.2f}x |"

    return [
        f"Mix of {len(mix)} messages ({kinds}); {min(sizes)}-{max(sizes)} bytes, "
        f"mean {sum(sizes) / len(sizes):.0f} bytes. One process, one thread; the best of {repeats} rounds "
        "per operation, codec and json rounds interleaved.",
        "",
        f"**encode + decode: {rates['round trip']:,.0f} messages/s per core; target "
        f"{TARGET_PER_CORE:,}: {'met' if met else 'NOT met'}.**",
        "",
        "| operation | codec (msgspec, typed, validated) msg/s "
        "| json.dumps/json.loads of the same dicts msg/s | codec / json |",
        "| --- | ---: | ---: | ---: |",
        row("encode + decode", "round trip", "json round trip"),
        row("encode", "encode", "json encode"),
        row("decode (bytes)", "decode", "json decode"),
        row("decode (str, as websockets hands text frames)", "decode str", "json decode"),
        "",
        "The json baseline only parses into dicts; the codec also checks every field's type, the tag, "
        "the limits, and builds typed structs.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=18.0, help="total measuring time (default 18)")
    parser.add_argument("--repeats", type=int, default=10, help="timed rounds per case (default 10)")
    parser.add_argument("--quick", action="store_true", help="a one-second smoke run; records nothing")
    args = parser.parse_args(argv)
    seconds, repeats = (1.0, 2) if args.quick else (args.seconds, args.repeats)
    rates = measure(seconds, repeats)
    lines = report_lines(rates, hot_path_mix(), repeats)
    print("\n".join(lines))
    if not args.quick:
        record("codec: encode and decode per core", lines)
        print("\nrecorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
