"""Public mode's promise kept in one place for every page: which paths a link may open, what a visitor may
do (delete, stop, score, train), how server paths are named and how URL input is echoed.

The rules live in :class:`core.service.access.Policy` (read by ``ui.settings.policy``); pages ask here instead of
checking on their own, so a new page cannot forget one.
"""
from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from core.data.specs import parse
from core.errors import KeyscopeError
from core.service.access import BadPath, OutsideRoots
from ui.settings import policy

# What can start markdown in Streamlit (CommonMark, GFM, math, its :color[...] directives): emphasis, code, links,
# images, HTML and entities, headings, tables, strikethrough, math, <autolinks>, a list or heading marker
# first; "_" only where it can emphasise (not inside a word like ds_kc).
_ACTIVE = re.compile(r"([\\*`\[\]()!<>&#|~$@{}]|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_|^[-+=])")


# Streamlit's GFM turns URLs and e-mail addresses into links after escapes are read (in the text itself), so
# an invisible word joiner goes after "http:"/"https:" and "www" and before "@": the text reads the same.
_AUTOLINK = re.compile(r"(?i)(https?:|www)(?=[./])|(?=@)")


def plain(text: object) -> str:
    """``text`` (URL input, a file name, a message quoting either) for a markdown element, shown as typed:
    no bold, no link, no image, no HTML, no new block (line breaks become spaces)."""
    text = _AUTOLINK.sub("\\g<0>\u2060", " ".join(str(text).splitlines()))
    return _ACTIVE.sub(r"\\\1", text)


PUBLIC_CACHE_TTL_S = 3600  # how long a public server keeps a visitor's cached results


def cache_ttl() -> int | None:
    """The lifetime of the pages' cached results: bounded on a public server (memory returns), unbounded
    on a private one."""
    return PUBLIC_CACHE_TTL_S if policy().public else None


def show_error(text: str, err: BaseException) -> None:
    """The pages' one error helper: ``text`` and, for a :class:`core.errors.KeyscopeError`, its own message
    (plain text); the traceback of anything else only on a private server (it names install paths)."""
    st.error(f"{text} {message(err)}" if isinstance(err, KeyscopeError) else text)
    if not policy().public and not isinstance(err, KeyscopeError):
        st.exception(err)


def message(err: BaseException) -> str:
    """An error's message for a page: the policy's own fixed lines as they are, any other (it may quote a
    path or value from the URL) as :func:`plain` text."""
    return str(err) if isinstance(err, (OutsideRoots, BadPath)) else plain(err)


def path(text: str) -> Path | None:
    """The path ``text`` names (symlinks resolved) when a visitor may open it; otherwise None after one error
    line: public mode's "not available here", the same whether the file exists or not, or "not a usable
    path" (a NUL byte, an unknown ``~user``)."""
    try:
        return policy().check(text)
    except (OutsideRoots, BadPath) as err:
        st.error(str(err))
        return None


def file(text: str, what: str = "file") -> Path | None:
    """As :func:`path`, and the path must be a regular file: one error line for a missing one or a FIFO,
    device or folder (never opened)."""
    found = path(text)
    if found is None:
        return None
    if not found.exists():
        st.error(f"{shown(found)}: no such file on this server; give the path of a {what}.")
    elif not found.is_file():
        st.error(f"{shown(found)}: not a regular file; give the path of a {what}.")
    else:
        return found
    return None


def within() -> tuple[Path, ...] | None:
    """The roots every file a walk or a labels CSV reaches must stay inside (None: anywhere)."""
    return policy().within


def shown(server_path: str | Path) -> str:
    """A server path as a page may print it (public mode: relative to its root, or the file name only),
    escaped for markdown."""
    return plain(policy().shown(server_path))


def shown_spec(spec: str) -> str:
    """A run's data spec as a page may print it: a ``labels:PATH`` with the path as :func:`shown` names it."""
    try:
        parsed = parse(spec)
    except ValueError:
        return spec
    return "labels:" + policy().shown(str(parsed.path)) if parsed.kind == "labels" and policy().public else spec


def may_delete() -> bool:
    """Whether this visitor may delete runs (never in public mode)."""
    return not policy().public


def may_train() -> bool:
    """Whether this visitor may start training."""
    return policy().training


def started(run_id: str) -> None:
    """Note that this session started ``run_id`` (so it may stop it)."""
    st.session_state.setdefault("_guard_started", set()).add(run_id)


def may_stop(run_id: str) -> bool:
    """Whether this visitor may stop a run: off public mode anyone; in public mode only runs this session
    started."""
    return not policy().public or run_id in st.session_state.get("_guard_started", set())
