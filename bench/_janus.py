"""What the Janus benches (bench_janus, bench_janus_voice) share: their measurement runs in a network namespace.

Janus cannot run ICE over loopback, so each bench's ``measure`` runs in a child process inside a namespace with a
veth pair (tests/integration/netns.py), which needs root or user namespaces; the bench process only checks that,
starts the child and writes the report.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from bench._report import record
from tests.integration.janus_support import VETH
from tests.integration.netns import require_netns, run_in_netns

__all__ = ["PACKAGES", "can_run", "finish", "measure_in_netns"]

#: the packages whose versions a Janus bench's section names
PACKAGES = ("websockets", "aiortc", "av", "numpy")


def can_run() -> bool:
    """Whether this machine can make the namespace; if not, why goes to stderr."""
    try:
        require_netns()
    except BaseException as exc:  # pytest's skip, outside pytest
        sys.stderr.write(f"cannot run: {exc}\n")
        return False
    return True


def measure_in_netns(module: str, *args: Any, timeout: float) -> Any:
    """``module``'s ``measure(*args)`` run inside the namespace; what it returned.

    The module is named by its importable name: run as ``-m`` a bench is ``__main__``, which the namespace's child
    cannot import.
    """
    target = importlib.import_module(module).measure
    return run_in_netns(target, *args, veth=VETH, timeout=timeout)


def finish(section: str, lines: list[str], results: Any, *, quick: bool) -> int:
    """Print the report; record it in docs/benchmarks.md, or for a ``quick`` run print the raw results instead."""
    sys.stdout.write("\n".join(lines) + "\n")
    if quick:
        sys.stdout.write(json.dumps(results)[:3000] + "\n")
        return 0
    record(section, lines, packages=PACKAGES)
    return 0
