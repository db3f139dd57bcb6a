"""Training data: folk tunes, the bundled corpus, generated records (synth), the real-audio pool, data
specs and datasets. Imports keys, paths, errors, runtime, audio, msd, models, estimate (the pool's voters)."""
