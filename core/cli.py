"""Builds the ``python -m core`` (or ``keyscope``) parser from the modules in :mod:`core.commands`."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import core.commands
from core.errors import KeyscopeError


class Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (not the whole usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None, prog: str = "python -m core") -> argparse.ArgumentParser:
    """Every command with its help line; the arguments of each, or with ``only`` of that one command alone
    (building a command's arguments may import what its defaults come from: pandas, the corpus recipes)."""
    parser = Parser(prog=prog, description="Keyscope: musical key estimation.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(core.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"core.commands.{info.name}")
        sub = subparsers.add_parser(info.name, help=module.HELP, description=module.HELP)
        if only is None or info.name == only:
            module.add_arguments(sub)
        sub.set_defaults(run=module.run, analyses_audio=getattr(module, "ANALYSES_AUDIO", False))
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m core") -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(only=argv[0] if argv and not argv[0].startswith("-") else "", prog=prog).parse_args(argv)
    except SystemExit as done:  # --help, or a usage mistake already reported
        return int(done.code or 0)
    if args.analyses_audio:
        from core.runtime.numba_cache import NumbaCacheError, ensure

        try:
            ensure()
        except NumbaCacheError as err:
            print(f"{prog} {args.command}: numba cannot run librosa's functions: {err}", file=sys.stderr)
            return 1
    try:
        return int(args.run(args) or 0)
    except KeyscopeError as err:  # the one place a command's own error becomes its one line
        print(f"error: {err}", file=sys.stderr)
        return 2


def console() -> int:
    """The ``keyscope`` command (installed by ``pip install .``): the same as ``python -m core``."""
    return main(prog="keyscope")
