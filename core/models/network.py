"""A saved Keras model's forward pass in NumPy: inference without importing TensorFlow or Keras.

A ``.keras`` file is a zip of ``config.json`` (the layers) and ``model.weights.h5`` (their weights);
:func:`load_network` reads both with :mod:`zipfile` and :mod:`h5py` and returns a :class:`Network`
that runs the layers :mod:`core.models.builders` builds (and the usual simple ones: dense, flatten, pooling) in
float32 NumPy, as Keras does (a softmax in float64, so probabilities sum to 1). A model with any other layer,
or not a plain chain of layers, raises :class:`UnsupportedModel`, so the caller can fall back to Keras.
Training stays on Keras.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.errors import KeyscopeError
from core.keys import N_CLASSES


class UnsupportedModel(KeyscopeError, ValueError):
    """The model uses something this runtime does not implement (the message says what)."""


def _snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case``: how a layer's class names its group in ``model.weights.h5``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _activation(name) -> callable:
    if isinstance(name, dict):  # a serialized activation object
        name = name.get("config", {}).get("name", name.get("class_name"))
    if name not in ACTIVATIONS:
        raise UnsupportedModel(f"activation {name!r} is not supported by the NumPy runtime")
    return ACTIVATIONS[name]


def _softmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    "linear": lambda x: x,
    None: lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": _softmax,
}


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras/TensorFlow "same" padding of one axis: (before, after), the extra one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str, value: float = 0.0):
    if padding == "valid":
        return x
    pads = [_same_padding(x.shape[axis], k, s) for axis, k, s in zip((1, 2), kernel, strides)]
    return np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=value)


def _windows(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """(batch, rows', cols', channels, kh, kw) views of ``x`` (batch, rows, cols, channels), no copy."""
    view = sliding_window_view(x, kernel, axis=(1, 2))
    return view[:, ::strides[0], ::strides[1]]


def _convolution(kernel: np.ndarray, strides: tuple[int, int]):
    """Cross-correlation of a padded batch (batch, rows, cols, channels) with ``kernel`` (kh, kw, channels,
    filters), as Keras's Conv2D, its kernel matrix made once. With no more filters than channels, every tap's
    product is taken in one matmul and the taps' shifted outputs added (each input value read once); otherwise the
    unfolded windows (kh x kw x channels values per output position) go through one matmul."""
    kh, kw, channels, filters = kernel.shape
    by_channel = kernel.transpose(2, 0, 1, 3)  # (channels, kh, kw, filters)
    if filters > channels:
        flat = by_channel.reshape(-1, filters)

        def unfolded(x):
            windows = _windows(x, (kh, kw), strides)  # (b, r, c, channels, kh, kw)
            return np.matmul(windows.reshape(*windows.shape[:3], -1), flat)
        return unfolded
    every_tap, (sr, sc) = by_channel.reshape(channels, -1), strides

    def shifted(x):
        rows, cols = (x.shape[1] - kh) // sr + 1, (x.shape[2] - kw) // sc + 1
        taps = (x @ every_tap).reshape(*x.shape[:3], kh, kw, filters)
        out = np.zeros((x.shape[0], rows, cols, filters), dtype=taps.dtype)
        for i in range(kh):
            for j in range(kw):
                out += taps[:, i:i + sr * (rows - 1) + 1:sr, j:j + sc * (cols - 1) + 1:sc, i, j]
        return out
    return shifted


class Layer:
    """One layer: ``name``, ``kind`` (its Keras class), ``weights`` (arrays in Keras's order)."""

    def __init__(self, kind: str, config: dict, weights: list[np.ndarray]) -> None:
        self.kind, self.config, self.weights = kind, config, weights
        self.name = config.get("name", kind)
        build = getattr(self, f"_build_{kind}", None)
        if build is None:
            raise UnsupportedModel(f"layer {self.name!r} ({kind}) is not supported by the NumPy runtime")
        self.call = build(config, weights)

    def __reduce__(self):  # pickled as what it was made from (its call is a closure), e.g. to Dask workers
        return Layer, (self.kind, self.config, self.weights)

    def get_weights(self) -> list[np.ndarray]:
        return list(self.weights)

    def _build_InputLayer(self, config, weights):
        return lambda x: x

    _build_Dropout = _build_InputLayer

    def _build_Activation(self, config, weights):
        return _activation(config.get("activation"))

    def _build_Conv2D(self, config, weights):
        if tuple(config.get("dilation_rate", (1, 1))) != (1, 1) or config.get("groups", 1) != 1 \
                or config.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedModel(f"layer {self.name!r}: only plain channels-last convolutions are supported")
        kernel = np.asarray(weights[0], dtype=np.float32)
        bias = np.asarray(weights[1], dtype=np.float32) if config.get("use_bias", True) else np.float32(0)
        size, strides = kernel.shape[:2], tuple(config.get("strides", (1, 1)))
        padding, act = config.get("padding", "valid"), _activation(config.get("activation"))
        convolve = _convolution(kernel, strides)
        return lambda x: act(convolve(_pad(x, size, strides, padding)) + bias)

    def _build_Dense(self, config, weights):
        kernel = np.asarray(weights[0], dtype=np.float32)
        bias = np.asarray(weights[1], dtype=np.float32) if config.get("use_bias", True) else np.float32(0)
        act = _activation(config.get("activation"))
        return lambda x: act(x @ kernel + bias)

    def _build_BatchNormalization(self, config, weights):
        if config.get("axis", -1) not in (-1, 3, [3], [-1]):
            raise UnsupportedModel(f"layer {self.name!r}: batch normalization over axis {config['axis']}")
        weights = list(weights)
        gamma = np.asarray(weights.pop(0), np.float64) if config.get("scale", True) else 1.0
        beta = np.asarray(weights.pop(0), np.float64) if config.get("center", True) else 0.0
        mean, var = (np.asarray(w, np.float64) for w in weights[:2])
        scale = gamma / np.sqrt(var + config.get("epsilon", 1e-3))
        shift = (beta - mean * scale).astype(np.float32)
        scale = scale.astype(np.float32)
        return lambda x: x * scale + shift

    def _pool_params(self, config):
        if config.get("data_format", "channels_last") not in (None, "channels_last"):
            raise UnsupportedModel(f"layer {self.name!r}: only channels-last pooling is supported")
        size = tuple(config["pool_size"])
        return size, tuple(config.get("strides") or size), config.get("padding", "valid")

    def _build_MaxPooling2D(self, config, weights):
        size, strides, padding = self._pool_params(config)
        return lambda x: _windows(_pad(x, size, strides, padding, -np.inf), size, strides).max(axis=(4, 5))

    def _build_AveragePooling2D(self, config, weights):
        size, strides, padding = self._pool_params(config)

        def average(x):  # "same" padding averages only the real values, as TensorFlow does
            total = _windows(_pad(x, size, strides, padding), size, strides).sum(axis=(4, 5))
            count = _windows(_pad(np.ones_like(x[:1, ..., :1]), size, strides, padding), size, strides).sum(axis=(4, 5))
            return total / count
        return average

    def _build_GlobalAveragePooling2D(self, config, weights):
        keep = bool(config.get("keepdims", False))
        return lambda x: x.mean(axis=(1, 2), keepdims=keep)

    def _build_GlobalMaxPooling2D(self, config, weights):
        keep = bool(config.get("keepdims", False))
        return lambda x: x.max(axis=(1, 2), keepdims=keep)

    def _build_Flatten(self, config, weights):
        return lambda x: x.reshape(len(x), -1)

    def _build_FoldOctaves(self, config, weights):
        """:func:`core.models.builders.fold_octaves`: mean over frames, rows an octave apart summed, 24 logits."""
        def fold(x):
            x = x.mean(axis=2)
            return x.reshape(len(x), x.shape[1] // 12, 12, 2).sum(axis=1).reshape(-1, N_CLASSES)
        return fold


class Network:
    """A chain of :class:`Layer` s; calling it on a batch (batch, rows, cols, channels) gives the output.

    A batch goes through :data:`CHUNK` examples at a time: the convolutions' unfolded inputs are the memory
    peak (a whole song's 24 windows at once took about 400 MB)."""

    CHUNK = 4

    def __init__(self, name: str, layers: list[Layer]) -> None:
        self.name, self.layers = name, layers

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.output_of(self.layers[-1], x)

    def output_of(self, layer: Layer, x: np.ndarray) -> np.ndarray:
        """The output of ``layer`` (one of :attr:`layers`) for the batch ``x``."""
        if not any(step is layer for step in self.layers):
            raise ValueError(f"{layer!r} is not a layer of {self.name}")
        x = np.asarray(x, dtype=np.float32)
        return np.concatenate([self._run(layer, x[i:i + self.CHUNK]) for i in range(0, max(len(x), 1), self.CHUNK)])

    def _run(self, layer: Layer, x: np.ndarray) -> np.ndarray:
        for step in self.layers:
            x = step.call(x)
            if step is layer:
                return x


def _chain(config: dict) -> list[dict]:
    """The layer configs of a Sequential or Functional model, in order, if each feeds only the next."""
    layers = config["config"]["layers"]
    if config.get("class_name") == "Functional":
        for previous, layer in zip(layers, layers[1:]):
            inbound = json.dumps(layer.get("inbound_nodes", []))
            if inbound.count('"keras_history"') != 1 or f'["{previous["config"]["name"]}"' not in inbound:
                raise UnsupportedModel(f"layer {layer['config']['name']!r} does not take only the previous "
                                       "layer's output; the NumPy runtime runs chains of layers")
    elif config.get("class_name") != "Sequential":
        raise UnsupportedModel(f"a {config.get('class_name')} model is not supported by the NumPy runtime")
    return layers


def load_network(path: str | Path) -> Network:
    """The model saved in the ``.keras`` file ``path`` (raises :class:`UnsupportedModel` for what it cannot run)."""
    import h5py

    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = io.BytesIO(archive.read("model.weights.h5"))
    layers, used = [], {}
    with h5py.File(weights_file, "r") as store:
        for entry in _chain(config):
            base = _snake_case(entry["class_name"])
            used[base] = used.get(base, -1) + 1  # Keras's unique names: conv2d, conv2d_1, ...
            group = f"layers/{base}" + (f"_{used[base]}" if used[base] else "") + "/vars"
            variables = store.get(group, {})
            weights = [np.asarray(variables[str(i)]) for i in range(len(variables))]
            layers.append(Layer(entry["class_name"], entry["config"], weights))
    return Network(config["config"].get("name", Path(path).stem), layers)
