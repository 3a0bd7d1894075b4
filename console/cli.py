"""The `trunkdesk` command: the desk, the demo, the testbed (and later scenarios).

Heavy imports (Qt, the testbed) happen inside each sub-command so that `trunkdesk --help` is instant.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys


def build_parser() -> argparse.ArgumentParser:
    from testbed.cli import add_arguments, add_platform_arguments, add_witness_arguments

    parser = argparse.ArgumentParser(prog="trunkdesk", description="Dispatch console for metro-line 5G trunking.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command")
    testbed = sub.add_parser("testbed", help="run the reference platform and the simulated line, headless")
    add_arguments(testbed)
    demo = sub.add_parser("demo", help="the demo: embedded testbed (and, once it exists, the desk)")
    add_arguments(demo)
    platform = sub.add_parser("platform", help="run one reference platform instance (alone, or half of a pair)")
    add_platform_arguments(platform)
    witness = sub.add_parser("witness", help="run the witness of a dual-live pair")
    add_witness_arguments(witness)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("testbed", "demo", "platform", "witness"):
        from testbed import cli

        runner = {"testbed": cli.run, "demo": cli.run, "platform": cli.run_platform, "witness": cli.run_witness}
        try:
            return asyncio.run(runner[args.command](args))
        except KeyboardInterrupt:
            return 130
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
