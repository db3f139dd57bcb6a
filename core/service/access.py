"""Public mode: which folders a link may name, and what a visitor may start.

The settings come as a plain mapping (environment variables, or Streamlit secrets through
``ui/settings.py``), so the rules are tested without Streamlit:

* ``KEYSCOPE_PUBLIC`` -- ``1``/``true``: public mode (catalog and audio paths only inside the
  roots, no training from the page, capped caches).
* ``KEYSCOPE_ROOTS`` -- extra folders a link may name, separated by ``os.pathsep`` (or a list in
  secrets); the bundled data folder is always one.
* ``KEYSCOPE_WORKERS`` -- analyses (predictions, baselines) run at once across all sessions.
* ``KEYSCOPE_MAX_RUNS``, ``KEYSCOPE_MAX_EPOCHS``, ``KEYSCOPE_MAX_EXAMPLES`` -- limits on training
  started from the page (when public mode leaves it on at all).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from core import paths
from core.errors import KeyscopeError


class OutsideRoots(KeyscopeError, PermissionError):
    """A path outside the folders this server shares; the message says nothing of the path."""


OUTSIDE_MESSAGE = "Not available here: this public server opens only files inside its shared data folders."


class BadPath(KeyscopeError, OSError):
    """Text that cannot name a file (a NUL character, an unknown user's ``~name``); the message repeats none of it."""


BAD_PATH_MESSAGE = "Not a usable path: it holds a NUL character or names an unknown user's home (~name)."


class NotRegularFile(KeyscopeError, OSError):
    """A FIFO, device or socket where a file is read: refused before anything opens it (it could block)."""


def inside(path: str | os.PathLike, roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` (symlinks resolved) lies inside one of ``roots`` (resolved already)."""
    resolved = Path(os.path.realpath(path))
    return any(resolved.is_relative_to(root) for root in roots)


def regular_file(path: str | os.PathLike) -> Path:
    """``path`` when it is a regular file; :class:`NotRegularFile` for a FIFO, device or socket (checked with
    ``stat``, which never opens it), :class:`FileNotFoundError` when missing."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"{path}: not a regular file")
    return Path(path)


def open_regular(path: str | os.PathLike):
    """``path`` opened for binary reading, non-blocking (a FIFO swapped in after a check cannot hang the
    open) and checked again on the open descriptor; raises as :func:`regular_file`."""
    regular_file(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile(f"{path}: not a regular file")
    return os.fdopen(fd, "rb")


@dataclass(frozen=True)
class Policy:
    """What this server allows; the defaults are a private (local) server's."""

    public: bool = False
    roots: tuple[Path, ...] = ()
    workers: int = 2
    max_runs: int = 2
    max_epochs: int = 500
    max_examples: int = 20_000

    @property
    def training(self) -> bool:
        """Whether the Train page may start runs (never in public mode: visitors make no models)."""
        return not self.public

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], default_roots: tuple[Path, ...] | None = None) -> "Policy":
        """The policy of ``KEYSCOPE_*`` settings; unset ones keep their defaults."""
        public = _flag(settings.get("KEYSCOPE_PUBLIC"))
        extra = settings.get("KEYSCOPE_ROOTS") or ()
        if isinstance(extra, str):
            extra = [part for part in extra.split(os.pathsep) if part.strip()]
        roots = tuple(default_roots if default_roots is not None else (paths.DATA_DIR,)) + tuple(Path(p) for p in extra)
        return cls(public=public, roots=tuple(Path(os.path.realpath(Path(r).expanduser())) for r in roots),
                   workers=_positive(settings, "KEYSCOPE_WORKERS", cls.workers),
                   max_runs=_positive(settings, "KEYSCOPE_MAX_RUNS", cls.max_runs),
                   max_epochs=_positive(settings, "KEYSCOPE_MAX_EPOCHS", cls.max_epochs),
                   max_examples=_positive(settings, "KEYSCOPE_MAX_EXAMPLES", cls.max_examples))

    def check(self, path: str | os.PathLike) -> Path:
        """``path`` with symlinks and ``..`` resolved; in public mode raises :class:`OutsideRoots` unless it
        lies inside a root. Nothing is read or checked for existence before that decision."""
        try:
            resolved = Path(os.path.realpath(Path(path).expanduser()))
        except (ValueError, RuntimeError):  # NUL byte; "~nosuchuser"
            raise BadPath(BAD_PATH_MESSAGE) from None
        if self.public and not inside(resolved, self.roots):
            raise OutsideRoots(OUTSIDE_MESSAGE)
        return resolved

    @property
    def within(self) -> tuple[Path, ...] | None:
        """The roots a folder walk or a labels CSV's files must stay inside; None (anywhere) off public mode."""
        return self.roots if self.public else None

    def shown(self, path: str | os.PathLike) -> str:
        """How a page names a server path: as it is off public mode; in public mode relative to the root
        holding it (``data/corpus/x.ogg``), else only its file name after ``…/``."""
        if not self.public:
            return str(path)
        try:
            resolved = Path(os.path.realpath(path))
        except (ValueError, OSError):
            return "…"
        for root in self.roots:
            if resolved.is_relative_to(root):
                return str(Path(root.name) / resolved.relative_to(root))
        return f"…/{Path(path).name}"


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def _positive(settings: Mapping[str, Any], name: str, default: int) -> int:
    try:
        return max(1, int(settings.get(name, default)))
    except (TypeError, ValueError):
        return default
