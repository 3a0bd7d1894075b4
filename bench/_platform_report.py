"""The report of `bench.bench_platform`: markdown for docs/benchmarks.md (or the file given with ``--output``).

Besides the figures, the report says how the run was set up (which cores the platform and the load used, the
load generators' nice value) and how busy the machine was, from /proc/stat, while each phase measured: a
figure from a machine busy with other work is not the platform's.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bench._procs import percentile
from testbed.platform.handling_times import SPANS, percentile_us

if TYPE_CHECKING:
    from bench.bench_platform import Outcome, Phase

#: target of the floor request → grant round trip on loopback, milliseconds
TARGET_P99_MS = 5.0
CONSOLE_USER = "chief"
#: the platform's own timing of the immediate grants the terminals time (testbed/platform/handling_times.py)
GRANT_KEY = "floor.request granted"
#: other processes' CPU (share of one core) above which the report says the machine was not quiet
BUSY_MACHINE = 0.2
SPAN_NAMES = {"wait": "behind the messages of the same read", "handle": "handling", "write": "writing the answer"}


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms"


def _phase_facts(phase: Phase) -> str:
    failed = phase.failures()
    closed = sum(r["closed_early"] for r in phase.results)
    text = f"{phase.connected} connected"
    if failed:
        text += f", {sum(failed.values())} failed to connect ({'; '.join(f'{n}× {k}' for k, n in failed.items())})"
    text += f"; {closed} sessions lost during the load" if closed else "; no session lost during the load"
    return text


def _cpus(out: Outcome) -> str:
    cpus = out.layout.load_cpus
    return f"CPU {', '.join(map(str, cpus))}" if cpus else "the machine's cores"


def probe_lines(out: Outcome) -> list[str]:
    """The latency probe's round trips: the issue's figure (target p99 ≤ 5 ms)."""
    values = out.probe_ms
    if not values:
        return ["**No probe round trips were measured.**", ""]
    p99 = percentile(values, 99)
    met = "met" if p99 <= TARGET_P99_MS else "NOT met"
    return [
        f"**floor.request → answer `granted`, round trip at a probe terminal under this load: p50 "
        f"{_ms(percentile(values, 50))}, p99 {_ms(p99)}, max {_ms(max(values))} over {len(values):,} requests "
        f"(target p99 ≤ {TARGET_P99_MS:.0f} ms: {met}).** The probe is one more TDP/1 terminal, alone in a talk "
        f"group, in the bench process at normal priority, asking for the floor every {out.probe_period * 1000:.0f} "
        "ms (then `floor.ack`, `floor.release`) while the 500 terminals load the platform: like a lab's probe "
        "beside its load generators, it sees the platform's latency under load rather than its own queueing.",
        "",
    ]


def talk_lines(out: Outcome) -> list[str]:
    s, phase = out.settings, out.talk
    granted = phase.values("granted_ms")
    notice = phase.values("notice_ms")
    p50, p99 = percentile(granted, 50), percentile(granted, 99)
    met = "met" if p99 <= TARGET_P99_MS else "NOT met"
    requests, acks, releases = phase.count("floor.request"), phase.count("floor.ack"), phase.count("floor.release")
    ops = requests + acks + releases
    window = phase.wall_s
    idle_cpu_s = phase.idle_cpu_pct / 100 * window
    per_k = phase.cpu_s / ops * 1000 if ops else math.nan
    net_per_k = (phase.cpu_s - idle_cpu_s) / ops * 1000 if ops else math.nan
    totals = sum((Counter(r["counts"]) for r in phase.results), Counter())
    others = {k: v for k, v in sorted(totals.items())
              if k.startswith(("error", "outcome", "release error", "grant notice", "disconnected"))}
    return [
        f"### Talk bursts: {s.terminals} terminals in {s.groups} groups of {s.terminals // s.groups}, "
        f"{s.duration:.0f} s",
        "",
        f"Each terminal loops: pause {_span(0.5, 3.0)} s, `floor.request` (group), on `granted` `floor.ack` when "
        "`floor.granted` arrives, hold 0.2-1.0 s, `floor.release`; when queued, it waits 0.3 s for the floor "
        "and otherwise leaves the queue with `floor.release`.",
        "",
        *probe_lines(out),
        f"**floor.request → answer `granted`, round trip at the load terminals themselves: p50 {_ms(p50)}, p99 "
        f"{_ms(p99)}, max {_ms(max(granted, default=math.nan))} over {len(granted):,} immediate grants (p99 ≤ "
        f"{TARGET_P99_MS:.0f} ms: {met}).** These 500 clients share {_cpus(out)} with each other and the console, "
        "at lower priority in the lab layout: their own scheduling is in this figure.",
        "",
        *platform_side_lines(out, p50),
        "",
        f"- requests {requests:,}: granted at once {phase.count('granted'):,}, queued {phase.count('queued'):,} "
        f"(then granted from the queue {phase.count('granted from the queue'):,}, left the queue "
        f"{phase.count('left the queue'):,}), denied {phase.count('denied'):,}"
        + (f"; also {others}" if others else ""),
        f"- floor.request → `floor.granted` notification (immediate grants): p50 {_ms(percentile(notice, 50))}, "
        f"p99 {_ms(percentile(notice, 99))}, max {_ms(max(notice, default=math.nan))}",
        f"- floor operations handled: {ops:,} ({requests:,} request + {acks:,} ack + {releases:,} release) in "
        f"{window:.1f} s = {ops / window:,.0f} ops/s",
        f"- **platform CPU: {per_k:.3f} CPU-s per 1,000 floor operations** ({phase.cpu_s:.2f} CPU-s, "
        f"{phase.cpu_s / window * 100:.0f} % of one core, heartbeats included); net of the idle baseline "
        f"({phase.idle_cpu_pct:.0f} % with the {phase.connected} sessions connected and idle): {net_per_k:.3f} "
        "CPU-s per 1,000",
        f"- terminals: {_phase_facts(phase)}; load workers' CPU: {phase.worker_cpu()}",
        machine_line(phase),
    ]


def platform_side_lines(out: Outcome, terminal_p50: float) -> list[str]:
    """The platform's own timing of the same requests, so that a reader sees how much of the round trip it is."""
    if out.handling is None:
        return ["Platform-side handling: not measured (`--no-platform-times`, or the platform wrote no times)."]
    spans = out.handling.get(GRANT_KEY)
    if not spans or not sum(spans["total"].values()):
        return ["Platform-side handling: no immediate grant was timed by the platform."]
    total = spans["total"]
    p50, p99 = percentile_us(total, 50) / 1000, percentile_us(total, 99) / 1000
    share = f"; the platform is {p50 / terminal_p50 * 100:.0f} % of the median round trip" if terminal_p50 > 0 else ""
    parts = ", ".join(f"{SPAN_NAMES[span]} {_ms(percentile_us(spans[span], 50) / 1000)} / "
                      f"{_ms(percentile_us(spans[span], 99) / 1000)}" for span in SPANS if span != "total")
    others = ", ".join(f"`{key}` {_ms(percentile_us(h['total'], 50) / 1000)} / "
                       f"{_ms(percentile_us(h['total'], 99) / 1000)} ({sum(h['total'].values()):,})"
                       for key, h in sorted(out.handling.items()) if key != GRANT_KEY and key.startswith("floor."))
    lines = [
        f"**Platform-side, the same requests (read off the socket → answer `granted` written): p50 {_ms(p50)}, p99 "
        f"{_ms(p99)}, max {_ms(max(total) / 1000)} over {sum(total.values()):,}{share}.**",
        "",
        "The platform process stamps each request when its event loop hands up the bytes of the request's frame "
        "(the connection's `data_received`) and when the answer's frame has been handed to the socket "
        "(`trunkdesk testbed --handling-times`, histograms with 1 µs bins); the time the bytes wait in the kernel "
        "for the platform's loop to read them, the kernel both ways and the terminals' own scheduling are in the "
        "round trip only.",
        "",
        f"- of which (p50 / p99): {parts}",
    ]
    if others:
        lines.append(f"- other floor requests, platform-side p50 / p99 (count): {others}")
    return lines


def machine_line(phase: Phase) -> str:
    """How busy each CPU was during the phase's window, and how much of it was not the bench's own processes."""
    window = phase.wall_s
    if not phase.cpu_busy or window <= 0:
        return "- machine during the window: not measured"
    busy = ", ".join(f"CPU {cpu} {share * 100:.0f} %" for cpu, share in phase.cpu_busy.items())
    workers = sum(r["cpu_s"] for r in phase.results)
    others = sum(phase.cpu_busy.values()) - (phase.cpu_s + workers + phase.bench_cpu_s) / window
    text = (f"- machine during the window: {busy} busy; of that, in shares of one core: platform "
            f"{phase.cpu_s / window * 100:.0f} %, load generators {workers / window * 100:.0f} %, bench process "
            f"(console) {phase.bench_cpu_s / window * 100:.0f} %, **other processes {max(0.0, others) * 100:.0f} %**")
    if phase.steal > 0.01:
        text += f"; stolen by the hypervisor {phase.steal * 100:.0f} %"
    if others > BUSY_MACHINE:
        text += " (**not a quiet machine**: other work competed for the cores)"
    return text


def _span(low: float, high: float) -> str:
    return f"{low:g}-{high:g}"


def location_lines(out: Outcome) -> list[str]:
    s, phase = out.settings, out.location
    lag = [ms for _, ms in out.lags]
    sent = phase.count("location.report")
    window = phase.wall_s
    buckets: dict[int, list[float]] = {}
    last = max(0, math.ceil(s.location_duration / 5) - 1)  # reports sent just after the window count in the last
    for fix, ms in out.lags:
        buckets.setdefault(min(last, int((fix - phase.t_start) // 5)), []).append(ms)
    trend = ", ".join(f"{_ms(percentile(v, 50))} / {_ms(max(v))}" for _, v in sorted(buckets.items()))
    slips = phase.values("slip_ms")
    return [
        f"### Location load: {s.locations:,} terminals × 1 report/s, {s.location_duration:.0f} s",
        "",
        "Each terminal sends `location.report` once a second (random phase) with `fix_ms` = its send time; the "
        f"`{CONSOLE_USER}` console (in the bench process) stamps each `location` update on arrival.",
        "",
        f"**lag at the console (arrival − fix_ms): p50 {_ms(percentile(lag, 50))}, p99 {_ms(percentile(lag, 99))}, "
        f"max {_ms(max(lag, default=math.nan))}.**",
        "",
        f"- reports sent {sent / window:,.0f}/s ({sent:,}), delivered to the console {len(lag) / window:,.0f}/s "
        f"({len(lag):,}, {len(lag) / sent * 100 if sent else math.nan:.1f} %)",
        f"- lag p50 / max in each 5 s of the run: {trend or 'n/a'}",
        *(["- **the console's session was lost during the run** (its heartbeats went unanswered, e.g. on a busy "
           "machine): the lag covers only the updates that arrived before"] if out.console_lost else []),
        f"- **platform CPU: {phase.cpu_s / window * 100:.0f} % of one core** ({phase.cpu_s:.1f} CPU-s in "
        f"{window:.1f} s); idle baseline with the {phase.connected:,} sessions connected: "
        f"{phase.idle_cpu_pct:.0f} %",
        f"- terminals: {_phase_facts(phase)}; late sends (generator behind schedule) p99 "
        f"{_ms(percentile(slips, 99))}; load workers' CPU: {phase.worker_cpu()}",
        machine_line(phase),
    ]


def report_lines(out: Outcome) -> list[str]:
    s = out.settings
    terminal_hb = sorted(set(out.talk.heartbeats()) | set(out.location.heartbeats()))
    hb = ", ".join(f"{h} ms" for h in terminal_hb) or "n/a"
    lines = [
        f"Reference platform (`trunkdesk testbed --no-terminals`) in its own process on 127.0.0.1, on a bench line: "
        f"the sample line plus {max(s.terminals, s.locations):,} handsets and {s.groups} talk groups. Terminals are "
        f"real TDP/1 clients (`TrunkingClient`) in {s.workers} worker processes; one `{CONSOLE_USER}` console in the "
        f"bench process. Heartbeats in effect (`welcome.heartbeat_ms`, both directions): terminals {hb}, console "
        f"{out.console_heartbeat_ms} ms." + (" Platform under cProfile (slower)." if s.profile else ""),
        "",
        f"- **layout: {out.layout.describe('the platform', f'the {s.workers} load generators and the console')}**",
        f"- machine load: load average {out.load_average[0]:.1f} at the start, {out.load_average_end[0]:.1f} at the "
        f"end ({os.cpu_count()} CPUs); the busy share of each CPU during each phase is under the phase",
        "- platform-side timing: " + ("on (`--handling-times`: four clock reads and about 3 µs of bookkeeping per "
                                      "request, included in the CPU figures)"
                                      if s.platform_times else "off (`--no-platform-times`)"),
        "",
        *talk_lines(out),
        "",
        *location_lines(out),
    ]
    if out.problems:
        lines += ["", "### Platform log: warnings and errors", ""]
        worst = sorted(out.problems.values(), key=lambda item: -item[0])[:8]
        lines += [f"- {n:,}×, the first: `{example[:160]}`" for n, example in worst]
    return lines


def print_profile(path: Path, top: int = 20) -> None:
    """The platform's hottest functions by own time."""
    import pstats

    if not path.exists():
        print(f"no profile written to {path}")
        return
    print(f"\nplatform profile ({path}), top {top} by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(top)

