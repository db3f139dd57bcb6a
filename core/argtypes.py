"""argparse ``type=`` functions shared by every command: a value out of range, or an output path that cannot
be written, is refused while the command line is parsed, before any work, with one line naming it."""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Callable


def ranged(convert: Callable[[str], float], allowed: Callable[[float], bool], wanted: str) -> Callable[[str], float]:
    """A type that converts with ``convert`` and accepts only finite values for which ``allowed`` holds."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not allowed(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value
    parse.__name__ = wanted
    return parse


positive_int = ranged(int, lambda v: v >= 1, "a whole number of at least 1")
non_negative_int = ranged(int, lambda v: v >= 0, "a whole number of 0 or more")
positive_float = ranged(float, lambda v: v > 0, "a number above 0")
non_negative_float = ranged(float, lambda v: v >= 0, "a number of 0 or more")
unit_float = ranged(float, lambda v: 0 <= v <= 1, "a number from 0 to 1")
fraction = ranged(float, lambda v: 0 <= v < 1, "a number from 0 up to 1 (1 excluded)")
open_fraction = ranged(float, lambda v: 0 < v < 1, "a number between 0 and 1 (both excluded)")


def at_least(low: int) -> Callable[[str], int]:
    return ranged(int, lambda v: v >= low, f"a whole number of at least {low}")


def output_file(text: str) -> Path:
    """A file to write: not a folder, in a folder that exists."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; name a file to write")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: folder {path.parent} does not exist")
    return path


def output_folder(text: str) -> Path:
    """A folder to write into (made when missing): not an existing file."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; name a folder")
    return path


def scheduler_address(text: str) -> str:
    """A Dask scheduler address ``[tcp://]host:port``."""
    host, _, port = text.removeprefix("tcp://").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected a scheduler address such as tcp://host:8786, got {text!r}")
    return text
