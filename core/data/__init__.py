"""Training data: folk tunes, the bundled corpus, generated records (synth), the real-audio pool, data specs and datasets. Imports audio, msd, models, estimate."""
