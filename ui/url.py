"""Keep a page's view in the URL so that a link opens the same view."""
from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from core.service.urlstate import Param, encode, parse
from ui.guard import plain


def read_view(schema: Mapping[str, Param]) -> dict[str, Any]:
    """The view the URL asks for; a warning in the page for each malformed parameter (shown as plain text).

    Call once at the top of a page and use the values as widget defaults.
    Values are seeded into ``st.session_state`` under the parameter names only
    on the first run of the page in a session, so later widget moves win.
    """
    values, warnings = parse(st.query_params.to_dict(), schema)
    for message in warnings:
        st.warning(plain(message), icon="⚠️")
    return values


def seed_widgets(values: Mapping[str, Any]) -> None:
    """Put URL values into widget state (keys = parameter names) if not set yet."""
    for name, value in values.items():
        if name not in st.session_state:
            st.session_state[name] = value


def write_view(values: Mapping[str, Any], schema: Mapping[str, Param]) -> None:
    """Replace this page's parameters in the URL with ``values`` (defaults left out)."""
    wanted = encode(values, schema)
    current = st.query_params.to_dict()
    for name in schema:
        if name in current and name not in wanted:
            del st.query_params[name]
    for name, text in wanted.items():
        if current.get(name) != text:
            st.query_params[name] = text


def fall_back(name: str, options, fallback: Any, warning: str) -> None:
    """Where the widget ``name`` holds a value (from a link) that is no longer among ``options`` (any container:
    a list, a pandas index): one warning (``warning`` with ``{value}`` replaced by the value as plain text; none
    for an empty value) and ``fallback`` instead."""
    value = st.session_state.get(name)
    if value not in options:
        if value:
            st.warning(warning.replace("{value}", plain(value)), icon="⚠️")
        st.session_state[name] = fallback
