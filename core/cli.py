"""Builds the ``python -m core`` (or ``keyscope``) parser from the modules in :mod:`core.commands`."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import core.commands


class Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (not the whole usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None, prog: str = "python -m core") -> argparse.ArgumentParser:
    """The whole parser; with ``only``, just that sub-command gets its arguments (and their imports), so a
    command starts without importing what the other commands need."""
    parser = Parser(prog=prog, description="Keyscope: musical key estimation.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(core.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"core.commands.{info.name}")
        sub = subparsers.add_parser(info.name, help=module.HELP, description=module.HELP)
        if only is None or only == info.name:
            module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m core") -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    try:
        args = build_parser(command, prog).parse_args(argv)
    except SystemExit as done:  # --help, or a usage mistake already reported
        return int(done.code or 0)
    return int(args.run(args) or 0)


def console() -> int:
    """The ``keyscope`` command (installed by ``pip install .``): the same as ``python -m core``."""
    return main(prog="keyscope")
