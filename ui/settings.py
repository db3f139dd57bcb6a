"""This server's policy (public mode, roots, limits) from the environment and Streamlit secrets."""
from __future__ import annotations

import os

import streamlit as st

from core.estimate.analysis_pool import IDLE_S, AnalysisPool
from core.service.access import Policy
from core.service.workload import Gate


def _secrets() -> dict:
    try:
        return {name: st.secrets[name] for name in st.secrets if name.startswith("KEYSCOPE_")}
    except FileNotFoundError:  # no secrets.toml: the environment alone decides
        return {}


def policy() -> Policy:
    """The policy: ``KEYSCOPE_*`` environment variables, else the same names in Streamlit secrets
    (Community Cloud). Read on every run, so it is never stale."""
    return Policy.from_settings({**_secrets(), **{k: v for k, v in os.environ.items() if k.startswith("KEYSCOPE_")}})


@st.cache_resource
def gate(workers: int) -> Gate:
    """The one gate all sessions share for heavy analyses (predictions, baselines)."""
    return Gate(workers)


@st.cache_resource
def analysis_pool(workers: int) -> AnalysisPool:
    """The worker processes all sessions share for untrusted audio (one per slot of :func:`gate`); they exit
    after ``KEYSCOPE_WORKER_IDLE_S`` seconds without work (default 300)."""
    return AnalysisPool(workers, idle_s=float(os.environ.get("KEYSCOPE_WORKER_IDLE_S", IDLE_S)))


