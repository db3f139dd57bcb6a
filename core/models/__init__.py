"""Key networks: Keras builders, the NumPy runtime that runs them, the representation each reads, run
configurations and the run store. Imports keys, paths, errors, runtime, audio; never data, estimate or training."""
