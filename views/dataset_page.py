"""Dataset: select MSD tracks by key and mode confidence, as the capstone did, and see what is left."""
import altair as alt
import streamlit as st

from core import paths
from core.audio.index import LabelsError
from core.keys import MODE_NAMES, SHARP_NAMES
from core.msd.catalog import DEFAULT_MIN_CONFIDENCE, Selection, Summary, summarize, year_bounds
from core.msd.hdf5 import SEED_CSV_COLUMNS, MSDError, seed_selection
from core.service.access import BadPath, OutsideRoots
from core.service.downloads import csv_bytes
from core.service.urlstate import Param
from ui import guard
from ui.data import catalog_stamp, load_catalog, load_catalog_with_audio
from ui.guard import message
from ui.url import read_view, seed_widgets, write_view

PAGE_SIZE = 100
SCHEMA = {
    "ds_src": Param("str", ""),
    "ds_kc": Param("float", DEFAULT_MIN_CONFIDENCE, 0.0, 1.0),
    "ds_mc": Param("float", DEFAULT_MIN_CONFIDENCE, 0.0, 1.0),
    "ds_keys": Param("choices", [], options=list(range(12))),
    "ds_modes": Param("choices", [], options=[1, 0]),
    "ds_years": Param("range", None, 0, 3000),
    "ds_q": Param("str", ""),
    "ds_audio": Param("str", ""),
    "ds_wa": Param("choice", False, options=[False, True]),
    "ds_page": Param("int", 1, 1, None),
}



def catalog_of(source: str, audio: str):
    """The catalog, with audio columns when an audio folder or labels CSV applies."""
    catalog = load_catalog(source or paths.DEFAULT_CATALOG)
    return load_catalog_with_audio(source or paths.DEFAULT_CATALOG, audio) if audio else catalog


# Per selection and catalog version (``stamp``): moving a slider back to a value costs nothing.
@st.cache_data(max_entries=64, ttl=guard.cache_ttl(), show_spinner=False)
def selection_summary(source: str, audio: str, stamp: tuple, selection: Selection) -> Summary:
    return summarize(catalog_of(source, audio), selection)


@st.cache_data(max_entries=8, ttl=guard.cache_ttl(), show_spinner=False)
def selection_csv(source: str, audio: str, stamp: tuple, selection: Selection) -> bytes:
    rows = selection_summary(source, audio, stamp, selection).rows
    return csv_bytes(seed_selection(catalog_of(source, audio).iloc[rows]))


st.title("🗂️ Dataset")
st.caption("Million Song Dataset metadata: the Echo Nest's key and mode estimates with their confidences. "
           "The capstone kept tracks with both confidences above 0.75.")
view = read_view(SCHEMA)
seed_widgets({k: v for k, v in view.items() if k != "ds_years"})

source = st.text_input(
    "Catalog", key="ds_src", placeholder=f"bundled corpus ({paths.DEFAULT_CATALOG.relative_to(paths.ROOT)})",
    help="An MSD summary file (msd_summary_file.h5), a subset folder (A/B/C/TR*.h5), one TR*.h5 file, "
         "or the seed's selection CSV. Leave empty for the bundled corpus.",
).strip()
audio_input = st.text_input(
    "Audio", key="ds_audio",
    placeholder="the bundled corpus's clips" if not source else "none: give a folder or labels CSV",
    help="Where the tracks' audio is: a folder in the seed's layout (<key>-<mode>/<TRACK_ID>.ogg), a flat "
         "folder of <TRACK_ID>.<ext>, or a file,key labels CSV. Empty: the bundled clips for the bundled corpus.",
).strip()
audio = audio_input or ("" if source else str(paths.DEFAULT_AUDIO_DIR))
try:
    catalog = load_catalog(source or paths.DEFAULT_CATALOG)
except (MSDError, OutsideRoots, BadPath) as err:
    if not source:
        st.info("The bundled corpus is not built yet: run `python -m core corpus` to create it.")
    else:
        st.error(f"Cannot read this catalog. {message(err)}")
    st.stop()
try:
    catalog = catalog_of(source, audio)
except (LabelsError, OSError) as err:
    st.warning(f"No audio attached: {message(err)}", icon="⚠️")
    audio = ""


STRICT = "strictly, as the seed did: at 0.75 a confidence of exactly 0.75 is left out"


@st.fragment
def filtered(catalog, source: str, audio: str) -> None:
    """Filters, counts, charts and table: a slider move reruns this part only, not the whole page."""
    lo_year, hi_year = year_bounds(catalog)
    years = view["ds_years"] or (lo_year, hi_year)
    if "ds_years" not in st.session_state:
        st.session_state["ds_years"] = (max(lo_year, min(years[0], hi_year)), min(hi_year, max(years[1], lo_year)))

    left, right = st.columns(2)
    left.slider("Key confidence above", 0.0, 1.0, step=0.01, key="ds_kc",
                help=f"Keep the tracks whose key confidence is above this value ({STRICT}).")
    right.slider("Mode confidence above", 0.0, 1.0, step=0.01, key="ds_mc",
                 help=f"Keep the tracks whose mode confidence is above this value ({STRICT}).")
    c1, c2, c3, c4, c5 = st.columns([3, 2, 3, 3, 3])
    c1.multiselect("Keys", list(range(12)), format_func=lambda k: SHARP_NAMES[k], key="ds_keys", placeholder="all keys")
    c2.multiselect("Modes", [1, 0], format_func=MODE_NAMES.get, key="ds_modes", placeholder="both")
    if lo_year < hi_year:
        c3.slider("Year (unknown years always kept)", lo_year, hi_year, key="ds_years")
    c4.text_input("Artist or title contains", key="ds_q")
    c5.toggle("Only with audio", key="ds_wa", disabled=not audio, help="Keep the tracks whose audio was found.")

    state = st.session_state
    selection = Selection(state.ds_kc, state.ds_mc, state.ds_keys, state.ds_modes,
                          tuple(state.ds_years) if lo_year < hi_year else None, state.ds_q, bool(audio and state.ds_wa))
    stamp = catalog_stamp(source or paths.DEFAULT_CATALOG, audio)
    summary = selection_summary(source, audio, stamp, selection)
    selected = len(summary.rows)

    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Tracks in catalog", f"{len(catalog):,}")
    m2.metric("Selected", f"{selected:,}")
    m3.metric("Share", f"{selected / max(len(catalog), 1):.1%}")
    m4.metric("Selected with audio", "—" if summary.with_audio is None else f"{summary.with_audio:,}")
    if not selected:
        st.info("No tracks match this selection: lower a confidence bound or clear a filter.")
    else:
        counts = summary.counts
        st.subheader("Tracks per key and mode")
        st.altair_chart(
            alt.Chart(counts).mark_bar().encode(
                x=alt.X("key_name:N", sort=list(counts["key_name"]), title="key-mode class (index 2·key+mode)"),
                y=alt.Y("count:Q", title="tracks"),
                color=alt.Color("mode_name:N", title="mode"),
                tooltip=["key_name", "class_index", "count"],
            ),
            width="stretch",
        )
        st.subheader("Confidence of the selection")
        st.altair_chart(
            alt.Chart(summary.histogram).mark_bar().encode(
                x=alt.X("bin_start:Q", bin=alt.Bin(binned=True, step=0.05), title="confidence"),
                x2="bin_end:Q",
                y=alt.Y("count:Q", title="tracks"),
                column=alt.Column("field:N", title=None),
                tooltip=["field", "bin_start", "count"],
            ),
            width="content",
        )

        st.subheader("Matching tracks")
        pages = max(1, -(-selected // PAGE_SIZE))
        state.ds_page = min(state.ds_page, pages)
        page = st.number_input(f"Page (of {pages:,}, {PAGE_SIZE} rows each)", 1, pages, key="ds_page")
        shown = catalog.iloc[summary.rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
        table = shown.drop(columns=["class_index", "audio_path"], errors="ignore")
        lead = SEED_CSV_COLUMNS[:4]  # key, key_confidence, mode, mode_confidence first, as the seed's CSV
        st.dataframe(table[lead + [c for c in table.columns if c not in lead]], hide_index=True, width="stretch")
        st.download_button(
            "Download the selection (CSV, the seed's columns)",
            selection_csv(source, audio, stamp, selection),
            file_name="selection.csv", mime="text/csv",
        )

    write_view({name: state[name] for name in SCHEMA if name in state} | {
        "ds_years": None if tuple(state.get("ds_years", (lo_year, hi_year))) == (lo_year, hi_year) else tuple(state.ds_years),
    }, SCHEMA)


filtered(catalog, source, audio)
