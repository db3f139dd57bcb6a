"""A DJ's music library: every track's key in one SQLite database, scanned resumably and in parallel.

``db`` holds the store (schema, WAL, upserts), ``scan`` walks a folder and analyses only new or changed
files, ``mix`` answers "what mixes with this track" and orders a harmonic path, ``tags`` writes keys
into the files' own tags with mutagen. ``python -m core library ...`` is the command line.
"""
