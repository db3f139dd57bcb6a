"""Runs: finished training runs side by side — curves, confusion, per-class recall, MIREX breakdown, filters."""
import json

import pandas as pd
import plotly.express as px
import streamlit as st

from core.estimators import load_estimator
from core.audio import load_audio
from core.evaluation import (evaluate_on_run_split, evaluate_run, first_layer_activations, first_layer_filters,
                             run_folders, run_state, test_clip)
from core.keys import Key
from core.urlstate import Param
from ui.settings import gate, policy
from ui.url import read_view, seed_widgets, write_view

st.title("📊 Runs")
folders = run_folders()
states = {name: run_state(folder) for name, folder in folders.items()}
finished = [name for name, state in states.items() if state == "finished"]
SCHEMA = {
    "ru_runs": Param("choices", finished[:2], options=finished),
    "ru_norm": Param("choice", "counts", options=["counts", "normalised"]),
    "ru_base": Param("choice", "off", options=["off", "on"]),
    "ru_track": Param("str", ""),
    "ru_filters": Param("choice", finished[0] if finished else "", options=finished or [""]),
}
seed_widgets(read_view(SCHEMA))

if not folders:
    st.info("No runs yet: train one on the Train page or with `python -m core train`.")
    st.stop()


@st.cache_data(show_spinner="Scoring test predictions…")
def scored(folder: str, stamp: float) -> dict:
    """``core.metrics.summary`` of a run's test predictions (re-read when predictions.csv changes)."""
    return evaluate_run(folder)


@st.cache_data(show_spinner=False)
def baseline(folder: str, stamp: float, name: str) -> dict:
    """A template baseline scored on the audio of a run's test clips."""
    bar = st.progress(0.0, text=f"{name} on the test clips")

    def progress(items):
        for i, item in enumerate(items):
            bar.progress(i / len(items), text=f"{name}: clip {i + 1}/{len(items)}")
            yield item
    with gate(policy().workers).slot(on_wait=lambda ahead: bar.progress(0.0, text=f"Queued: {ahead} waiting…")):
        result = evaluate_on_run_split(folder, load_estimator(name), progress)
    bar.empty()
    return result


@st.cache_resource(show_spinner="Loading model…")
def estimator(folder: str):
    return load_estimator(folder)


def config(folder) -> dict:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return {}


overview = pd.DataFrame([{"run": name, "state": states[name], **config(folder)} for name, folder in folders.items()])
st.subheader("All runs")
st.dataframe(overview, hide_index=True)
unfinished = [name for name in folders if name not in finished]
if unfinished:
    st.caption(f"Not finished (not compared): {', '.join(f'{n} ({states[n]})' for n in unfinished)}")

chosen = st.multiselect("Compare runs", finished, key="ru_runs")
norm = st.radio("Confusion", ["counts", "normalised"], key="ru_norm", horizontal=True)
names = [Key.from_index(i).name for i in range(24)]
results = {name: scored(str(folders[name]), (folders[name] / "predictions.csv").stat().st_mtime) for name in chosen}
if results:
    st.dataframe(pd.DataFrame([{"run": name, "accuracy": r["accuracy"], "MIREX weighted": r["mirex_weighted"],
                                "macro F1": r["fbeta_macro"], "seed batch F1": r["fbeta_seed_batch"],
                                **r["mirex_fractions"]} for name, r in results.items()]), hide_index=True)
    st.caption("'seed batch F1' is the seed notebook's batch formula on rounded probabilities: a prediction "
               "counts only where its probability is over 0.5, so an unsure model reads near 0 even when its "
               "accuracy is far above chance. 'macro F1' is the real score.")
base = st.radio("Template baselines on the same test clips", ["off", "on"], key="ru_base", horizontal=True)
if base == "on" and results:
    rows = []
    for name in results:
        stamp = (folders[name] / "predictions.csv").stat().st_mtime
        rows.append({"run": name, "estimator": "CNN (windows)", "accuracy": results[name]["accuracy"],
                     "MIREX weighted": results[name]["mirex_weighted"]})
        try:
            for template in ("template:krumhansl", "template:temperley", "template:aarden"):
                r = baseline(str(folders[name]), stamp, template)
                rows.append({"run": name, "estimator": f"{template} (clips)", "accuracy": r["accuracy"],
                             "MIREX weighted": r["mirex_weighted"]})
        except FileNotFoundError as err:
            st.warning(f"Run {name}: {err}")
    st.dataframe(pd.DataFrame(rows), hide_index=True)
for name, result in results.items():
    st.subheader(f"Run {name}")
    history = pd.read_csv(folders[name] / "history.csv") if (folders[name] / "history.csv").is_file() else pd.DataFrame()
    left, right = st.columns(2)
    if not history.empty:
        history = history.drop_duplicates("epoch", keep="last")
        left.plotly_chart(px.line(history, x="epoch", y=[c for c in history if c.endswith("loss")], title="Loss"),
                          key=f"ru_loss_{name}")
        right.plotly_chart(px.line(history, x="epoch", y=[c for c in history if c.endswith("accuracy")],
                                   title="Accuracy"), key=f"ru_acc_{name}")
    matrix = result["confusion_normalised" if norm == "normalised" else "confusion"]
    left.plotly_chart(px.imshow(matrix, x=names, y=names, labels={"x": "predicted", "y": "true"},
                                title=f"Confusion ({norm})"), key=f"ru_conf_{name}")
    right.plotly_chart(px.bar(x=names, y=result["recall_per_class"], labels={"x": "class", "y": "recall"},
                              title="Per-class recall"), key=f"ru_recall_{name}")
    st.plotly_chart(px.bar(x=list(result["mirex_fractions"]), y=list(result["mirex_fractions"].values()),
                           labels={"x": "MIREX category", "y": "fraction"}, title="MIREX breakdown"),
                    key=f"ru_mirex_{name}")

if finished:
    st.subheader("First-layer filters")
    which = st.selectbox("Run", finished, key="ru_filters")
    cnn = estimator(str(folders[which]))
    kernels = first_layer_filters(cnn.model)
    st.plotly_chart(px.imshow(kernels, facet_col=0, facet_col_wrap=8, color_continuous_scale="RdBu_r",
                              title=f"{len(kernels)} filters of the first convolution"), key="ru_kernels")
    tracks = pd.read_csv(folders[which] / "predictions.csv", usecols=["track_id"])["track_id"].unique().tolist()
    if st.session_state.get("ru_track") not in tracks:
        if st.session_state.get("ru_track"):
            st.warning(f"Track {st.session_state.ru_track!r} is not in the test split of {which}; showing the first.")
        st.session_state.ru_track = tracks[0]
    track = st.selectbox("Activation maps for test track", tracks, key="ru_track")
    clip = test_clip(folders[which], track)
    if clip.is_file():
        x = cnn.features(load_audio(clip, sr=cnn.settings.sample_rate))[0]
        maps = first_layer_activations(cnn.model, x)
        st.plotly_chart(px.imshow(maps, facet_col=0, facet_col_wrap=8, title=f"First-layer activations, {track}"),
                        key="ru_maps")
    else:
        st.warning(f"{clip}: test clip not found; build the corpus with `python -m core corpus`")

write_view({"ru_runs": chosen, "ru_norm": norm, "ru_base": base, "ru_filters": st.session_state.get("ru_filters", ""),
            "ru_track": st.session_state.get("ru_track", "")}, SCHEMA)
