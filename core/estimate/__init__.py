"""A song's key: estimators (CNNs, templates, Essentia) and the windowed path over a whole song. Imports audio, models; never training."""
