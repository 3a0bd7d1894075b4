"""Run a test body inside a fresh network namespace (``unshare --net``), so multicast and private addresses
never reach the host's interfaces.

The parent calls `run_in_netns` (a module-level function, sync or async, whose JSON result comes back)
or `run_command_in_netns` (any command). Either spawns ``unshare --net -- python -m tests.integration.netns``,
which first checks it really is in a new namespace, brings ``lo`` up, creates a veth pair whose two ends
both stay inside the namespace (each with its own private address, multicast on), and only then runs the
body. The namespace dies with the process, taking its interfaces along.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULT_PREFIX = "NETNS-RESULT "
_NS_PATH = "/proc/self/ns/net"


@dataclass(frozen=True)
class VethPair:
    """Two ends of a virtual Ethernet cable, both inside the namespace, each with a private address."""

    name: str = "tdv0"
    address: str = "10.200.0.1/24"
    peer_name: str = "tdv1"
    peer_address: str = "10.200.0.2/24"

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]

    @property
    def peer_ip(self) -> str:
        return self.peer_address.split("/")[0]


def netns_unavailable_reason() -> str | None:
    """Why namespaces cannot be used on this machine (a reason to skip), or None when they can."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux-only"
    missing = [tool for tool in ("unshare", "ip") if shutil.which(tool) is None]
    if missing:
        # not a reason to skip: the dev script installs util-linux and iproute2
        raise RuntimeError(f"{' and '.join(missing)} not found: install util-linux / iproute2")
    probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True, text=True, timeout=10,
                           check=False)
    if probe.returncode != 0:
        if "permitted" in probe.stderr or "denied" in probe.stderr:
            return f"creating a network namespace is not permitted here: {probe.stderr.strip()}"
        raise RuntimeError(f"unshare --net failed: {probe.stderr.strip()}")
    return None


def require_netns() -> None:
    """Skip the calling test when this machine forbids network namespaces."""
    import pytest

    reason = netns_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


def _child_argv(veth: VethPair | None, body: list[str]) -> list[str]:
    veth = veth or VethPair()
    host_ns = str(os.stat(_NS_PATH).st_ino)
    return ["unshare", "--net", "--", sys.executable, "-m", "tests.integration.netns",
            "--host-ns", host_ns, "--veth", json.dumps(asdict(veth)), *body]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run_command_in_netns(argv: Sequence[str], *, veth: VethPair | None = None, timeout: float = 15.0
                         ) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in a new namespace with ``veth`` set up; return it finished (raises on timeout)."""
    return subprocess.run(_child_argv(veth, ["exec", *argv]), capture_output=True, text=True, timeout=timeout,
                          cwd=REPO_ROOT, env=_child_env(), check=False)


def run_in_netns(target: Callable[..., Any], *args: Any, veth: VethPair | None = None, timeout: float = 15.0
                 ) -> Any:
    """Call module-level ``target(*args)`` (awaited if a coroutine function) in a new namespace; return its
    JSON-decoded result. ``args`` and the result must be JSON values."""
    reference = f"{target.__module__}:{target.__qualname__}"
    if "<" in reference:
        raise ValueError(f"{reference} is not importable: use a module-level function")
    done = subprocess.run(_child_argv(veth, ["call", reference, json.dumps(list(args))]), capture_output=True,
                          text=True, timeout=timeout, cwd=REPO_ROOT, env=_child_env(), check=False)
    results = [line[len(RESULT_PREFIX):] for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not results:
        raise AssertionError(f"{reference} in a network namespace failed (exit {done.returncode})\n"
                             f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}")
    return json.loads(results[-1])


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


def _sysctl(key: str, value: str) -> None:
    Path("/proc/sys", *key.split(".")).write_text(value)


def set_up_links(veth: VethPair) -> None:
    """Inside the namespace: ``lo`` up and the veth pair with addresses, multicast and the group route."""
    _ip("link", "set", "lo", "up")
    _ip("link", "add", veth.name, "type", "veth", "peer", "name", veth.peer_name)
    for name, address in ((veth.name, veth.address), (veth.peer_name, veth.peer_address)):
        _ip("addr", "add", address, "dev", name)
        _ip("link", "set", name, "multicast", "on", "up")
    # both ends belong to this namespace, so a packet crossing the cable has a local source address:
    # accept it rather than drop it as a martian
    for scope in ("all", "default", veth.name, veth.peer_name):
        _sysctl(f"net.ipv4.conf.{scope}.accept_local", "1")
        _sysctl(f"net.ipv4.conf.{scope}.rp_filter", "0")


def _main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description="body of a test inside a fresh network namespace")
    parser.add_argument("--host-ns", type=int, required=True, help="inode of the namespace the test runs in")
    parser.add_argument("--veth", required=True, help="the VethPair, as JSON")
    modes = parser.add_subparsers(dest="mode", required=True)
    call = modes.add_parser("call")
    call.add_argument("target", help="module:function")
    call.add_argument("args", help="JSON list of arguments")
    run = modes.add_parser("exec")
    run.add_argument("argv", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)

    if os.stat(_NS_PATH).st_ino == options.host_ns:
        print("refusing to touch interfaces: not in a new network namespace", file=sys.stderr)
        return 3
    set_up_links(VethPair(**json.loads(options.veth)))

    if options.mode == "exec":
        command = options.argv[1:] if options.argv[:1] == ["--"] else options.argv
        os.execvp(command[0], command)
    module_name, _, qualname = options.target.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    result = target(*json.loads(options.args))
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
