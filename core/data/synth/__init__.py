"""The training-data engine: popular-music arrangements in all 24 keys, rendered with several General
MIDI soundfonts and produced like records (:mod:`.styles`, :mod:`.arrange`, :mod:`.render`,
:mod:`.production`, :mod:`.build`). Labels are exact by construction: every note is chosen from the
key asked for, and production never moves pitch by more than a detuning of 30 cents."""
