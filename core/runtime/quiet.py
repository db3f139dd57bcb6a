"""Quiet TensorFlow's start-up: its C++ lines (oneDNN, CUDA stubs, ``failed call to cuInit`` on a machine
without a GPU) read like errors and bury the command's own output.

:func:`install` (run by ``import core``, before anything imports TensorFlow) sets TensorFlow's C++ log level
(``TF_CPP_MIN_LOG_LEVEL``, unless already set) and filters the lines TensorFlow writes to stderr while it is
imported, before its log level applies; other stderr output of that moment is passed on. A GPU stays in use.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

# C++ log lines "I0000 00:00:1795... 8865 port.cc:153] ...", absl's notice and the CPU-feature hint.
NOISE = re.compile(r"^([IWE]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\]|WARNING: All log messages before absl::InitializeLog"
                   r"|To enable the following instructions:)")


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` through the other finders and wraps its loader in :class:`_QuietLoader`."""

    busy = False

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self.busy:
            return None
        self.busy = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.busy = False
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, executing the module inside :class:`filtered_stderr`."""

    def __init__(self, loader, finder: _Finder) -> None:
        self.loader, self.finder = loader, finder

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        with filtered_stderr():
            self.loader.exec_module(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)


class filtered_stderr:
    """Within the block, file descriptor 2 goes to a temporary file; afterwards its lines that do not match
    ``noise`` (default :data:`NOISE`) are written to the real stderr."""

    def __init__(self, noise: re.Pattern = NOISE) -> None:
        self.noise = noise

    def __enter__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)
        self.capture = tempfile.TemporaryFile(mode="w+b")
        os.dup2(self.capture.fileno(), 2)
        return self

    def __exit__(self, *exc) -> None:
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.capture.seek(0)
        kept = [line for line in self.capture.read().decode(errors="replace").splitlines(keepends=True)
                if not self.noise.match(line)]
        self.capture.close()
        if kept:
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def install() -> None:
    """Set TensorFlow's log level and filter its import-time lines (once; nothing if already imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
