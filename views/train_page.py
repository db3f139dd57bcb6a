"""Train: pick a model and its settings, train in the background, watch the epochs, stop or reuse a stored run."""
import streamlit as st

from core.evaluation.metrics import headline
from core.models.config import LOSSES, PRESETS, REPRESENTATIONS, RunConfig
from core.models.runs import WATCH_TIMEOUT_S, Run, get_run, keep_watching, request_stop
from core.service.urlstate import Param
from core.training.launch import LimitError, check_limits, start_in_background
from ui import guard
from ui.settings import policy
from ui.url import read_view, seed_widgets, write_view

DEFAULTS = {**RunConfig().to_dict(), **PRESETS["keynet"]}
SCHEMA = {
    "tr_preset": Param("choice", "keynet", options=list(PRESETS)),
    "tr_model": Param("choice", DEFAULTS["model"], options=["keynet", "seed"]),
    "tr_rep": Param("choice", DEFAULTS["representation"], options=list(REPRESENTATIONS)),
    "tr_loss": Param("choice", DEFAULTS["loss"], options=list(LOSSES)),
    "tr_opt": Param("choice", DEFAULTS["optimizer"], options=["adam", "sgd"]),
    "tr_lr": Param("float", DEFAULTS["lr"], 1e-6, 1.0),
    "tr_mom": Param("float", DEFAULTS["momentum"], 0.0, 0.99),
    "tr_epochs": Param("int", DEFAULTS["epochs"], 1, 500),
    "tr_batch": Param("int", DEFAULTS["batch_size"], 1, 512),
    "tr_aug": Param("choice", "on" if DEFAULTS["augment"] else "off", options=["on", "off"]),
    "tr_data": Param("str", DEFAULTS["data"]),
    "tr_seed": Param("int", DEFAULTS["split_seed"], 0, 2**31 - 1),
}
_FIELDS = {"tr_model": "model", "tr_rep": "representation", "tr_loss": "loss", "tr_opt": "optimizer", "tr_lr": "lr",
           "tr_mom": "momentum", "tr_batch": "batch_size"}


def apply_preset() -> None:
    """Reset every setting to the chosen preset's values (then change one at a time)."""
    chosen = PRESETS[st.session_state.tr_preset]
    for name, field in _FIELDS.items():
        st.session_state[name] = chosen[field]
    st.session_state.tr_aug = "on" if chosen["augment"] else "off"


def show_run(run: Run) -> None:
    """Status, epoch progress, metrics and the learning curves of one run."""
    epochs = run.status.get("epochs") or (run.config.epochs if run.config else 1)
    epoch = run.status.get("epoch", 0)
    st.progress(min(epoch / epochs, 1.0), text=f"run `{run.id}`: {run.state}, epoch {epoch}/{epochs}")
    if run.status.get("error"):
        st.error(f"Training failed: {run.status['error']}")
    scores = headline(run.metrics)  # the names the Runs page shows; the charts are there
    if scores:
        for column, (name, value) in zip(st.columns(len(scores)), scores.items()):
            column.metric(name, f"{value:.3f}")
        st.caption(f"On {run.metrics.get('n', '?')} test examples. 'seed batch F1' is the seed notebook's formula on "
                   "rounded probabilities (near 0 for an unsure model); 'macro F1' is the real score.")
    history = run.history()
    if not history.empty:
        loss_cols = [c for c in history.columns if c.endswith("loss")]
        acc_cols = [c for c in history.columns if c.endswith("accuracy")]
        left, right = st.columns(2)
        left.line_chart(history.set_index("epoch")[loss_cols], x_label="epoch", y_label="loss")
        right.line_chart(history.set_index("epoch")[acc_cols], x_label="epoch", y_label="accuracy")
    if not policy().public:  # a public page names no server paths
        st.caption(f"Folder: `{run.folder}`")


@st.fragment(run_every=2)
def watch(run_id: str) -> None:
    """Polls the run folder while a background process trains; when the run has ended, the whole page reruns
    once and shows it without this fragment, so the polling stops. Stop only where the guard allows it."""
    keep_watching(run_id)
    run = get_run(run_id)
    if run is None:
        st.info("Starting…")
        return
    if run.state not in ("running", "unknown"):
        st.rerun(scope="app")
    show_run(run)
    if run.state == "running" and guard.may_stop(run_id) and st.button("⏹ Stop", key="tr_stop"):
        request_stop(run_id)
        st.toast("Stop requested; the run stops after the current batch.")


st.title("🏋️ Train")
st.caption("Train a key CNN as a cached run: the same settings again show the stored run at once. "
           "The seed preset is the capstone's original setup (MSE loss, SGD lr 1e-4, momentum 0.8, batch 10).")
view = read_view(SCHEMA)
seed_widgets(view)

st.selectbox("Preset", list(PRESETS), key="tr_preset", on_change=apply_preset,
             help="Load a preset's settings, then change one setting at a time.")
a, b, c, d = st.columns(4)
a.selectbox("Model", ["keynet", "seed"], key="tr_model")
b.selectbox("Representation", list(REPRESENTATIONS), key="tr_rep",
            help="semitone: log-frequency grid (48 semitones from C2 x 64 frames of 0.19 s, about 12 s); stft162: the capstone's 162x162 image")
c.selectbox("Loss", list(LOSSES), key="tr_loss")
d.selectbox("Optimizer", ["adam", "sgd"], key="tr_opt")
a, b, c, d = st.columns(4)
a.number_input("Learning rate", 1e-6, 1.0, key="tr_lr", format="%.6f")
b.number_input("Momentum (SGD)", 0.0, 0.99, key="tr_mom")
c.number_input("Epochs", 1, 500, key="tr_epochs")
d.number_input("Batch size", 1, 512, key="tr_batch")
a, b, c = st.columns([1, 2, 1])
a.radio("Transposition augmentation", ["on", "off"], key="tr_aug", horizontal=True)
b.text_input("Data", key="tr_data", help="'corpus' (the bundled corpus), 'labels:/path/to/labels.csv' (your file,key labelled audio, "
                                  "analysed once into the feature store) or 'synthetic:N' (generated examples)")
c.number_input("Split seed", 0, 2**31 - 1, key="tr_seed")

values = {name: st.session_state[name] for name in SCHEMA}
write_view(values, SCHEMA)
try:
    config = RunConfig(model=values["tr_model"], representation=values["tr_rep"],
                       input_shape=REPRESENTATIONS[values["tr_rep"]], loss=values["tr_loss"],
                       optimizer=values["tr_opt"], lr=float(values["tr_lr"]), momentum=float(values["tr_mom"]),
                       epochs=int(values["tr_epochs"]), batch_size=int(values["tr_batch"]),
                       augment=values["tr_aug"] == "on", data=values["tr_data"], split_seed=int(values["tr_seed"]))
except ValueError as err:
    st.error(f"These settings cannot be trained: {err}")
    st.stop()

run = get_run(config)
if run is not None and run.state == "finished":
    st.success(f"Served from cache: run `{run.id}` with these settings is already trained.")
    show_run(run)
elif run is not None and run.state == "running":
    watch(run.id)
elif not guard.may_train():
    st.info("Training from the page is off on this public server; runs trained on the server "
            "(`python -m core train`) appear here and on the Predict page.")
else:
    if run is not None:
        st.info(f"Run `{run.id}` is {run.state}; starting it again resumes from its last epoch.")
    keep = st.checkbox("Keep running after I leave this page", key="tr_keep",
                       help=f"Otherwise the run stops (resumable) about {WATCH_TIMEOUT_S:.0f} s after "
                            "nobody watches it any more.")
    if st.button("▶ Start training", type="primary", key="tr_start"):
        rules = policy()
        try:
            check_limits(config, rules.max_runs, rules.max_epochs, rules.max_examples)
            start_in_background(config, watched=not keep)  # checks the data spec first
        except LimitError as err:
            st.warning(f"Not started: {err}.", icon="⏳")
            st.stop()
        except ValueError as err:  # a bad data spec; LabelsError (a labels CSV that is none) too
            st.error(f"Not started: {guard.message(err)}")
            st.stop()
        guard.started(config.id)
        watch(config.id)
