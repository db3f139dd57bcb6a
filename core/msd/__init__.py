"""MSD metadata and the catalog: HDF5 summary and track files, the seed's selection CSV, selections and
their summaries, the catalog's columnar cache. Imports keys, paths, errors, runtime, service, audio.walk."""
