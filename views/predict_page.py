"""Predict: upload a song, see its key, key over time, and the baselines' answers beside the model's."""
import json

import altair as alt
import pandas as pd
import streamlit as st

from core.analysis_pool import AnalysisCrashed
from core.audio import AudioError
from core.predict import FORMATS, HOP_S, WINDOW_S, csv_rows
from core.urlstate import Param
from core.workload import EXTRA, KEY
from ui.guard import plain
from ui.settings import analysis_pool, gate, policy, show_error
from ui.url import read_view, seed_widgets, write_view

SCHEMA = {
    "pr_model": Param("str", "default"),
    "pr_window": Param("float", WINDOW_S, 5.0, 60.0),
}
LONG_S = 180.0  # baselines are off by default for longer files (each is another pass over the song)
PLAYER_MAX_MB = 50  # larger uploads get no player: it would keep a second copy on the server for the session


# Cached functions take and make no Streamlit elements (a cache hit replays none of them): the spinner is
# Streamlit's own, shown only when the song is analysed (a visitor queued at the gate waits in it too).
@st.cache_data(show_spinner="Analysing the song…", max_entries=64, ttl=3600 if policy().public else None)
def predict(data: bytes, filename: str, model: str, window_s: float, priority: int = KEY) -> dict:
    """Prediction dict, cached per (file content, name, model, window, priority); computed in a slot of
    the gate all sessions share, where a key (``KEY``) goes before baselines (``EXTRA``), by a worker
    process of the shared pool (a crash there costs this call only: ``AnalysisCrashed``)."""
    workers = policy().workers
    with gate(workers).slot(priority=priority):
        return analysis_pool(workers).predict(data, filename, model, window_s, min(HOP_S, window_s))


def model_options(wanted: str) -> list[str]:
    from core.estimators import available_estimators
    options = list(available_estimators())
    if wanted not in options:
        st.warning(f"Model '{plain(wanted)}' from the link is not available; using the shipped default.", icon="⚠️")
        st.session_state["pr_model"] = options[0] if "default" not in options else "default"
    return options


def show(result: dict) -> None:
    cols = st.columns(5)
    cols[0].metric("Key", result["key"])
    cols[1].metric("MSD key / mode", f"{result['msd_key']} / {result['msd_mode']}")
    cols[2].metric("Camelot", result["camelot"])
    cols[3].metric("Confidence", f"{result['confidence']:.0%}")
    cols[4].metric("Relative key", result["relative_key"])
    st.markdown("**Top three:** " + " · ".join(f"{t['key']} ({t['probability']:.0%})" for t in result["top3"]))
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
options = model_options(view["pr_model"])
model = st.selectbox("Model", options, key="pr_model")
window = st.slider("Window (s)", 5.0, 60.0, step=5.0, key="pr_window")
write_view({"pr_model": model, "pr_window": window}, SCHEMA)

# No ``type=``: other extensions reach core.predict, which names the file and the formats it accepts.
upload = st.file_uploader(f"Audio file ({', '.join(FORMATS)})")
if upload is None:
    st.caption("Upload a song to see its key.")
    st.stop()
data = upload.getvalue()
try:
    result = predict(data, upload.name, model, window)
except AudioError as err:
    st.error(str(err))
    st.stop()
except AnalysisCrashed as err:
    st.error(f"{upload.name}: {err}")
    st.stop()
except Exception as err:  # noqa: BLE001 - a model that cannot load or run is one message, the app stays up
    show_error(f"Model {model!r} could not predict {upload.name}.", err)
    st.stop()
if len(data) <= PLAYER_MAX_MB * 1e6:
    st.audio(data)
else:
    st.caption(f"No player for files over {PLAYER_MAX_MB} MB: the server would keep a second copy of the file.")
show(result)

baselines = [name for name in options if name.startswith("template:") and name != model]
if baselines and st.toggle("Compare with the template baselines", value=result["duration_s"] <= LONG_S,
                           help=f"Off by default for files over {LONG_S / 60:.0f} min: each baseline reads the song again."):
    st.subheader("Baselines")
    rows = []
    for name in baselines:
        try:
            other = predict(data, upload.name, name, window, priority=EXTRA)
        except Exception as err:  # noqa: BLE001 - a failing baseline is one line; the rest of the page stays
            st.warning(f"Baseline {name} could not predict {upload.name}: {err}")
            continue
        rows.append({"model": name, "key": other["key"], "camelot": other["camelot"],
                     "confidence": other["confidence"]})
    st.dataframe(pd.DataFrame([{"model": model, "key": result["key"], "camelot": result["camelot"],
                                "confidence": result["confidence"]}, *rows]), hide_index=True)

stem = upload.name.rsplit(".", 1)[0]
left, right = st.columns(2)
left.download_button("Download JSON", json.dumps(result, indent=2), f"{stem}-key.json", "application/json",
                     on_click="ignore")
right.download_button("Download CSV", pd.DataFrame(csv_rows([result])).to_csv(index=False),
                      f"{stem}-key.csv", "text/csv", on_click="ignore")
