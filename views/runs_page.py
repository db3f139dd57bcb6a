"""Runs: finished training runs side by side — curves, confusion, per-class recall, MIREX breakdown, filters —
any estimator scored on a labels CSV of your own songs, and deleting runs."""
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd
import plotly.express as px
import streamlit as st

from core.audio.decode import load_audio
from core.estimate.analysis_pool import AnalysisCrashed
from core.estimate.estimators import available_estimators, load_estimator
from core.evaluation.metrics import headline
from core.evaluation.scoring import (
    evaluate_labels,
    evaluate_on_run_split,
    evaluate_run,
    file_probas,
    first_layer_activations,
    first_layer_filters,
    missing_clips_hint,
    test_clip,
)
from core.keys import Key
from core.models.runs import Run, all_runs, delete_run, runs_dir
from core.runtime.files import stamp
from core.service.urlstate import Param
from core.service.workload import EXTRA
from ui import guard
from ui.charts import training_curves
from ui.settings import analysis_pool, gate, policy
from ui.url import fall_back, read_view, seed_widgets, write_view


def delete_chosen() -> None:
    """Delete the runs chosen under "Delete runs" (before the page reruns, so every list is fresh); nothing
    where the guard forbids deleting."""
    done, failed = [], []
    for run_id in st.session_state.get("ru_del", []) if guard.may_delete() else []:
        try:
            delete_run(run_id)
            done.append(run_id)
        except (ValueError, OSError) as err:
            failed.append(f"{run_id}: {err}")
    for name in ("ru_runs", "ru_filters"):
        if name in st.query_params:  # rewritten from the widgets at the end of the page
            del st.query_params[name]
        if isinstance(st.session_state.get(name), list):
            st.session_state[name] = [r for r in st.session_state[name] if r not in done]
        elif st.session_state.get(name) in done:
            del st.session_state[name]
    st.session_state.ru_del, st.session_state.ru_del_ok = [], False
    st.session_state.ru_deleted = (done, failed)

st.title("📊 Runs")
runs = all_runs()
folders = {name: run.folder for name, run in runs.items()}
states = {name: run.state for name, run in runs.items()}
finished = [name for name, state in states.items() if state == "finished"]
SCHEMA = {
    "ru_runs": Param("choices", finished[:2], options=finished),
    "ru_norm": Param("choice", "counts", options=["counts", "normalised"]),
    "ru_base": Param("choice", "off", options=["off", "on"]),
    "ru_track": Param("str", ""),
    "ru_filters": Param("choice", finished[0] if finished else "", options=finished or [""]),
    "ru_model": Param("str", "default"),
    "ru_labels": Param("str", ""),
}
seed_widgets(read_view(SCHEMA))

if not folders:
    st.info("No runs yet: train one on the Train page or with `python -m core train`.")
    st.stop()


@st.cache_data(show_spinner="Scoring test predictions…")
def scored(folder: str, version: float) -> dict:
    """``core.evaluation.metrics.summary`` of a run's test predictions (re-read when predictions.csv changes)."""
    return evaluate_run(folder)


@st.cache_resource
def computed() -> dict:
    """Scores computed from audio on this server, shared by every session: key -> ``core.evaluation.metrics.summary``."""
    return {}


def once(key: tuple, label: str, compute: Callable[[Callable], dict]) -> dict:
    """``compute(progress)`` with a progress bar the first time ``key`` is asked for, then its stored result.

    Not ``st.cache_data``: a progress bar updated inside a cached function breaks the cache's replay. The work
    goes through the gate every session shares for heavy analyses.
    """
    store = computed()
    if key not in store:
        bar = st.progress(0.0, text=label)

        def progress(items):
            items = list(items)
            for i, item in enumerate(items):
                bar.progress(i / len(items), text=f"{label}: {i + 1}/{len(items)}")
                yield item
        try:
            queued = lambda place: bar.progress(0.0, text=f"Queued: number {place} in line…")  # noqa: E731
            with gate(policy().workers).slot(on_wait=queued, priority=EXTRA):
                store[key] = compute(progress)
        finally:
            bar.empty()
    return store[key]


def in_workers(model: str, chunk: int = 4) -> Callable[[list[str]], Iterable[tuple]]:
    """Score files ``chunk`` at a time in the analysis workers every session shares (the caller holds a gate
    slot already): a file a decoder crashes on costs this scoring, never the server."""
    def outcomes(paths: list[str]) -> Iterable[tuple]:
        for start in range(0, len(paths), chunk):
            yield from analysis_pool(policy().workers).call(file_probas, paths[start:start + chunk], model)
    return outcomes


@st.cache_resource(show_spinner="Loading model…")
def estimator(name_or_folder: str):
    return load_estimator(name_or_folder)


def key_axes(figure, names: list[str], y: bool = True):
    """Every key named on the key axes (plotly would otherwise skip every other label)."""
    figure.update_xaxes(tickmode="array", tickvals=names)
    return figure.update_yaxes(tickmode="array", tickvals=names) if y else figure


def charts(result: dict, norm: str, names: list[str], key: str) -> None:
    """Confusion, per-class recall and MIREX breakdown of one ``core.evaluation.metrics.summary``."""
    left, right = st.columns(2)
    matrix = result["confusion_normalised" if norm == "normalised" else "confusion"]
    left.plotly_chart(key_axes(px.imshow(matrix, x=names, y=names, labels={"x": "predicted", "y": "true"},
                                         title=f"Confusion ({norm})", height=640, aspect="auto"), names),
                      key=f"{key}_conf")
    right.plotly_chart(key_axes(px.bar(x=names, y=result["recall_per_class"], labels={"x": "class", "y": "recall"},
                                       title="Per-class recall", height=640), names, y=False),
                       key=f"{key}_recall")
    st.plotly_chart(px.bar(x=list(result["mirex_fractions"]), y=list(result["mirex_fractions"].values()),
                           labels={"x": "MIREX category", "y": "fraction"}, title="MIREX breakdown"),
                    key=f"{key}_mirex")


def panels(stack, title: str, wrap: int, **imshow):
    """(n, height, width) maps as small multiples titled "filter 1".."filter n", as tall as their rows."""
    rows = -(-len(stack) // wrap)
    panel_px = 1100 / wrap * stack.shape[1] / stack.shape[2]
    figure = px.imshow(stack, facet_col=0, facet_col_wrap=wrap, title=title, aspect="auto",
                       facet_row_spacing=0.25 / rows, height=int(90 + rows * panel_px * 1.15), **imshow)
    figure.for_each_annotation(lambda a: a.update(text=f"filter {int(a.text.split('=')[-1]) + 1}"))
    return figure.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)


def described(run: Run) -> dict:
    """A run's config as the table shows it: its data spec naming no server folder in public mode."""
    settings = run.config.to_dict() if run.config else {}
    if "data" in settings:
        settings["data"] = guard.shown_spec(str(settings["data"]))
    return settings


overview = pd.DataFrame([{"run": name, "state": states[name], **described(run)} for name, run in runs.items()])
st.subheader("All runs")
st.dataframe(overview, hide_index=True)
unfinished = [name for name in folders if name not in finished]
if unfinished:
    st.caption(f"Not finished (not compared): {', '.join(f'{n} ({states[n]})' for n in unfinished)}")
deleted, not_deleted = st.session_state.pop("ru_deleted", ([], []))
if deleted:
    st.success(f"Deleted {len(deleted)} run(s): {', '.join(deleted)}")
for message in not_deleted:
    st.error(f"Not deleted: {message}")
deletable = [name for name, folder in folders.items() if folder.parent == runs_dir()]  # not the shipped models
if deletable and guard.may_delete():
    with st.expander("Delete runs"):
        doomed = st.multiselect("Runs to delete", deletable, key="ru_del",
                                help="The shipped default and runs that are training cannot be deleted.")
        sure = st.checkbox(f"Yes, delete {len(doomed)} run(s) and all their files", key="ru_del_ok")
        st.button("🗑 Delete", key="ru_del_go", disabled=not (doomed and sure), on_click=delete_chosen)

chosen = st.multiselect("Compare runs", finished, key="ru_runs")
norm = st.radio("Confusion", ["counts", "normalised"], key="ru_norm", horizontal=True)
names = [Key.from_index(i).name for i in range(24)]
results = {name: scored(str(folders[name]), stamp(folders[name] / "predictions.csv")) for name in chosen}
if results:
    st.dataframe(pd.DataFrame([{"run": name, **headline(r), **r["mirex_fractions"]} for name, r in results.items()]),
                 hide_index=True)
    st.caption("'seed batch F1' is the seed notebook's batch formula on rounded probabilities: a prediction "
               "counts only where its probability is over 0.5, so an unsure model reads near 0 even when its "
               "accuracy is far above chance. 'macro F1' is the real score.")
base = st.radio("Template baselines on the same test clips", ["off", "on"], key="ru_base", horizontal=True)
if base == "on" and results:
    rows = []
    for name in results:
        version = stamp(folders[name] / "predictions.csv")
        rows.append({"run": name, "estimator": "CNN (windows)", "accuracy": results[name]["accuracy"],
                     "MIREX weighted": results[name]["mirex_weighted"]})
        try:
            for template in ("template:krumhansl", "template:temperley", "template:aarden"):
                r = once(("split", str(folders[name]), version, template), f"{template} on the test clips of {name}",
                         lambda progress: evaluate_on_run_split(folders[name], estimator(template), progress))
                rows.append({"run": name, "estimator": f"{template} (clips)", "accuracy": r["accuracy"],
                             "MIREX weighted": r["mirex_weighted"]})
        except FileNotFoundError as err:
            st.warning(f"Run {guard.plain(name)}: {err}")  # names no folder, and its command is markdown
    st.dataframe(pd.DataFrame(rows), hide_index=True)
for name, result in results.items():
    st.subheader(f"Run {name}")
    training_curves(runs[name].history(), key=f"ru_{name}")
    charts(result, norm, names, f"ru_{name}")

st.subheader("Score on your own songs")
st.caption("Any model or template on a labels CSV of your own recordings (columns `file,key`, keys like "
           "\"F# minor\", paths relative to the CSV), with the same charts as the test split. Each model and "
           "CSV is scored once; the scores are kept until the CSV changes.")
models = available_estimators()
fall_back("ru_model", models, models[0], "Model '{value}' is not available here; showing the default.")
left, right = st.columns([1, 2])
model = left.selectbox("Model", models, key="ru_model")
labels_text = right.text_input("Labels CSV", key="ru_labels", placeholder="/path/to/labels.csv")
# The guard first: in public mode a CSV outside the roots gets the Dataset page's one line, and every audio
# file the CSV names must lie inside the roots too.
labels_csv = guard.file(labels_text.strip(), "labels CSV") if labels_text.strip() else None
if labels_csv is not None:
    folder = folders.get(model)
    version = stamp(folder / "model.keras") if folder else 0.0
    key = ("labels", model, version, str(labels_csv), stamp(labels_csv), guard.within())
    if key in computed() or st.button("Score", key="ru_score", type="primary"):
        try:
            scores = once(key, f"{model} on {labels_csv.name}",
                          lambda progress: evaluate_labels(labels_csv, estimator(model), progress, within=guard.within(),
                                                           outcomes=in_workers(model)))
        except AnalysisCrashed as err:
            st.error(f"Cannot score {guard.shown(labels_csv)}: {err}")
        except (ValueError, OSError) as err:  # LabelsError and AudioError are ValueErrors
            message = str(err).replace(str(labels_csv), policy().shown(labels_csv))
            st.error(f"Cannot score {guard.shown(labels_csv)}: {guard.plain(message)}")
        else:
            low, high = scores["mirex_interval"]
            st.dataframe(pd.DataFrame([{"model": scores["model"], "files": scores["n"], **headline(scores),
                                        "MIREX 95% interval": f"{low:.3f}–{high:.3f}",
                                        **scores["mirex_fractions"]}]), hide_index=True)
            st.caption("The interval is a bootstrap over the files: with a few dozen files, one file moves the score "
                       "by several points, and two models whose intervals overlap widely may not differ.")
            charts(scores, norm, names, "ru_lab")
            st.dataframe(pd.DataFrame(scores["files"]).assign(file=lambda f: f["file"].map(policy().shown)),
                         hide_index=True)

if finished:
    st.subheader("First-layer filters")
    which = st.selectbox("Run", finished, key="ru_filters")
    cnn = estimator(str(folders[which]))
    kernels = first_layer_filters(cnn.model)
    st.plotly_chart(panels(kernels, f"{len(kernels)} filters of the first convolution", 8,
                           color_continuous_scale="RdBu_r"), key="ru_kernels")
    tracks = pd.read_csv(folders[which] / "predictions.csv", usecols=["track_id"])["track_id"].unique().tolist()
    fall_back("ru_track", tracks, tracks[0],
              "Track '{value}' is not in the test split of " + guard.plain(which) + "; showing the first.")
    track = st.selectbox("Activation maps for test track", tracks, key="ru_track", format_func=policy().shown)
    clip = test_clip(folders[which], track)
    if clip.is_file():
        x = cnn.features(load_audio(clip, sr=cnn.settings.sample_rate))[0]
        maps = first_layer_activations(cnn.model, x)
        st.plotly_chart(panels(maps, f"First-layer activations, {track} (low notes at the bottom)", 4,
                               origin="lower"), key="ru_maps")
    else:
        st.warning(f"Test clip {guard.plain(Path(track).name)} not found: {missing_clips_hint(folders[which])}.")

write_view({"ru_runs": chosen, "ru_norm": norm, "ru_base": base, "ru_filters": st.session_state.get("ru_filters", ""),
            "ru_track": st.session_state.get("ru_track", ""), "ru_model": model, "ru_labels": labels_text}, SCHEMA)
