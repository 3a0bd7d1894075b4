"""Where a load benchmark's processes run, and how busy the machine was while it measured.

A lab measuring a server gives the system under test its own hardware and treats the load generators as test
equipment. On one small machine the nearest thing is a core of its own for the system under test
(``os.sched_setaffinity``) and the generators, at a lower priority (``os.nice``), on the other cores: their
scheduling then stays out of the server's figures instead of showing as its tail latency. Other processes on
the machine may still run on the server's core (only cpusets or ``isolcpus`` could keep them away), so the
report also says how busy each CPU was (`CpuSample`, from /proc/stat) and how much of that was not ours.

Linux only (sched_setaffinity, /proc). Affinity and nice are per thread on Linux: apply them in a process's
main thread before it starts other threads, which inherit them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["CpuSample", "Layout", "apply_to_this_process", "lower_priority", "pin_process", "plan"]


@dataclass(frozen=True)
class Layout:
    """Which CPUs the system under test and the load use, and the load's nice value."""

    #: True: the old layout, everything on every core at normal priority (``--shared-cores``)
    shared: bool
    #: CPUs of the system under test; empty: not pinned (shared, or affinity not possible)
    sut_cpus: tuple[int, ...]
    #: CPUs of the load generators and the measuring client; empty: not pinned
    load_cpus: tuple[int, ...]
    #: nice value of the load generators (0: normal priority)
    nice: int
    #: why the layout is not the one asked for, if it is not
    note: str = ""

    @property
    def pinned(self) -> bool:
        return bool(self.sut_cpus)

    def describe(self, sut: str, load: str) -> str:
        """One sentence for the report: where ``sut`` and ``load`` ran."""
        total = os.cpu_count() or 0
        niced = f"nice {self.nice}" if self.nice else "normal priority"
        if self.shared:
            return (f"shared cores (`--shared-cores`): {sut} and {load} on the same {total} cores, all at normal "
                    "priority")
        if not self.pinned:
            return f"{sut} and {load} on the same {total} cores (not pinned: {self.note}); {load} at {niced}"
        return (f"{sut} alone on CPU {_cpus(self.sut_cpus)} (normal priority); {load} on CPU "
                f"{_cpus(self.load_cpus)}, the generators at {niced}; other processes of the machine were not "
                "kept off either CPU")


def _cpus(cpus: tuple[int, ...]) -> str:
    return ", ".join(str(c) for c in cpus)


def plan(*, shared: bool, nice: int) -> Layout:
    """The layout to use: the system under test on the first usable CPU, the load on the others (or, with
    ``shared``, everything everywhere at normal priority); falls back to unpinned with a note."""
    if shared:
        return Layout(shared=True, sut_cpus=(), load_cpus=(), nice=0)
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError) as exc:
        return Layout(False, (), (), nice, note=f"CPU affinity not available: {exc}")
    if len(allowed) < 2:
        return Layout(False, (), (), nice, note=f"only {len(allowed)} CPU usable, none to give the platform alone")
    return Layout(False, (allowed[0],), tuple(allowed[1:]), nice)


def apply_to_this_process(layout: Layout) -> Layout:
    """Move the calling process (every thread it has, and so every thread and child it starts later) to the load
    CPUs. Returns the layout in effect: unpinned, with a note, when the kernel refuses."""
    if not layout.pinned:
        return layout
    problem = pin_process(os.getpid(), layout.load_cpus)  # imports may have started native threads already
    if problem:
        return replace(layout, sut_cpus=(), load_cpus=(), note=f"CPU affinity not allowed: {problem}")
    return layout


def pin_process(pid: int, cpus: tuple[int, ...]) -> str:
    """Pin every thread of process ``pid`` to ``cpus``; '' when done, else why not."""
    try:
        for tid in _threads(pid):
            with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                os.sched_setaffinity(tid, cpus)
    except OSError as exc:
        return f"cannot pin process {pid}: {exc}"
    return ""


def _threads(pid: int) -> list[int]:
    try:
        return [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return [pid]


def lower_priority(nice: int) -> None:
    """Raise the nice value of every thread of this process by ``nice`` (threads started later inherit it from the
    thread that starts them; nice values are per thread on Linux)."""
    if nice <= 0:
        return
    for tid in _threads(os.getpid()):
        with contextlib.suppress(ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))


@dataclass(frozen=True)
class CpuSample:
    """Busy and stolen seconds of each CPU so far (/proc/stat: busy = user + nice + system + irq + softirq)."""

    busy: dict[int, float]
    steal: dict[int, float]

    @classmethod
    def now(cls) -> CpuSample:
        ticks = os.sysconf("SC_CLK_TCK")
        busy: dict[int, float] = {}
        steal: dict[int, float] = {}
        with contextlib.suppress(OSError):
            for line in Path("/proc/stat").read_text().splitlines():
                name, *fields = line.split()
                if not name.startswith("cpu") or name == "cpu" or len(fields) < 8:
                    continue
                user, nice_, system, _idle, _iowait, irq, softirq, stolen = (int(v) for v in fields[:8])
                cpu = int(name[3:])
                busy[cpu] = (user + nice_ + system + irq + softirq) / ticks
                steal[cpu] = stolen / ticks
        return cls(busy, steal)

    def busy_since(self, before: CpuSample, seconds: float) -> dict[int, float]:
        """Each CPU's busy share (0-1) of the ``seconds`` between ``before`` and this sample."""
        return {cpu: (self.busy[cpu] - before.busy.get(cpu, 0.0)) / seconds for cpu in sorted(self.busy)}

    def steal_since(self, before: CpuSample, seconds: float) -> float:
        """Share of one CPU stolen by the hypervisor, summed over the CPUs, between ``before`` and now."""
        return sum(self.steal[cpu] - before.steal.get(cpu, 0.0) for cpu in self.steal) / seconds
