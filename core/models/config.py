"""Run configurations: every setting that decides what a training run learns, its hash, and the named presets."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from core.models.builders import EQKEY_INPUT_SHAPE, KEYNET_INPUT_SHAPE, SEED_INPUT_SHAPE


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a training run learns; its hash names the run folder."""

    model: str = "keynet"
    input_shape: tuple[int, int, int] = KEYNET_INPUT_SHAPE
    representation: str = "semitone"
    loss: str = "categorical_crossentropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    epochs: int = 10
    batch_size: int = 16
    augment: bool = True
    data: str = "corpus"  # the bundled corpus; "synthetic:N" for generated examples
    split_seed: int = 0
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    width: int | None = None  # filters of the first block (keynet, eqkey); None: the builder's default
    init: str | None = None  # a model whose weights the network starts from ("default", a shipped name, a run id)
    max_frames: int | None = None  # tuned data: each training batch a random run of input_shape[1]..max_frames frames
    timbre_db: float | None = None  # tuned data: each example through a random equaliser of up to +-this many dB
    data_digest: str | None = None  # the labels' content for a labelled-audio spec (core.data.datasets.labels_digest)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {sorted(LOSSES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose 'adam' or 'sgd'")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs and batch size must be at least 1 and lr positive")
        if self.max_frames is not None and self.max_frames < self.input_shape[1]:
            raise ValueError(f"max frames ({self.max_frames}) must be at least the input's {self.input_shape[1]} frames")
        if self.timbre_db is not None and not 0 <= self.timbre_db <= 40:
            raise ValueError(f"timbre dB ({self.timbre_db}) must be between 0 and 40")
        if not 0 < self.test_fraction < 1 or not 0 <= self.val_fraction < 1 - self.test_fraction:
            raise ValueError("test fraction must be in (0, 1) and val fraction in [0, 1 - test)")

    @property
    def id(self) -> str:
        """A stable 12-hex-digit hash of the settings (an unset optional setting is left out, so runs made before
        it existed keep their ids)."""
        data = {k: v for k, v in self.to_dict().items() if v is not None or k not in OPTIONAL}
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["input_shape"] = list(self.input_shape)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown run settings: {sorted(unknown)}")
        return cls(**data)


OPTIONAL = ("width", "init", "max_frames", "timbre_db", "data_digest")  # settings added later, left out of the id when unset
LOSSES = {"categorical_crossentropy": "categorical_crossentropy", "mse": "mean_squared_error"}
OPTIMIZERS = ("adam", "sgd")

# The capstone's original settings: reproduce why it learned nothing, then change one at a time.
PRESETS: dict[str, dict[str, Any]] = {
    "seed": dict(model="seed", input_shape=SEED_INPUT_SHAPE, representation="stft162", loss="mse",
                 optimizer="sgd", lr=1e-4, momentum=0.8, batch_size=10, augment=False),
    "keynet": dict(model="keynet", input_shape=KEYNET_INPUT_SHAPE, representation="semitone",
                   loss="categorical_crossentropy", optimizer="adam", lr=1e-3, momentum=0.0,
                   batch_size=16, augment=True),
    # The real-music model, shipped as models/eqkey-v1: tuned semitones, transposition-equivariant, trained on
    # a generated corpus
    # (`python -m core corpus --recipe popular`, `--recipe bluesrock --size 720`, `--recipe tunes --size 1200`).
    "eqkey": dict(model="eqkey", input_shape=EQKEY_INPUT_SHAPE, representation="tuned",
                  loss="categorical_crossentropy", optimizer="adam", lr=1e-3, momentum=0.0, batch_size=32,
                  augment=True, epochs=20, width=16, data="synth:popular-s0+bluesrock-s0+tunes-s0"),
    # The shipped default: eqkey fine-tuned from eqkey-v1 (models/eqkey-v1, the "eqkey" preset's run) on tonal
    # cadences with major dominants in minor keys beside popular arrangements and folk tunes
    # (`corpus --recipe cadence --size 720`, `--recipe cadence --seed 1 --size 360`, `--recipe popular --size 384`,
    # `--recipe tunes --size 240`).
    "eqkey-v2": dict(model="eqkey", input_shape=EQKEY_INPUT_SHAPE, representation="tuned",
                     loss="categorical_crossentropy", optimizer="adam", lr=3e-4, momentum=0.0, batch_size=32,
                     augment=True, epochs=10, width=16, init="eqkey-v1",
                     data="synth:cadence-s0+cadence-s1+popular-s0+tunes-s0"),
}


def preset(name: str, **overrides: Any) -> RunConfig:
    """A config from a named preset with some settings changed."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return RunConfig(**{**PRESETS[name], **overrides})
