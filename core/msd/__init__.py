"""MSD metadata and the catalog: HDF5 summary and track files, selections, their columnar cache. Imports keys, paths, runtime, service.access, audio.walk."""
