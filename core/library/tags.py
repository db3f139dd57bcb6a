"""Write library keys into the files' own tags with mutagen, only where the file is still what was analysed.

ID3 ``TKEY`` (mp3, and the ID3 chunk of wav and aiff), Vorbis comment ``INITIALKEY`` (flac, ogg), MP4
freeform ``----:com.apple.iTunes:initialkey`` (m4a): the fields DJ software reads. Each file is written as
a temporary copy beside it, checked, and renamed into place, so a crash leaves the old file or the new one,
never half of each; other tags and the audio frames are left as they are.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.keys import Key
from core.library import db
from core.library.scan import file_hash
from core.runtime.files import replacing

MP4_KEY = "----:com.apple.iTunes:initialkey"


@dataclass
class TagAction:
    """One file's outcome: ``write`` (or ``written``), or ``skip`` with why."""

    path: str
    action: str
    value: str = ""
    current: str | None = None
    why: str = ""


def _open(path: str | Path):
    import mutagen

    audio = mutagen.File(path)
    if audio is None:
        raise ValueError("mutagen does not know this file's format")
    return audio


def _kind(audio) -> str:
    from mutagen.aiff import AIFF
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.wave import WAVE

    if isinstance(audio, (MP3, WAVE, AIFF)):
        return "id3"
    if isinstance(audio, MP4):
        return "mp4"
    return "vorbis"  # FLAC, Ogg Vorbis/Opus/FLAC: Vorbis comments


def read_key(path: str | Path) -> str | None:
    """The key tag of a file as written there (None when it has none)."""
    audio = _open(path)
    kind, tags = _kind(audio), audio.tags
    if tags is None:
        return None
    if kind == "id3":
        frame = tags.get("TKEY")
        return str(frame.text[0]) if frame and frame.text else None
    if kind == "mp4":
        values = tags.get(MP4_KEY)
        return bytes(values[0]).decode("utf-8") if values else None
    values = tags.get("INITIALKEY")
    return str(values[0]) if values else None


def _set_key(audio, value: str) -> None:
    kind = _kind(audio)
    if kind == "id3":
        from mutagen.id3 import TKEY

        if audio.tags is None:
            audio.add_tags()
        audio.tags.setall("TKEY", [TKEY(encoding=3, text=[value])])
    elif kind == "mp4":
        from mutagen.mp4 import MP4FreeForm

        if audio.tags is None:
            audio.add_tags()
        audio.tags[MP4_KEY] = [MP4FreeForm(value.encode("utf-8"))]
    else:
        if audio.tags is None:
            audio.add_tags()
        audio.tags["INITIALKEY"] = [value]


def plan(rows: list[dict], notation: str = "standard", accidentals: str = "preferred") -> list[TagAction]:
    """What :func:`apply` would do for each row: write, or skip and why (error row, file gone or changed since
    the scan, already tagged so, unreadable tags). Reads each file to compare its hash; writes nothing."""
    actions = []
    for r in rows:
        path = r["path"]
        if r.get("error") or r.get("class_index") is None:
            actions.append(TagAction(path, "skip", why="no key: the scan could not analyse it"))
            continue
        value = Key.from_index(r["class_index"]).notation(notation, accidentals)
        try:
            if file_hash(path) != r["hash"]:
                actions.append(TagAction(path, "skip", value, why="changed since the scan: scan it again first"))
                continue
            current = read_key(path)
        except FileNotFoundError:
            actions.append(TagAction(path, "skip", value, why="file is gone"))
            continue
        except Exception as err:  # noqa: BLE001 - unreadable tags or file: one line, the rest go on
            actions.append(TagAction(path, "skip", value, why=f"cannot read its tags: {err}"))
            continue
        if current == value:
            actions.append(TagAction(path, "skip", value, current, why="already tagged with this key"))
        else:
            actions.append(TagAction(path, "write", value, current))
    return actions


def write_key(path: str | Path, value: str, expected_hash: str, backup: bool = False) -> str:
    """Write ``value`` into the key tag of ``path`` through a temporary copy renamed into place, only if the
    file's hash is still ``expected_hash`` (else ``ValueError``); returns the new content hash. With ``backup``
    the original is kept as ``<name>.bak`` first."""
    path = Path(path)
    with replacing(path) as tmp:
        shutil.copy2(path, tmp)
        if file_hash(tmp) != expected_hash:
            raise ValueError("changed since the scan: scan it again first")
        audio = _open(tmp)
        _set_key(audio, value)
        audio.save()
        if read_key(tmp) != value:
            raise ValueError("the tag did not read back")
        if backup:
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        digest = file_hash(tmp)
    return digest


def apply(con, actions: list[TagAction], backup: bool = False) -> list[TagAction]:
    """Carry out the ``write`` actions; each written file's row gets its new size, mtime and hash (the audio and
    key are the same, so the next scan does not analyse it again). Failures become skips with why."""
    done = []
    for action in actions:
        if action.action != "write":
            done.append(action)
            continue
        row = db.by_path(con, action.path)
        try:
            digest = write_key(action.path, action.value, row["hash"] if row else "", backup=backup)
        except Exception as err:  # noqa: BLE001 - one file's failure is one line
            done.append(TagAction(action.path, "skip", action.value, action.current, why=str(err)))
            continue
        stat = os.stat(action.path)
        db.upsert(con, {**row, "size": stat.st_size, "mtime": stat.st_mtime, "hash": digest})
        done.append(TagAction(action.path, "written", action.value, action.current))
    return done
