"""Check plan files against a line without starting a desk: ``python -m console.headless.plan_check`` (docs/plans.md).

Every problem is printed as file:line:col; the exit status is 1 if there is any.
"""

from __future__ import annotations

from pathlib import Path

from console.core.plan_loader import load_plans
from console.headless.plans import default_plans_folder, facts_from_line


def main(argv: list[str] | None = None) -> int:
    """``python -m console.headless.plan_check [--line FILE] [FOLDER_OR_FILES...]``: check plan files against a
    line (the sample line and resources/plans by default); print every problem as file:line:col; exit 1 if there is
    any."""
    import argparse

    from testbed.line import default_line_path, load_line

    parser = argparse.ArgumentParser(prog="python -m console.headless.plan_check", description=main.__doc__)
    parser.add_argument("--line", type=Path, default=None, help="the line file (default: the sample line)")
    parser.add_argument("paths", nargs="*", type=Path, help="plan files or a folder (default: resources/plans)")
    args = parser.parse_args(argv)
    facts = facts_from_line(load_line(args.line or default_line_path()))
    paths: list[Path] = args.paths
    source: Path | list[Path] = paths[0] if len(paths) == 1 else paths if paths else default_plans_folder()
    found = load_plans(source, facts)
    for problem in found.problems:
        print(problem)  # noqa: T201 - the command's output
    print(f"{len(found.plans)} plan(s) ok, {len(found.problems)} problem(s)")  # noqa: T201
    return 1 if found.problems else 0


__all__ = ["main"]


if __name__ == "__main__":
    raise SystemExit(main())
