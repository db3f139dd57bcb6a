"""The root of every error Keyscope raises on purpose.

Each one's message is one line for a person (it names the file, value or command at fault), so the command
line (:func:`core.cli.main`) and the pages (``ui.guard.show_error``) catch :class:`KeyscopeError` once and
print it, never a traceback. Each subclass also keeps the built-in base its callers have always caught
(``ValueError``, ``OSError``, ``RuntimeError``).
"""


class KeyscopeError(Exception):
    """An error whose message is meant for the user as it is."""
