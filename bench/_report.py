"""Writes benchmark results to docs/benchmarks.md: one `## section` per benchmark, with its machine.

Usage from a bench script: ``from bench._report import record; record("codec", ["- rate: ...", ...])``.
Re-running a benchmark replaces its section and leaves the others alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import platform
import shlex
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"
#: Packages whose versions every section names (missing ones are reported as such).
KEY_PACKAGES: tuple[str, ...] = ("msgspec", "websockets")

HEADER = """# Benchmarks

Results of the scripts in `bench/`, each section written by the script named in it (re-running a
script replaces its section). The machines are shared and their load varies: absolute times and rates
are noisy, so compare the **ratios measured within one run** (against a baseline measured alongside),
and re-run on your own machine before drawing conclusions from a difference between sections.
"""


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _ram() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _os_name() -> str:
    pretty = ""
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
    kernel = f"{platform.system()} {platform.release()}"
    return f"{pretty} ({kernel})" if pretty else kernel


def _cores() -> str:
    total = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return str(total)
    return str(total) if usable == total else f"{usable} usable of {total}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts(packages: Sequence[str] = KEY_PACKAGES) -> list[str]:
    """Markdown list items naming the machine and software a result was measured on."""
    versions = ", ".join(f"{name} {_version(name)}" for name in packages)
    return [
        f"- CPU: {_cpu_model()}, {_cores()} cores",
        f"- RAM: {_ram()}",
        f"- OS: {_os_name()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- packages: {versions}",
    ]


def _command() -> str:
    """The command line that started this process, with the interpreter path made relative to the repo."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if argv:
        with contextlib.suppress(ValueError):
            argv[0] = str(Path(argv[0]).absolute().relative_to(ROOT))
    command = " ".join(shlex.join(argv).split())  # one line, even for `python -c` with newlines
    return command if len(command) <= 200 else command[:199] + "…"


def _split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first section, and (title, body including its heading) of each section."""
    head: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            head.append(line)
    return "".join(head), [(title, "".join(body)) for title, body in sections]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise writers: several bench scripts may finish at the same time."""
    fd = os.open(path.parent, os.O_RDONLY)  # lock the folder: no lock file left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def record(
    section: str, lines: list[str], *, path: Path = REPORT, packages: Sequence[str] = KEY_PACKAGES
) -> None:
    """Write or replace the section ``## {section}`` of the report with ``lines`` plus the machine facts.

    ``lines`` are markdown; use ``###`` or lower for headings inside them (``##`` starts a section).
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([
        f"## {section}",
        "",
        f"Measured {stamp} with `{_command()}` on:",
        "",
        *machine_facts(packages),
        "",
        *lines,
    ]).rstrip() + "\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        old = path.read_text(encoding="utf-8") if path.exists() else HEADER
        head, sections = _split_sections(old)
        if not head.strip():
            head = HEADER
        if any(title == section for title, _ in sections):
            sections = [(title, body if title == section else text) for title, text in sections]
        else:
            sections.append((section, body))
        parts = [head.rstrip() + "\n\n", *(text.rstrip() + "\n\n" for _, text in sections)]
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text("".join(parts).rstrip() + "\n", encoding="utf-8")
        os.replace(tmp, path)
    logger.info("recorded section %r in %s", section, path)


__all__ = ["machine_facts", "record"]
