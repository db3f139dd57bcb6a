"""Key networks: Keras builders, the NumPy runtime that runs them, run configs and the run store. Imports keys, paths, audio."""
