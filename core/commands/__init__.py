"""One module per ``python -m core`` sub-command.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Heavy imports (TensorFlow, librosa) belong inside
``run`` so that ``--help`` and light commands start fast. A command that analyses
audio sets ``ANALYSES_AUDIO = True``: numba's cache is made sound before it runs
(:func:`core.runtime.numba_cache.ensure`).
"""
