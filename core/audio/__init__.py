"""Audio and its features: decoding (and the one list of formats), bounded folder walks, labelled-audio
indexes, feature extraction and the feature store. Imports keys, paths, errors, runtime, service."""
