"""Train: pick a model and its settings, train in the background, watch the epochs, stop or reuse a stored run."""
import streamlit as st

from core.evaluation.metrics import headline
from core.models.builders import BUILDERS
from core.models.config import LOSSES, OPTIMIZERS, PRESETS, RunConfig
from core.models.representations import REPRESENTATIONS
from core.models.runs import WATCH_TIMEOUT_S, Run, get_run, keep_watching, request_stop
from core.service.urlstate import Param
from core.training.launch import LimitError, check, check_limits, pin_data, start_in_background
from ui import guard
from ui.charts import training_curves
from ui.settings import policy
from ui.url import read_view, seed_widgets, write_view

PRESET = "keynet"
DEFAULTS = {**RunConfig().to_dict(), **PRESETS[PRESET]}
# One widget per RunConfig setting (the input shape follows the representation), under its URL name; the
# options come from the model builders, the representation registry and the config's own lists.
SCHEMA = {
    "tr_preset": Param("choice", PRESET, options=list(PRESETS)),
    "tr_model": Param("choice", DEFAULTS["model"], options=sorted(BUILDERS)),
    "tr_rep": Param("choice", DEFAULTS["representation"], options=list(REPRESENTATIONS)),
    "tr_width": Param("int", 0, 0, 256),
    "tr_init": Param("str", ""),
    "tr_maxf": Param("int", 0, 0, 512),
    "tr_timbre": Param("float", 0.0, 0.0, 40.0),
    "tr_loss": Param("choice", DEFAULTS["loss"], options=list(LOSSES)),
    "tr_opt": Param("choice", DEFAULTS["optimizer"], options=list(OPTIMIZERS)),
    "tr_lr": Param("float", DEFAULTS["lr"], 1e-6, 1.0),
    "tr_mom": Param("float", DEFAULTS["momentum"], 0.0, 0.99),
    "tr_epochs": Param("int", DEFAULTS["epochs"], 1, 500),
    "tr_batch": Param("int", DEFAULTS["batch_size"], 1, 512),
    "tr_aug": Param("choice", "on" if DEFAULTS["augment"] else "off", options=["on", "off"]),
    "tr_data": Param("str", DEFAULTS["data"]),
    "tr_seed": Param("int", DEFAULTS["split_seed"], 0, 2**31 - 1),
    "tr_test": Param("float", DEFAULTS["test_fraction"], 0.01, 0.9),
    "tr_val": Param("float", DEFAULTS["val_fraction"], 0.0, 0.9),
}
FIELDS = {"tr_model": "model", "tr_rep": "representation", "tr_width": "width", "tr_init": "init",
          "tr_maxf": "max_frames", "tr_timbre": "timbre_db", "tr_loss": "loss", "tr_opt": "optimizer", "tr_lr": "lr",
          "tr_mom": "momentum", "tr_epochs": "epochs", "tr_batch": "batch_size", "tr_aug": "augment", "tr_data": "data",
          "tr_seed": "split_seed", "tr_test": "test_fraction", "tr_val": "val_fraction"}
UNSET = {name for name, field in FIELDS.items() if RunConfig().to_dict()[field] is None}  # their widget's default: unset


def widget_value(name: str, value):
    """A RunConfig value as its widget holds it (augment: on/off; an unset optional setting: the widget's default)."""
    if name == "tr_aug":
        return "on" if value else "off"
    return SCHEMA[name].default if value is None else value


def config_value(name: str, value):
    """A widget's value as RunConfig takes it (the inverse of :func:`widget_value`)."""
    if name == "tr_aug":
        return value == "on"
    return (value or None) if name in UNSET else value


def apply_preset() -> None:
    """Set every setting to the chosen preset's value, or RunConfig's default where the preset names none."""
    chosen = {**RunConfig().to_dict(), **PRESETS[st.session_state.tr_preset]}
    for name, field in FIELDS.items():
        st.session_state[name] = widget_value(name, chosen[field])


def build_config(values: dict) -> RunConfig:
    """The RunConfig of the page's settings; the input shape is the representation's. Where this visitor may train,
    pinned to the labels its data reads, as `python -m core train` pins them (a public page reads no file for it)."""
    settings = {field: config_value(name, values[name]) for name, field in FIELDS.items()}
    config = RunConfig(**settings, input_shape=REPRESENTATIONS[settings["representation"]].input_shape)
    return pin_data(config) if guard.may_train() else config


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
    training_curves(run.history(), key=f"tr_{run.id}")
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
a.selectbox("Model", sorted(BUILDERS), key="tr_model")
b.selectbox("Representation", list(REPRESENTATIONS), key="tr_rep",
            help="\n\n".join(f"**{name}**: {rep.help}" for name, rep in REPRESENTATIONS.items()))
c.number_input("Width", 0, 256, key="tr_width", help="filters of the first block (eqkey, keynet); 0: the model's default")
d.text_input("Start from", key="tr_init", help="fine-tune: a model's weights to start from (default, a shipped "
                                                 "model's name or a run id); empty: random weights")
a, b, c, d = st.columns(4)
a.selectbox("Loss", list(LOSSES), key="tr_loss")
b.selectbox("Optimizer", list(OPTIMIZERS), key="tr_opt")
c.number_input("Learning rate", 1e-6, 1.0, key="tr_lr", format="%.6f")
d.number_input("Momentum (SGD)", 0.0, 0.99, key="tr_mom")
a, b, c, d = st.columns(4)
a.number_input("Epochs", 1, 500, key="tr_epochs")
b.number_input("Batch size", 1, 512, key="tr_batch")
c.radio("Transposition augmentation", ["on", "off"], key="tr_aug", horizontal=True)
d.number_input("Split seed", 0, 2**31 - 1, key="tr_seed")
a, b, c, d, e = st.columns([2, 1, 1, 1, 1])
e.number_input("Timbre (dB)", 0.0, 40.0, key="tr_timbre", help="tuned data: each training example through a "
               "random equaliser (a tilt and two bumps over the registers) of up to this many dB either way; "
               "0: off")
d.number_input("Longest crop (frames)", 0, 512, key="tr_maxf", help="tuned data: each training batch a random "
               "run of the input's frames up to this many (0: always the input's); the store keeps 44 (16 s)")
a.text_input("Data", key="tr_data", help="'corpus' (the bundled corpus), 'synth:NAME[+NAME...]' (generated corpora "
                                          "`python -m core corpus --recipe` made, e.g. popular-s0), "
                                          "'labels:/path/to/labels.csv' (your file,key labelled audio, analysed once "
                                          "into the feature store) or 'synthetic:N' (generated examples)")
b.number_input("Test fraction", 0.01, 0.9, key="tr_test")
c.number_input("Validation fraction", 0.0, 0.9, key="tr_val")

values = {name: st.session_state[name] for name in SCHEMA}
write_view(values, SCHEMA)
try:
    config = build_config(values)
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
    try:  # the model, data spec and starting weights, before Start is offered
        check(config)
        problem = None
    except ValueError as err:  # LabelsError (a labels CSV that is none) too
        problem = guard.message(err)
        st.error(f"Not started: {problem}")
    keep = st.checkbox("Keep running after I leave this page", key="tr_keep",
                       help=f"Otherwise the run stops (resumable) about {WATCH_TIMEOUT_S:.0f} s after "
                            "nobody watches it any more.")
    if st.button("▶ Start training", type="primary", key="tr_start") and problem is None:
        rules = policy()
        try:
            check_limits(config, rules.max_runs, rules.max_epochs, rules.max_examples)
            start_in_background(config, watched=not keep)
        except LimitError as err:
            st.warning(f"Not started: {err}.", icon="⏳")
            st.stop()
        except ValueError as err:  # the data changed between the check and the click
            st.error(f"Not started: {guard.message(err)}")
            st.stop()
        guard.started(config.id)
        watch(config.id)
