"""How the package runs: worker pools (joblib, Dask), numba's cache, quiet TensorFlow. Imports nothing else of core but paths."""
