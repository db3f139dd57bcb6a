"""Scores: MIREX metrics with intervals, estimators on labelled sets and on runs' test splits. Imports estimate, data, models."""
