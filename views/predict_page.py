"""Predict: upload songs, see each one's key (or its key change), compatible keys, key over time, and on request
the template baselines' answers beside the model's."""
import json

import altair as alt
import pandas as pd
import streamlit as st

from core.audio.decode import FORMATS, AudioError
from core.estimate.analysis_pool import AnalysisCrashed
from core.estimate.song import HOP_S, WINDOW_S, csv_rows, describe_change
from core.keys import ACCIDENTALS, Key
from core.service.downloads import csv_bytes
from core.service.urlstate import Param
from core.service.workload import EXTRA, KEY
from ui import guard
from ui.guard import plain
from ui.settings import analysis_pool, gate, policy
from ui.url import fall_back, read_view, seed_widgets, write_view

SCHEMA = {
    "pr_model": Param("str", "default"),
    "pr_window": Param("float", WINDOW_S, 5.0, 60.0),
    "pr_spell": Param("choice", "preferred", options=ACCIDENTALS),
}
PLAYER_MAX_MB = 50  # larger uploads get no player: it would keep a second copy on the server for the session


# Cached functions take and make no Streamlit elements (a cache hit replays none of them): the spinner is
# Streamlit's own, shown only when the song is analysed (a visitor queued at the gate waits in it too).
@st.cache_data(show_spinner="Analysing the song…", max_entries=64, ttl=guard.cache_ttl())
def predict(data: bytes, filename: str, model: str, window_s: float, priority: int = KEY) -> dict:
    """Prediction dict, cached per (file content, name, model, window, priority); computed in a slot of
    the gate all sessions share, where a key (``KEY``) goes before baselines (``EXTRA``), by a worker
    process of the shared pool (a crash there costs this call only: ``AnalysisCrashed``)."""
    workers = policy().workers
    with gate(workers).slot(priority=priority):
        return analysis_pool(workers).predict(data, filename, model, window_s, min(HOP_S, window_s))


def model_options() -> list[str]:
    """The estimators here; a model the link names that is not among them falls back to the default."""
    from core.estimate.estimators import available_estimators
    options = list(available_estimators())
    fall_back("pr_model", options, "default" if "default" in options else options[0],
              "Model '{value}' from the link is not available; using the shipped default.")
    return options


def headline(result: dict, spelling: str) -> str:
    """The key in words, or the key change where the song has one."""
    change = result["key_change"]
    if change:
        return describe_change(Key.parse(change["from"]), Key.parse(change["to"]), change["at_s"], spelling)
    return Key.parse(result["key"]).spelled(spelling)


def show(result: dict, spelling: str) -> None:
    cols = st.columns(5)
    cols[0].metric("Key", headline(result, spelling))
    cols[1].metric("Camelot", result["camelot"])
    cols[2].metric("Open Key", result["open_key"])
    cols[3].metric("Confidence", f"{result['confidence']:.0%}",
                   help="The probability of the song's single most likely key" +
                        (" (the song changes key: see Key over time)" if result["key_change"] else ""))
    cols[4].metric("Tuning", f"{result['tuning_cents']:+.0f} cents", help="Deviation from A = 440 Hz")
    st.markdown("**Mixes with:** " + " · ".join(
        f"{Key.parse(c['key']).spelled(spelling)} ({c['camelot']} / {c['open_key']}, {c['relation']})"
        for c in result["compatible"]))
    st.markdown("**Top three:** " + " · ".join(f"{Key.parse(t['key']).spelled(spelling)} ({t['probability']:.0%})"
                                              for t in result["top3"]))
    if result["note"]:
        st.info(result["note"])
    from core.keys import circle_of_fifths_order
    order = [k.name for k in circle_of_fifths_order()]
    probs = pd.DataFrame({"key": order, "probability": [result["probabilities"][k] for k in order]})
    st.altair_chart(alt.Chart(probs, title="24 keys, circle-of-fifths order").mark_bar().encode(
        x=alt.X("key:N", sort=order), y="probability:Q"), width="stretch")
    timeline = pd.DataFrame(result["timeline"])
    if len(timeline) > 1:
        st.altair_chart(alt.Chart(timeline, title="Key over time").mark_circle(size=90).encode(
            x=alt.X("start_s:Q", title="window start (s)"), y=alt.Y("key:N", sort=order),
            color="confidence:Q", tooltip=["start_s", "end_s", "key", "confidence"]), width="stretch")


st.title("🔮 Predict a song")
view = read_view(SCHEMA)
seed_widgets(view)
options = model_options()
left, middle, right = st.columns([2, 2, 1])
model = left.selectbox("Model", options, key="pr_model")
window = middle.slider("Window (s)", 5.0, 60.0, step=1.0, format="%.0f s", key="pr_window")
spelling = right.radio("Spelling", ACCIDENTALS, key="pr_spell", horizontal=True,
                       help="Tonics as musicians usually spell them, or sharps only, or flats only")
write_view({"pr_model": model, "pr_window": window, "pr_spell": spelling}, SCHEMA)

# No ``type=``: other extensions reach core.estimate.song, which names the file and the formats it accepts.
uploads = st.file_uploader(f"Audio files ({', '.join(FORMATS)})", accept_multiple_files=True)
if not uploads:
    st.caption("Upload one song or several to see their keys.")
    st.stop()
results = {}
for upload in uploads:
    try:
        results[upload.name] = predict(upload.getvalue(), upload.name, model, window)
    except AudioError as err:
        st.error(str(err))
    except AnalysisCrashed as err:
        st.error(f"{plain(upload.name)}: {err}")
    except Exception as err:  # noqa: BLE001 - a model that cannot load or run is one message, the app stays up
        guard.show_error(f"Model {plain(model)!r} could not predict {plain(upload.name)}.", err)
if not results:
    st.stop()
if len(results) > 1:
    st.dataframe(pd.DataFrame([{"file": name, "key": headline(r, spelling), "camelot": r["camelot"],
                                "open key": r["open_key"], "confidence": f"{r['confidence']:.0%}"}
                               for name, r in results.items()]), hide_index=True)
    chosen = st.selectbox("Show", list(results))
else:
    chosen = next(iter(results))
result = results[chosen]
data = next(u for u in uploads if u.name == chosen).getvalue()
if len(data) <= PLAYER_MAX_MB * 1e6:
    st.audio(data)
else:
    st.caption(f"No player for files over {PLAYER_MAX_MB} MB: the server would keep a second copy of the file.")
show(result, spelling)

stem = chosen.rsplit(".", 1)[0] if len(results) == 1 else "songs"
left, right = st.columns(2)
left.download_button("Download JSON", json.dumps(result if len(results) == 1 else list(results.values()), indent=2),
                     f"{stem}-key.json", "application/json", on_click="ignore")
right.download_button("Download CSV", csv_bytes(pd.DataFrame(csv_rows(list(results.values()))), index=False),
                      f"{stem}-key.csv", "text/csv", on_click="ignore")

# Opt-in, and after the key and the downloads: each baseline reads the song again.
baselines = [name for name in options if name.startswith("template:") and name != model]
if baselines and st.toggle("Compare with the template baselines", value=False,
                           help="Off by default: each baseline reads the song again, after the key above."):
    st.subheader("Baselines")
    rows = []
    for name in baselines:
        try:
            other = predict(data, chosen, name, window, priority=EXTRA)
        except Exception as err:  # noqa: BLE001 - a failing baseline is one line; the rest of the page stays
            st.warning(f"Baseline {name} could not predict {plain(chosen)}: {plain(err)}")
            continue
        rows.append({"model": name, "key": Key.parse(other["key"]).spelled(spelling), "camelot": other["camelot"],
                     "confidence": f"{other['confidence']:.0%}"})
    st.dataframe(pd.DataFrame([{"model": model, "key": Key.parse(result["key"]).spelled(spelling),
                                "camelot": result["camelot"], "confidence": f"{result['confidence']:.0%}"}, *rows]),
                 hide_index=True)
