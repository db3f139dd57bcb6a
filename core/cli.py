"""Builds the ``python -m core`` parser from the modules in :mod:`core.commands`."""
from __future__ import annotations

import argparse
import importlib
import pkgutil

import core.commands


class Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (not the whole usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m core", description="Keyscope: musical key estimation.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(core.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"core.commands.{info.name}")
        sub = subparsers.add_parser(info.name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage mistake already reported
        return int(done.code or 0)
    return int(args.run(args) or 0)
