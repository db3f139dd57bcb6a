"""Spectrograms: what each key class looks and sounds like, and its chroma beside the key profile."""

import altair as alt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import paths
from core.data.corpus import clip_file
from core.data.spectrograms import FEATURE_VIEWS, axes, features, for_display, mean_chroma
from core.estimate.analysis_pool import AnalysisCrashed
from core.estimate.profiles import profile
from core.keys import CLASS_NAMES, SHARP_NAMES
from core.msd.hdf5 import MSDError
from core.runtime.files import stamp
from core.service.urlstate import Param
from ui import guard
from ui.data import load_catalog
from ui.settings import analysis_pool, gate, policy
from ui.url import fall_back, read_view, seed_widgets, write_view

CLASSES = list(range(24))
SCHEMA = {
    "sp_class": Param("choice", 1, options=CLASSES),
    "sp_rep": Param("choice", "logspec", options=list(FEATURE_VIEWS)),
    "sp_vs": Param("choice", -1, options=[-1, *CLASSES]),
    "sp_n": Param("int", 4, 1, 12),
    "sp_ta": Param("str", ""),
    "sp_tb": Param("str", ""),
}


def in_worker(func, *args):
    """``func(*args)`` in the worker pool all sessions share, through their gate: audio is never decoded in
    the server process, so a decoder or numba crash costs one call (core.estimate.analysis_pool)."""
    workers = policy().workers
    with gate(workers).slot():
        return analysis_pool(workers).call(func, *args)


@st.cache_data(max_entries=256, show_spinner=False)
def clip_features(path: str, representation: str, modified: float):
    """The clip's features, read in a worker process of the shared pool; raises ValueError with the reason
    when the clip cannot be read, AnalysisCrashed when the worker died."""
    found, errors = in_worker(features, [path], representation)
    if path not in found:
        raise ValueError(errors.get(path, f"{path}: no features"))
    return found[path]


def show_clip(path: str, representation: str, caption: str, key: str) -> None:
    """The clip's features over time (s) and notes, and its audio; an error line if it cannot be read."""
    try:
        array = clip_features(path, representation, stamp(path))
    except ValueError as err:
        st.error(guard.plain(str(err).replace(path, policy().shown(path))))
        return
    except AnalysisCrashed as err:
        st.error(f"{caption}: {err}")
        return
    times, rows, notes = axes(representation, array.shape[1])
    values, low, high, unit = for_display(representation, array)
    figure = go.Figure(go.Heatmap(z=values, x=times, colorscale="Magma", zmin=low, zmax=high, showscale=False,
                                  hovertemplate=f"%{{x:.1f}} s, %{{z:.2f}} {unit}<extra></extra>"))
    figure.update_layout(title=caption, height=280, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         xaxis_title="time (s)", yaxis={"tickvals": rows, "ticktext": notes,
                                                        "title": "pitch class" if representation == "chroma" else "note"})
    st.plotly_chart(figure, key=key)
    st.audio(path)


def class_chroma(files: list[str], chunk: int = 8):
    """``(mean chroma, clips averaged)`` of the class's clips, ``(None, 0)`` when none can be read. The clips
    are read in the shared worker pool, ``chunk`` at a time under a progress bar; clips already in the feature
    store are read from it, so only new clips are analysed (once)."""
    bar, found = st.empty(), {}
    for start in range(0, len(files), chunk):
        bar.progress(start / len(files), text=f"Averaging the class's chroma: {start} of {len(files)} clips read "
                                              "(new clips are analysed once; later opens read the feature store)")
        found |= in_worker(features, files[start:start + chunk], "chroma")[0]
    bar.empty()
    return (mean_chroma(list(found.values())), len(found)) if found else (None, 0)


def clip_paths(catalog, index: int, limit: int | None = None) -> list[tuple[str, str]]:
    rows = catalog[catalog["class_index"] == index].sort_values("track_id").head(limit)
    return [(str(clip_file(paths.DEFAULT_AUDIO_DIR, t, index)), title)
            for t, title in zip(rows["track_id"], rows["title"])]


def show_class(catalog, index: int, representation: str, count: int, per_row: int) -> None:
    st.subheader(CLASS_NAMES[index])
    clips = clip_paths(catalog, index, count)
    if not clips:
        st.info(f"No clips of {CLASS_NAMES[index]} in the catalog.")
        return
    for start in range(0, len(clips), per_row):
        for column, (path, title) in zip(st.columns(per_row), clips[start:start + per_row]):
            with column:
                show_clip(path, representation, title, key=f"sp_clip_{index}_{path}")
    all_files = [path for path, _ in clip_paths(catalog, index) if stamp(path)]
    if not all_files:
        return
    try:
        chroma, averaged = class_chroma(all_files)
    except AnalysisCrashed as err:
        st.error(f"The class's mean chroma: {err}")
        return
    if chroma is None:
        st.warning("None of this class's clips could be read, so there is no mean chroma.")
        return
    frame = pd.DataFrame({
        "pitch_class": list(SHARP_NAMES) * 2,
        "weight": [*chroma, *profile(index)],
        "series": [f"mean chroma ({averaged} clips)"] * 12 + ["Krumhansl-Kessler profile"] * 12,
    })
    st.altair_chart(alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("pitch_class", sort=list(SHARP_NAMES), title="pitch class"), y="weight", color="series"), width="stretch")


st.title("🎛️ Spectrograms")
st.caption("Each key class's clips as images, their sound, and their average chroma beside the "
           "Krumhansl-Kessler key profile rotated to that key.")
view = read_view(SCHEMA)
seed_widgets(view)
try:
    catalog = load_catalog(paths.DEFAULT_CATALOG)
except MSDError as err:
    st.error(f"{err}. Build the corpus with `python -m core corpus`.")
    st.stop()

left, middle, right, last = st.columns([2, 2, 2, 1])
left.selectbox("Key class", CLASSES, key="sp_class", format_func=lambda i: CLASS_NAMES[i])
middle.selectbox("Compare with", [-1, *CLASSES], key="sp_vs",
                 format_func=lambda i: "nothing" if i == -1 else CLASS_NAMES[i])
right.radio("Representation", list(FEATURE_VIEWS), key="sp_rep", horizontal=True,
            help="\n\n".join(f"**{k}**: {v}" for k, v in FEATURE_VIEWS.items()))
last.number_input("Clips", 1, 12, key="sp_n")
shown = [st.session_state["sp_class"]] + ([st.session_state["sp_vs"]] if st.session_state["sp_vs"] != -1 else [])
for column, index in zip(st.columns(len(shown)), shown):
    with column:
        show_class(catalog, index, st.session_state["sp_rep"], st.session_state["sp_n"], per_row=4 // len(shown))

st.divider()
st.markdown("**Two tracks side by side**")
tracks = catalog.set_index("track_id")
label = lambda t: "—" if not t else f"{tracks.at[t, 'title']} ({tracks.at[t, 'key_name']}, {t})"
choices = ["", *sorted(tracks.index)]
for name in ("sp_ta", "sp_tb"):
    fall_back(name, tracks.index, "", "Track {value} is not in the catalog; pick another.")
for column, name in zip(st.columns(2), ("sp_ta", "sp_tb")):
    with column:
        track = st.selectbox("Track", choices, key=name, format_func=label)
        if track:
            path = str(clip_file(paths.DEFAULT_AUDIO_DIR, track, int(tracks.at[track, "class_index"])))
            show_clip(path, st.session_state["sp_rep"], label(track), key=f"sp_track_{name}")
write_view({name: st.session_state[name] for name in SCHEMA}, SCHEMA)
