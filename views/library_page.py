"""Library: a music folder's keys (scanned in the background, resumable), a Camelot wheel, what mixes with what."""
import os
import threading
from pathlib import Path

import altair as alt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.keys import ACCIDENTALS, NOTATIONS, Key, circle_of_fifths_order
from core.library import db
from core.library.mix import LOW_CONFIDENCE, compatible_tracks, harmonic_path, m3u, table, wheel_counts
from core.service.access import OutsideRoots, Policy
from core.service.downloads import csv_bytes
from core.service.urlstate import Param
from ui import guard
from ui.settings import policy
from ui.url import read_view, seed_widgets, write_view

CODES = [k.camelot for k in circle_of_fifths_order()]
PERCENT = st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent")
SCHEMA = {
    "li_db": Param("str", ""),
    "li_src": Param("str", ""),
    "li_note": Param("choice", "camelot", options=NOTATIONS),
    "li_spell": Param("choice", "preferred", options=ACCIDENTALS),
    "li_q": Param("str", ""),
    "li_key": Param("choice", "", options=["", *CODES]),
    "li_boost": Param("choice", False, options=[False, True]),
}


@st.cache_resource
def scans() -> dict:
    """Scans running on this server, by (database, folder): shared by all sessions, so a reload finds its scan."""
    return {}


def allowed(rules: Policy, path: Path) -> bool:
    """Whether ``path`` (a symlink resolved) is one this server may open: in public mode, only inside the roots."""
    try:
        rules.check(path)
    except OutsideRoots:
        return False
    return True


def start_scan(db_path: str, folder: str, rules: Policy) -> dict:
    """The scan of ``folder`` into ``db_path``, started in a background thread unless one is running; files
    that are links out of the roots are left out in public mode."""
    from core.audio.walk import MAX_ENTRIES, MAX_SECONDS
    from core.library.scan import scan

    job = scans().get((db_path, folder))
    if job and job["thread"].is_alive():
        return job
    job = {"done": 0, "total": 0, "summary": None, "error": None}

    def work() -> None:
        try:
            job["summary"] = scan(folder, db_path, progress=lambda done, total: job.update(done=done, total=total),
                                  max_entries=MAX_ENTRIES, max_seconds=MAX_SECONDS,
                                  keep=lambda path: allowed(rules, path))
        except Exception as err:  # noqa: BLE001 - shown on the page as one line
            job["error"] = err

    job["thread"] = threading.Thread(target=work, name="library-scan", daemon=True)
    scans()[(db_path, folder)] = job
    job["thread"].start()
    return job


@st.fragment(run_every=1.0)
def scan_progress(job: dict) -> None:
    """The running scan's bar; when it ends, the whole page runs again to show the new rows (and goes idle)."""
    if not job["thread"].is_alive():
        st.rerun()
    total = job["total"]
    st.progress(job["done"] / total if total else 0.0,
                text=f"Analysed {job['done']} of {total} files…" if total else "Looking through the folder…")


def wheel(counts: dict[str, int], notation: str, spelling: str, chosen: str) -> go.Figure:
    """The Camelot wheel (12 at the top, clockwise): majors (B) outside, minors (A) inside, each segment shaded by
    its number of tracks."""
    fig = go.Figure()
    for letter, base in (("B", 1.0), ("A", 0.0)):
        codes = [f"{n}{letter}" for n in range(1, 13)]
        labels = [Key.from_camelot(c).notation(notation, spelling) for c in codes]
        fig.add_trace(go.Barpolar(
            r=[1.0] * 12, base=[base] * 12, theta=[(n % 12) * 30 for n in range(1, 13)], width=[29] * 12,
            name="majors" if letter == "B" else "minors",
            marker=dict(color=[counts.get(c, 0) for c in codes], colorscale="Blues", cmin=0,
                        cmax=max(counts.values(), default=1),
                        line=dict(color=["crimson" if c == chosen else "white" for c in codes],
                                  width=[4 if c == chosen else 1 for c in codes])),
            hovertext=[f"{label} ({c}): {counts.get(c, 0)} tracks" for c, label in zip(codes, labels)],
            hoverinfo="text"))
        fig.add_trace(go.Scatterpolar(
            r=[base + 0.5] * 12, theta=[(n % 12) * 30 for n in range(1, 13)], mode="text",
            text=[f"{label}<br>{counts.get(c, 0)}" for c, label in zip(codes, labels)], hoverinfo="skip",
            showlegend=False))
    fig.update_layout(showlegend=False, height=420, margin=dict(l=20, r=20, t=20, b=20),
                      polar=dict(radialaxis=dict(visible=False, range=[0, 2]),
                                 angularaxis=dict(visible=False, direction="clockwise", rotation=90)))
    return fig


st.title("🎧 Library")
st.caption("A music folder's keys for harmonic mixing: scan it once (only new or changed files are read again), "
           "browse it by key on the Camelot wheel, see what mixes with a track, export a playlist.")
rules = policy()
view = read_view(SCHEMA)
seed_widgets(view)

left, right = st.columns(2)
if rules.public:  # visitors share the server's library; no server path is shown or accepted for it
    db_path = str(db.default_db())
else:
    typed = left.text_input("Database", key="li_db", placeholder=f"default: {db.default_db()}",
                            help="A library database made by a scan (SQLite)").strip()
    checked_db = guard.path(typed) if typed else db.default_db()
    if checked_db is None:
        st.stop()
    db_path = str(checked_db)
folder = right.text_input("Music folder to scan", key="li_src",
                          help="Scanned recursively: wav, mp3, flac, ogg, aiff" +
                               (" (inside this server's shared data folders)" if rules.public else "")).strip()

job = None
if folder:
    checked = guard.path(folder)  # public mode's roots; a NUL byte or unknown ~user: one line
    resolved = str(checked) if checked is not None else ""
    if resolved and st.button("Scan the folder", type="primary",
                              help="Analyses new and changed files only; a stopped scan resumes here"):
        job = start_scan(db_path, resolved, rules)
    job = job or (scans().get((db_path, resolved)) if resolved else None)
if job and job["thread"].is_alive():
    scan_progress(job)
elif job and job["error"]:  # the folder as "the folder": no server path, no link text rendered as markdown
    st.error(f"The scan stopped: {str(job['error']).replace(resolved, 'the folder')}")
elif job and job["summary"]:
    st.success(job["summary"].line())

if not Path(db_path).is_file():
    st.info("No library yet: name a music folder above and scan it.")
    st.stop()
try:
    con = db.connect(db_path)
    try:
        rows = db.rows(con)
    finally:
        con.close()
except Exception as err:  # noqa: BLE001 - not a library database: one line
    guard.show_error("This file is not a library database.", err)
    st.stop()
if not rows:
    st.info("The library is empty: scan a music folder above.")
    st.stop()
root = os.path.commonpath([str(Path(r["path"]).parent) for r in rows])
if not rules.public:
    st.caption(f"Tracks under {root}")

a, b, c, d = st.columns([2, 2, 3, 1])
notation = a.radio("Notation", NOTATIONS, key="li_note", horizontal=True)
spelling = b.radio("Spelling", ACCIDENTALS, key="li_spell", horizontal=True)
query = c.text_input("Filter", key="li_q", placeholder="part of a file name, a key or a Camelot code").strip()
boost = d.toggle("Energy boost", key="li_boost", help="Also the same mode one semitone up or down")

frame = table(rows, notation, spelling, root=root)
if query:
    text = frame[["track", "key", "camelot", "open_key"]].astype(str).agg(" ".join, axis=1)
    frame = frame[text.str.contains(query, case=False, regex=False)]
frame.insert(0, "⚠", frame.pop("uncertain").map({True: "⚠", False: ""}))
st.caption(f"{len(frame)} of {len(rows)} tracks; ⚠ marks a key named with confidence under {LOW_CONFIDENCE:.0%}.")
picked = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="single-row", key="li_table",
                      column_config={"confidence": PERCENT})
chosen_rows = picked.selection.rows if picked else []
track = frame.iloc[chosen_rows[0]]["track"] if chosen_rows else None

left, right = st.columns([3, 2])
counts = wheel_counts(rows)
segment = right.selectbox("Key segment", ["", *CODES], key="li_key",
                          format_func=lambda c: f"{c} · {Key.from_camelot(c).notation(notation, spelling)} "
                                                f"({counts.get(c, 0)})" if c else "—")
left.plotly_chart(wheel(counts, notation, spelling, segment), config={"displayModeBar": False})
write_view({"li_db": "" if rules.public else st.session_state.get("li_db", ""), "li_src": folder,
            "li_note": notation, "li_spell": spelling, "li_q": query, "li_key": segment, "li_boost": boost}, SCHEMA)

by_track = {str(Path(r["path"]).relative_to(root)): r for r in rows}
if track and by_track[track].get("class_index") is not None:
    mine = by_track[track]
    key, exclude = Key.from_index(mine["class_index"]), mine["path"]
    right.markdown(f"**{track}**: {key.notation(notation, spelling)}"
                   + (f" · key change {mine['key_change']}" if mine["key_change"] else ""))
    if len(mine["timeline"]) > 1:
        order = [k.name for k in circle_of_fifths_order()]
        right.altair_chart(alt.Chart(pd.DataFrame(mine["timeline"]), title="Key over time", height=160)
                           .mark_circle(size=80).encode(x=alt.X("start_s:Q", title="window start (s)"),
                                                        y=alt.Y("key:N", sort=order), color="confidence:Q"),
                           width="stretch")
elif segment:
    key, exclude = Key.from_camelot(segment), None
else:
    key = None
if key is not None:
    st.subheader(f"Mixes with {key.notation(notation, spelling)}")
    matches = compatible_tracks(rows, key, boost, exclude=exclude)
    mixes = table(matches, notation, spelling, root=root)
    mixes.insert(1, "relation", [m["relation"] for m in matches])
    st.dataframe(mixes[["track", "relation", "key", "camelot", "open_key", "confidence"]], hide_index=True,
                 key="li_mixes", column_config={"confidence": PERCENT})
    playlist_rows = harmonic_path(([by_track[track]] if track else []) + matches)
else:
    playlist_rows = harmonic_path([by_track[t] for t in frame["track"]])

shown_rows = [{**r, "path": str(Path(r["path"]).relative_to(root)) if rules.public else r["path"]}
              for r in playlist_rows]
left, right = st.columns(2)
left.download_button("Download CSV", csv_bytes(frame, index=False), "library.csv", "text/csv", on_click="ignore")
right.download_button("Download M3U", m3u(shown_rows, notation), "library.m3u", "audio/x-mpegurl", on_click="ignore",
                      help="The tracks shown (or those that mix with the chosen one) in a harmonic order")

if not rules.public:
    with st.expander("Write the keys into the files' tags"):
        from core.library import tags

        backup = st.checkbox("Keep each original as .bak")
        if st.button("Write key tags"):
            with st.spinner("Writing tags…"):
                con = db.connect(db_path)
                try:
                    done = tags.apply(con, tags.plan(rows, notation, spelling), backup=backup)
                finally:
                    con.close()
            written = [a for a in done if a.action == "written"]
            st.success(f"{len(written)} written, {len(done) - len(written)} skipped")
            st.dataframe([{"file": a.path, "action": a.action, "key": a.value, "why": a.why} for a in done],
                         hide_index=True)
