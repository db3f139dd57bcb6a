"""Build a generated training corpus: plans, parallel rendering, resumable, with a manifest.

Layout of ``OUT``::

    OUT/synth.json                       recipe, size, seed, clip length, soundfonts (what made it)
    OUT/audio/<key>-<mode>/<TRACK_ID>.ogg
    OUT/labels.csv                       file,key,style,song (song: OUT's name and the track, unique across
                                         corpora; it groups a clip's splits)

Clips already on disk are kept, so a killed build resumes; each clip is written under a temporary
name and renamed. ``labels.csv`` is rewritten after every chunk, listing only finished clips, so
training can start on a partial build.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from core.data.corpus import check_out, clip_file
from core.data.synth.arrange import TUNE, ClipPlan, plan_clip
from core.data.synth.styles import STYLES
from core.keys import N_CLASSES, Key
from core.runtime.files import replacing, write_text

MANIFEST = "synth.json"
POPULAR = ("blues", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
RECIPES = {  # recipe -> styles drawn in turn
    "popular": POPULAR,
    "sung": POPULAR,  # the popular styles with a sung lead on top of the mix (arrange.SUNG_PROGRAMS)
    "tunes": (TUNE,),  # folk tunes with stated keys from music21's corpus
    **{name: (name,) for name in STYLES},
}
CLIP_SECONDS = 16.0


def default_out(recipe: str, seed: int = 0) -> Path:
    """Where ``python -m core corpus --recipe RECIPE`` puts a generated corpus unless told otherwise."""
    from core import paths

    return paths.CACHE_DIR / "synth" / f"{recipe}-s{seed}"


def plan_corpus(recipe: str, size: int, seed: int = 0, n_soundfonts: int = 1) -> list[ClipPlan]:
    """``size`` plans: key classes in turn (equal shares), styles of the recipe in turn."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    styles = RECIPES[recipe]
    return [plan_clip(seed * 10_000_000 + i, Key.from_index(i % N_CLASSES),
                      styles[(i // N_CLASSES + i) % len(styles)], n_soundfonts, sung=recipe == "sung")
            for i in range(size)]


def clip_path(plan: ClipPlan) -> Path:
    """Where a clip lives below the corpus folder (the seed's ``<key>-<mode>/<TRACK_ID>`` layout)."""
    return clip_file("audio", plan.track_id, plan.key)


def _render_to(plan: ClipPlan, target: str, seconds: float, fonts: list[str]) -> str | None:
    """Render one clip to ``target`` (worker side); returns an error message or None."""
    import soundfile as sf

    from core.data.synth.render import SAMPLE_RATE, render_plan

    try:
        y = render_plan(plan, seconds, [Path(f) for f in fonts])
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as tmp:
            sf.write(tmp, y, SAMPLE_RATE, format="OGG", subtype="VORBIS")
    except Exception as err:  # noqa: BLE001 - one bad clip must not stop a long build
        return f"{Path(target).name}: {type(err).__name__}: {err}"
    return None


def build(out: str | Path, recipe: str = "popular", size: int = 2400, seed: int = 0, jobs: int = 1,
          scheduler: str | None = None, seconds: float = CLIP_SECONDS,
          progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Render the corpus into ``out`` (see module docstring); returns the labels of the finished clips."""
    from core.data.synth.render import soundfonts
    from core.runtime.parallel import imap

    out = Path(out)
    fonts = [str(f) for f in soundfonts()]
    manifest = {"recipe": recipe, "size": size, "seed": seed, "seconds": seconds,
                "soundfonts": [Path(f).name for f in fonts], "maker": "keyscope synth"}
    previous = check_out(out, MANIFEST, {"maker", "recipe", "seed", "seconds"})
    if previous and {k: previous.get(k) for k in ("maker", "recipe", "seed", "seconds")} != \
            {k: manifest[k] for k in ("maker", "recipe", "seed", "seconds")}:
        raise ValueError(f"{out} holds a corpus of other settings ({previous}); choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    plans = plan_corpus(recipe, size, seed, len(fonts))
    todo = [p for p in plans if not (out / clip_path(p)).exists()]
    done, errors = size - len(todo), []
    if progress:
        progress(done, size)
    for chunk_start in range(0, len(todo), 64):
        chunk = todo[chunk_start:chunk_start + 64]
        for error in imap(_render_to, [(p, str(out / clip_path(p)), seconds, fonts) for p in chunk], jobs, scheduler):
            done += 1
            if error:
                errors.append(error)
            if progress:
                progress(done, size)
        write_labels(out, plans)  # after each chunk, so training can start on a partial build
    labels = write_labels(out, plans)
    if errors:
        raise RuntimeError(f"{len(errors)} clip(s) failed, first: {errors[0]}")
    return labels


def write_labels(out: Path, plans: list[ClipPlan]) -> pd.DataFrame:
    """``labels.csv`` of the clips on disk (atomically replaced)."""
    rows = [{"file": clip_path(p).as_posix(), "key": p.key.name, "style": p.style, "song": f"{out.name}/{p.track_id}"}
            for p in plans if (out / clip_path(p)).exists()]
    frame = pd.DataFrame(rows, columns=["file", "key", "style", "song"])
    write_text(out / "labels.csv", frame.to_csv(index=False))
    return frame

