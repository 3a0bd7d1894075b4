"""What /proc says about process groups, for tests that check nothing is left behind."""

from __future__ import annotations

from pathlib import Path


def group_processes(pgid: int) -> list[tuple[int, str]]:
    """(pid, state letter) of every process of process group ``pgid``, zombies included ("Z")."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _parent, group = text[text.rindex(")") + 2:].split()[:3]
        if int(group) == pgid:
            members.append((int(stat.parent.name), state))
    return members
