"""Scores: MIREX metrics with bootstrap intervals, any estimator on a labels CSV or on a run's test
clips. Imports keys, paths, runtime, audio, models, estimate, data."""
