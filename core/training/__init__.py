"""Fitting runs: checks and limits before a run starts, background launching, resumable fitting with
checkpoints. Imports everything below it (data, models, estimate, evaluation); nothing imports it but the
commands and the Train page."""
