"""One interface for every key estimator: trained CNNs, profile templates, Essentia when installed.

``load_estimator("default")`` is the shipped ``models/eqkey-default/`` (another shipped model loads by
its folder name, e.g. ``"keynet-default"``); a run id or folder, or a ``.keras`` file next to its
``config.json``, loads that CNN;
``"template:<profile>"`` is Krumhansl-Schmuckler template matching on chroma with
any profile of :mod:`core.estimate.profiles`; ``"essentia"`` is Essentia's ``KeyExtractor``
only where ``import essentia`` works. Estimators are read-only after loading, so
one object can serve many threads (pages cache them with ``st.cache_resource``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core import paths
from core.audio.features import FeatureSettings, extract_whole
from core.estimate.profiles import PROFILES, match_proba
from core.keys import N_CLASSES
from core.models.representations import representation
from core.models.runs import settings, shipped_models

TEMPLATE_SETTINGS = FeatureSettings(kind="chroma", duration=10.0)  # features() take the audio's own duration


class KeyEstimator:
    """Base: ``settings`` say what features ``predict_proba`` consumes; ``features`` makes them."""

    name: str
    settings: FeatureSettings

    def features(self, y: np.ndarray) -> np.ndarray:
        """A batch of features of mono audio ``y`` at ``settings.sample_rate`` (one row per excerpt or window)."""
        raise NotImplementedError

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TemplateEstimator(KeyEstimator):
    """Mean chroma correlated with a key profile rotated to all 24 keys."""

    def __init__(self, profile: str) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
        self.profile = profile
        self.name = f"template: {profile}"
        self.settings = TEMPLATE_SETTINGS

    def features(self, y: np.ndarray) -> np.ndarray:
        """(1, 12, 1): the mean chroma of the whole of ``y`` (Krumhansl-Schmuckler: one profile for the piece).

        One shape for every length, so features of excerpts of any lengths stack into one batch.
        """
        return extract_whole(y, self.settings).mean(axis=1, keepdims=True)[None]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        features = np.asarray(features, dtype=float)
        return np.stack([match_proba(chroma.reshape(12, -1), self.profile) for chroma in features])


class CNNEstimator(KeyEstimator):
    """A trained Keras model and the representation its run config names (:mod:`core.models.representations`).

    The model runs in NumPy (:mod:`core.models.network`, no TensorFlow import); only a model with layers that
    runtime does not implement is loaded with Keras."""

    def __init__(self, model_path: Path, config: dict, name: str) -> None:
        self.model = load_model(model_path)
        self.config = config
        self.name = name
        self.input_shape = tuple(config["input_shape"])
        self.representation = representation(config.get("representation", "semitone"))
        self.settings = self.representation.settings(self.input_shape)

    def features(self, y: np.ndarray) -> np.ndarray:
        return self.representation.inputs(y, self.input_shape)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Probabilities of a batch, by calling the model directly (no ``Model.predict`` set-up per call)."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim == len(self.input_shape):
            features = features[..., None]
        if not self.representation.fits(features.shape[1:], self.input_shape):
            raise ValueError(f"{self.name} expects features of shape {self.input_shape}, got "
                             f"{features.shape[1:]}; make them with estimator.features(y)")
        return np.asarray(self.model(features, training=False), dtype=float)


def load_model(model_path: Path):
    """A callable model (batch in, probabilities out) from a ``.keras`` file: the NumPy runtime, or Keras for
    a model it cannot run."""
    from core.models.network import UnsupportedModel, load_network

    try:
        return load_network(model_path)
    except UnsupportedModel:
        import keras

        from core.models.builders import fold_octaves

        fold_octaves()  # registers eqkey's custom layer before loading
        return keras.models.load_model(model_path, compile=False)


class EssentiaEstimator(KeyEstimator):
    """Essentia's ``KeyExtractor`` on raw audio (features are the audio itself), with one of its
    key profiles (``bgate`` is Essentia's default; ``edma``, ``temperley``, ``krumhansl``, ...)."""

    settings = FeatureSettings(kind="chroma", sample_rate=44100, duration=30.0)

    def __init__(self, profile: str = "bgate") -> None:
        self.profile = profile
        self.name = f"essentia: KeyExtractor ({profile})"

    def features(self, y: np.ndarray) -> np.ndarray:
        """(n, samples): ``y`` cut into pieces of ``settings.duration``, the last one zero-padded (one shape
        for every length, like the CNNs' windows)."""
        n = self.settings.n_samples
        y = np.asarray(y, dtype=np.float32)
        pieces = max(1, -(-y.size // n))
        return np.pad(y, (0, pieces * n - y.size)).reshape(pieces, n)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        import essentia.standard as es

        from core.keys import Key

        rows = []
        for y in np.asarray(features, dtype=np.float32):
            y = np.trim_zeros(y, "b")  # the padding of the last piece
            key, scale, strength = es.KeyExtractor(sampleRate=self.settings.sample_rate, profileType=self.profile)(y)
            rows.append(strength_proba(Key.parse(f"{key} {scale}").index, strength))
        return np.stack(rows)


def strength_proba(index: int, strength: float) -> np.ndarray:
    """24 probabilities from one key and its strength: ``strength`` on the key, the rest spread evenly over
    all 24, so the named key always has the highest probability (a strength of 0 still gives it an edge)."""
    strength = float(np.clip(strength, 1e-6, 1.0))
    row = np.full(N_CLASSES, (1 - strength) / N_CLASSES)
    row[index] += strength
    return row


def essentia_available() -> bool:
    try:
        import essentia  # noqa: F401
    except ImportError:
        return False
    return True


def _cnn_from_folder(folder: Path, name: str, model_path: Path | None = None) -> CNNEstimator:
    """The CNN of a run folder (its ``model.keras``, or ``model_path`` beside its ``config.json``)."""
    config_path, model_path = folder / "config.json", model_path or folder / "model.keras"
    if not (config_path.exists() and model_path.exists()):
        raise FileNotFoundError(f"{folder} has no config.json and model.keras; it is not a finished run")
    config = settings(folder)
    if "input_shape" not in config:
        raise ValueError(f"{config_path} is not a run configuration (no input_shape); it is not a finished run")
    return CNNEstimator(model_path, config, name)


def load_estimator(name_or_path: str) -> KeyEstimator:
    """An estimator by name: "default", "template:<profile>", "essentia[:<profile>]", a run id, a run folder
    or a .keras file."""
    text = str(name_or_path).strip()
    if text.startswith("template:"):
        return TemplateEstimator(text.split(":", 1)[1].strip())
    if text == "essentia" or text.startswith("essentia:"):
        if not essentia_available():
            raise ValueError("Essentia is not installed here; `import essentia` failed")
        return EssentiaEstimator(text.split(":", 1)[1].strip() if ":" in text else "bgate")
    path = Path(text)
    if path.suffix == ".keras" and path.is_file() and path.name != "model.keras":
        return _cnn_from_folder(path.parent, path.stem, path)
    folder = model_folder(text)
    if text == "default":
        return _cnn_from_folder(folder, f"{_model_name(folder)} (default)")
    if text in shipped_models() or path.exists():
        return _cnn_from_folder(folder, text if text in shipped_models() else folder.name)
    return _cnn_from_folder(folder, f"run {text}")


def model_folder(name: str) -> Path:
    """The folder of a CNN by name: "default", a shipped model's name, a run folder (or its model.keras), or a
    run id; a ValueError listing the names otherwise."""
    text = str(name).strip()
    if text == "default":
        return paths.DEFAULT_MODEL_DIR
    if text in shipped_models():
        return paths.MODELS_DIR / text
    path = Path(text)
    if path.name == "model.keras" and path.is_file():
        return path.parent
    if path.is_dir():
        return path
    from core.models.runs import runs_dir

    if text and (runs_dir() / text).is_dir():
        return runs_dir() / text
    raise ValueError(f"unknown estimator {text!r}; choose one of {', '.join(available_estimators())}, "
                     "a run folder or a .keras file")


def _model_name(folder: Path) -> str:
    """The architecture a run folder's config names ("eqkey", "keynet", ...)."""
    return settings(folder).get("model", "model")


def available_estimators() -> list[str]:
    """Names :func:`load_estimator` accepts: default, other shipped models, finished runs, templates,
    Essentia if installed."""
    from core.models.runs import list_runs

    names = ["default"] if (paths.DEFAULT_MODEL_DIR / "model.keras").exists() else []
    names += shipped_models()
    names += [run.id for run in list_runs() if run.state == "finished" and (run.folder / "model.keras").exists()]
    names += [f"template:{profile}" for profile in PROFILES]
    return names + (["essentia"] if essentia_available() else [])


def estimate_audio(estimator: KeyEstimator, y: np.ndarray, sr: int) -> np.ndarray:
    """(24,) key probabilities of mono audio ``y`` at ``sr``: the estimator's own features, averaged."""
    if sr != estimator.settings.sample_rate:
        from core.audio.decode import resample

        y = resample(y, sr, estimator.settings.sample_rate)
    from core.estimate.song import windows_proba

    proba = windows_proba([estimator.features(y)], estimator)[0]
    return proba / proba.sum()
