"""`trunkdesk scenario validate FILE...` and `trunkdesk scenario run FILE...`, headless (no display).

Both check every file given before anything starts; ``validate`` prints each problem as ``file:line:col:
message`` and exits 1 if there is any. ``run`` then runs the scenarios one after another, prints one line per
step as it ends, writes the reports (``--junit``, ``--json``) and exits 0 only if every expectation held.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from console.headless.loader import check_files
from console.headless.report import ScenarioReport, progress_line, write_json, write_junit
from console.headless.runner import run, unmet
from console.headless.scenario import Scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `trunkdesk scenario`."""
    sub = parser.add_subparsers(dest="scenario_command", required=True)
    validate = sub.add_parser("validate", help="check scenario files; print every problem as file:line:col")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    run_ = sub.add_parser("run", help="run scenario files headless and report every step")
    run_.add_argument("files", nargs="+", type=Path, metavar="FILE")
    run_.add_argument("--junit", type=Path, default=None, metavar="PATH", help="write a JUnit XML report here")
    run_.add_argument("--json", type=Path, default=None, metavar="PATH", help="write a JSON report here")
    run_.add_argument("--url", action="append", default=[], metavar="URL",
                      help="run against the external platform instance at URL (repeat for both of a pair)")
    run_.add_argument("--user", default=None, help="dispatcher user on the external platform")
    run_.add_argument("--password-file", type=Path, default=None,
                      help="file whose first line is the dispatcher's password on the external platform")
    run_.add_argument("--password-env", default=None, metavar="VAR",
                      help="environment variable holding the dispatcher's password on the external platform")
    run_.add_argument("--terminal-secret-file", type=Path, default=None,
                      help="file whose first line is the simulated terminals' secret on the external platform")
    run_.add_argument("--media-address", action="append", default=[], metavar="ADDR",
                      help="an address of this machine media may use (repeatable; over setup.media_address); the "
                           "Janus plane needs one that is not loopback: Janus cannot do ICE over 127.0.0.1")


def main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `trunkdesk scenario ...`; the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    scenarios, errors = check_files(args.files)
    for mark, message in errors:
        print(f"{mark}: {message}", file=err)
    if args.scenario_command == "validate":
        for scenario in scenarios:
            needs = _needs(scenario)
            print(f"{scenario.path}: ok ({len(scenario.steps)} steps){needs}", file=out)
        return 1 if errors else 0
    if errors:
        print(f"trunkdesk scenario: {len(errors)} problem(s) found; nothing was run", file=err)
        return 1
    try:
        scenarios = _overridden(scenarios, args)
    except ValueError as exc:
        print(f"trunkdesk scenario: {exc}", file=err)
        return 2
    reports = asyncio.run(_run_all(scenarios, out, tuple(args.media_address)))
    if args.junit is not None:
        write_junit(reports, args.junit)
    if args.json is not None:
        write_json(reports, args.json)
    print("", file=out)
    for report in reports:
        print(report.summary(), file=out)
    return 0 if all(r.passed for r in reports) else 1


def _needs(scenario: Scenario) -> str:
    """What the scenario needs beyond the testbed, and whether this run has it."""
    missing = unmet(frozenset({"media"}))
    not_here = f" ({missing.removeprefix('requires media: ')})" if missing else ""
    if scenario.setup.media == "janus":
        where = (f"media on {', '.join(scenario.setup.media_addresses)}" if scenario.setup.media_addresses
                 else "run it with --media-address ADDR: an address of this machine that is not loopback (Janus "
                      "cannot do ICE over 127.0.0.1)")
        return f"; media plane janus, requires media{not_here}; {where}"
    if "media" in scenario.requires:
        return f"; requires media{not_here}"
    media = [s for s in scenario.steps if "media" in s.requires]
    return f"; {len(media)} step(s) require media{not_here}" if media else ""


def _first_line(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None


def _overridden(scenarios: Sequence[Scenario], args: argparse.Namespace) -> list[Scenario]:
    """The scenarios, aimed at the external platform given on the command line (if one is)."""
    if not args.url:
        if args.user or args.password_file or args.password_env or args.terminal_secret_file:
            raise ValueError("--user, --password-file, --password-env and --terminal-secret-file need --url")
        return list(scenarios)
    password = None
    if args.password_file is not None:
        password = _first_line(args.password_file)
    elif args.password_env is not None:
        if args.password_env not in os.environ:
            raise ValueError(f"environment variable {args.password_env} is not set")
        password = os.environ[args.password_env]
    secret = _first_line(args.terminal_secret_file) if args.terminal_secret_file is not None else None
    return [s.against(tuple(args.url), args.user, password, secret) for s in scenarios]


async def _run_all(scenarios: Sequence[Scenario], out: TextIO, media_addresses: Sequence[str] = ()
                   ) -> list[ScenarioReport]:
    reports = []
    for scenario in scenarios:
        plane = f", media plane {scenario.setup.media}" if scenario.setup.media != "direct" else ""
        print(f"== {scenario.name} ({scenario.path}, platform {scenario.setup.platform}{plane})", file=out, flush=True)
        report = await run(scenario, progress=lambda step: print(progress_line(step), file=out, flush=True),
                           media_addresses=media_addresses)
        if report.setup_error is not None:
            print(f"setup failed: {report.setup_error}", file=out, flush=True)
        elif report.skipped is not None:
            print(f"skipped: {report.skipped}", file=out, flush=True)
        reports.append(report)
    return reports


__all__ = ["add_arguments", "main"]
