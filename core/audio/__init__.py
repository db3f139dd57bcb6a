"""Audio and its features: decoding, folder walks, labelled-audio indexes, feature extraction and the feature store. Imports keys, paths, runtime, service.access."""
