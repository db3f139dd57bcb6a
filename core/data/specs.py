"""Data specs: the one parser of the string a run's ``data`` setting holds.

* ``"synthetic:N"``: N generated semitone-grid examples (tests and demos).
* ``"corpus"``: the bundled corpus (``data/corpus/``).
* ``"synth:NAME[+NAME...]"``: generated corpora under ``CACHE_DIR/synth`` named ``RECIPE-sSEED``
  (``popular-s0``), and ``realpool``: the real recordings ``python -m core pool all`` labelled.
* ``"labels:PATH.csv"``: any ``file,key`` labelled audio.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.keys import N_CLASSES

REAL_POOL = "realpool"  # in a synth: spec, the real recordings `python -m core pool all` labelled by agreement
FORMS = "'synthetic:N', 'corpus', 'synth:NAME' or 'labels:PATH.csv'"


@dataclass(frozen=True)
class DataSpec:
    """A parsed data spec: its ``kind`` and what it names (``count``, corpus ``names`` or a labels ``path``)."""

    kind: str  # "synthetic", "corpus", "synth" or "labels"
    count: int = 0
    names: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def labelled_audio(self) -> bool:
        """Whether the spec names audio files with labels (generated corpora, the pool or a labels CSV)."""
        return self.kind in ("synth", "labels")


def parse(spec: str) -> DataSpec:
    """The :class:`DataSpec` of ``spec``; a ValueError saying how to write it otherwise."""
    kind, _, rest = str(spec).partition(":")
    if spec == "corpus":
        return DataSpec("corpus")
    if kind == "synthetic":
        if not rest.isdigit() or int(rest) < N_CLASSES:
            raise ValueError(f"data spec {spec!r}: write 'synthetic:N' with N a whole number of at least {N_CLASSES}")
        return DataSpec("synthetic", count=int(rest))
    if kind == "labels" and rest:
        return DataSpec("labels", path=Path(rest))
    if kind == "synth":
        from core.data.synth.build import RECIPES

        names = tuple(rest.split("+"))
        for name in names:
            recipe, _, seed = name.rpartition("-s")
            if name != REAL_POOL and (recipe not in RECIPES or not seed.isdigit()):
                raise ValueError(f"data spec {spec!r}: name generated corpora as RECIPE-sSEED (e.g. popular-s0) "
                                 f"joined by '+', RECIPE one of {', '.join(RECIPES)}")
        return DataSpec("synth", names=names)
    raise ValueError(f"unknown data spec {spec!r}; use {FORMS}")


def recipe_and_seed(name: str) -> tuple[str, int]:
    """``("popular", 0)`` for a generated corpus named ``popular-s0``."""
    recipe, _, seed = name.rpartition("-s")
    return recipe, int(seed)
