"""Fitting runs: launching, watching, resuming, shipping. Imports data, models, estimate, evaluation."""
