"""The `trunkdesk` command: the desk, the demo, the testbed (and later scenarios).

Heavy imports (Qt, the testbed) happen inside each sub-command so that `trunkdesk --help` is instant.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    from testbed.cli import add_arguments, add_platform_arguments, add_tls_arguments, add_witness_arguments

    parser = argparse.ArgumentParser(
        prog="trunkdesk", description="Dispatch console for metro-line 5G trunking. Without a command: open the "
        "desk against the platform in the configuration file (asking for it on the first run).")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--language", choices=("zh_CN", "en"), default=None,
                        help="language of the desk (default: the last one chosen, else the system's)")
    sub = parser.add_subparsers(dest="command")
    desk = sub.add_parser("desk", help="open the desk against a platform")
    desk.add_argument("--url", action="append", required=True, metavar="URL",
                      help="ws:// or wss:// address of a platform instance (give both instances of a pair)")
    desk.add_argument("--user", required=True, help="dispatcher user name")
    desk.add_argument("--password-file", type=Path, default=None,
                      help="file whose first line is the password (default: ask on the terminal)")
    desk.add_argument("--line", type=Path, default=None, help="line file whose layout the desk draws")
    desk.add_argument("--duration", type=float, default=None, help="close the desk after this many seconds")
    _add_language(desk)
    testbed = sub.add_parser("testbed", help="run the reference platform and the simulated line, headless")
    add_arguments(testbed)
    add_tls_arguments(testbed)
    demo = sub.add_parser("demo", help="the demo: the dual-live testbed with the simulated line, and the desk "
                                       "signed in to it as the chief dispatcher")
    add_arguments(demo)
    demo.add_argument("--headless", action="store_true",
                      help="run the testbed only (the pair and the simulated line), without the desk")
    _add_language(demo)
    platform = sub.add_parser("platform", help="run one reference platform instance (alone, or half of a pair)")
    add_platform_arguments(platform)
    witness = sub.add_parser("witness", help="run the witness of a dual-live pair")
    add_witness_arguments(witness)
    return parser


def _add_language(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's default must not overwrite `trunkdesk --language X <command>`
    parser.add_argument("--language", choices=("zh_CN", "en"), default=argparse.SUPPRESS,
                        help="language of the desk (default: the last one chosen, else the system's)")


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file is not None:
        path: Path = args.password_file
        try:
            return path.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            print(f"trunkdesk desk: cannot read the password file: {exc}", file=sys.stderr)
            return None
    if not sys.stdin.isatty():
        print("trunkdesk desk: no terminal to ask the password on: give --password-file", file=sys.stderr)
        return None
    return getpass.getpass(f"password of {args.user}: ")


def _demo_testbed_args(args: argparse.Namespace) -> list[str]:
    """The testbed options of `trunkdesk demo` handed on to its headless child."""
    passed = ["--seed", str(args.seed), "--rate", str(args.rate), "--speed", str(args.speed)]
    if args.line is not None:
        passed += ["--line", str(args.line)]
    if args.no_terminals:
        passed.append("--no-terminals")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("testbed", "platform", "witness") or (args.command == "demo" and args.headless):
        from testbed import cli

        runner = {"testbed": cli.run, "demo": cli.run, "platform": cli.run_platform, "witness": cli.run_witness}
        try:
            return asyncio.run(runner[args.command](args))
        except KeyboardInterrupt:
            return 130
    if args.command == "demo":
        from console.ui.app import run_desk

        return run_desk([], "", "", demo=True, testbed_args=_demo_testbed_args(args), language=args.language,
                        line=args.line, quit_after=args.duration)
    if args.command == "desk":
        password = _password(args)
        if password is None:
            return 2
        from console.ui.app import run_desk

        return run_desk(args.url, args.user, password, language=args.language, line=args.line,
                        quit_after=args.duration)
    from console.ui.app import run_configured

    return run_configured(language=args.language)


if __name__ == "__main__":
    sys.exit(main())
