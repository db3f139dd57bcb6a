"""How the package runs: atomic files, worker pools (joblib, Dask), numba's cache, quiet TensorFlow.

Imports only paths and errors at module level (numba's cache probe imports audio and estimate inside the probe)."""
