"""Keras model builders: ``seed`` (the capstone's 12,440-parameter CNN), ``keynet`` and ``eqkey``.

Builders take the input shape ``(rows, cols, 1)`` and return an uncompiled model
with a 24-way softmax output (class index ``2 * key + mode``, see :mod:`core.keys`).
"""
from __future__ import annotations

from functools import lru_cache

from core.keys import N_CLASSES

SEED_INPUT_SHAPE = (162, 162, 1)
SEED_PARAMS = 12_440
KEYNET_INPUT_SHAPE = (48, 64, 1)  # 4 octaves of semitones from C2 x 64 frames (about 12 s at hop 4096)
EQKEY_INPUT_SHAPE = (84, 32, 1)   # 7 octaves of tuned semitones from C1 x 32 frames (about 12 s at hop 8192)


def build_seed(input_shape: tuple[int, int, int] = SEED_INPUT_SHAPE):
    """The capstone's network, layer for layer: conv 8 (1x1), 16/32/64 (2x2) with max-pooling, GAP, dense 24."""
    from keras import layers, models

    inputs = layers.Input(shape=input_shape, name="input")
    net = layers.Conv2D(8, (1, 1), padding="same", activation="relu", name="conv2d_1")(inputs)
    for i, filters in enumerate((16, 32, 64), start=2):
        net = layers.Conv2D(filters, (2, 2), padding="same", activation="relu", name=f"conv2d_{i}")(net)
        net = layers.MaxPooling2D((2, 2), name=f"maxp_{i}")(net)
    net = layers.GlobalAveragePooling2D(name="avg_flatten")(net)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="output")(net)
    return models.Model(inputs, outputs, name="seed")


def build_keynet(input_shape: tuple[int, int, int], width: int = 8):
    """A Korzeniowski & Widmer-style key CNN on a semitone-grid spectrogram (frequency x time).

    Stacks of 3x3 ELU convolutions with batch norm, pooling along time only (so the
    semitone grid is kept), then a convolution spanning all frequency rows to 24 maps per
    frame, and global average pooling over time into a softmax. The full-height last layer
    is what lets the network tell a tonic from its neighbours: pooling over frequency
    would make the output nearly the same for every transposition.
    """
    from keras import layers, models

    inputs = layers.Input(shape=input_shape, name="input")
    net = inputs
    for block, filters in enumerate((width, width, 2 * width)):
        for j in range(2):
            net = layers.Conv2D(filters, (3, 3), padding="same", name=f"conv{block}_{j}")(net)
            net = layers.BatchNormalization(name=f"bn{block}_{j}")(net)
            net = layers.Activation("elu", name=f"elu{block}_{j}")(net)
        if net.shape[2] and net.shape[2] >= 2:
            net = layers.MaxPooling2D((1, 2), name=f"pool_time{block}")(net)
    net = layers.Conv2D(N_CLASSES, (net.shape[1], 1), padding="valid", name="conv_classes")(net)
    net = layers.BatchNormalization(name="bn_classes")(net)
    net = layers.GlobalAveragePooling2D(name="gap")(net)
    outputs = layers.Activation("softmax", name="output")(net)
    return models.Model(inputs, outputs, name="keynet")


def build_eqkey(input_shape: tuple[int, int, int], width: int = 8):
    """A transposition-equivariant key CNN on tuned semitones (rows from C, any number of frames).

    3x3 ELU convolutions with batch norm, pooling along time only; then one convolution spanning
    two octaves scores, at every row, the evidence that this row's pitch is the tonic of a minor
    and of a major key; rows a whole number of octaves apart are summed and frames averaged
    (:func:`fold_octaves`), so moving the input by a semitone moves the 24 outputs by one key
    exactly. Every key shares every weight, and the time axis is free: a whole song goes through
    in one call.
    """
    from keras import layers, models

    if input_shape[0] % 12:
        raise ValueError(f"eqkey needs whole octaves of semitone rows, got {input_shape[0]}")
    inputs = layers.Input(shape=(input_shape[0], None, 1), name="input")
    net = inputs
    for block, filters in enumerate((width, 2 * width, 4 * width)):
        for j in range(2):
            net = layers.Conv2D(filters, (3, 3), padding="same", name=f"conv{block}_{j}")(net)
            net = layers.BatchNormalization(name=f"bn{block}_{j}")(net)
            net = layers.Activation("elu", name=f"elu{block}_{j}")(net)
        if block < 2:  # halve the frames: most of the cost is in the first blocks
            net = layers.MaxPooling2D((1, 2), padding="same", name=f"pool_time{block}")(net)
    net = layers.Dropout(0.2, name="dropout")(net)
    net = layers.Conv2D(2, (25, 1), padding="same", name="tonic_evidence")(net)
    outputs = layers.Activation("softmax", name="output")(fold_octaves()(name="fold_octaves")(net))
    return models.Model(inputs, outputs, name="eqkey")


def fold_octaves():
    """The Keras layer class that turns (batch, rows, frames, 2) tonic evidence into 24 key logits:
    mean over frames, sum over rows an octave apart, class index ``2 * tonic + mode`` (row 0 is C)."""
    return _fold_octaves_class()


@lru_cache(maxsize=1)
def _fold_octaves_class():
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="keyscope", name="FoldOctaves")
    class FoldOctaves(keras.layers.Layer):
        def call(self, x):
            x = ops.mean(x, axis=2)
            x = ops.sum(ops.reshape(x, (-1, x.shape[1] // 12, 12, 2)), axis=1)
            return ops.reshape(x, (-1, N_CLASSES))

        def compute_output_shape(self, input_shape):
            return (input_shape[0], N_CLASSES)

    return FoldOctaves


BUILDERS = {"seed": build_seed, "keynet": build_keynet, "eqkey": build_eqkey}


def build(name: str, input_shape: tuple[int, int, int], width: int | None = None):
    """The model called ``name`` for inputs of ``input_shape``; ``width`` (filters of the first block, for
    keynet and eqkey) defaults to the builder's."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(BUILDERS)}")
    if width is None or name == "seed":
        return BUILDERS[name](tuple(input_shape))
    return BUILDERS[name](tuple(input_shape), width=width)
