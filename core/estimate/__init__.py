"""A song's key: estimators (CNNs, templates, Essentia), the windowed path over a whole song, and the
worker processes a server analyses untrusted audio in. Imports keys, paths, audio, models; never data or training."""
