"""No page caches a function that takes or makes Streamlit elements: a cache hit replays no elements, so an
element passed in (a progress bar, a callback drawing one) breaks the replay, and one made inside is lost."""
from __future__ import annotations

import ast

import pytest

from core import paths

FILES = sorted(p for folder in ("views", "ui") for p in (paths.ROOT / folder).glob("*.py"))


def cached_functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
                "cache_data" in ast.unparse(d) or "cache_resource" in ast.unparse(d) for d in node.decorator_list):
            yield node


def problems(path) -> list[str]:
    found = []
    for function in cached_functions(ast.parse(path.read_text())):
        for arg in function.args.args + function.args.kwonlyargs:
            if arg.arg.startswith("_"):  # left out of the cache key: how elements and callbacks get in
                found.append(f"{function.name}() takes unhashed argument {arg.arg}")
        for node in (n for statement in function.body for n in ast.walk(statement)):
            if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("st."):
                found.append(f"{function.name}() calls {ast.unparse(node.func)}")
    return found


def test_the_check_sees_the_defect_it_guards_against(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import streamlit as st\n@st.cache_data(show_spinner=False)\n"
                    "def f(data, _progress=None):\n    st.progress(0.5)\n    return data\n")
    assert problems(page) == ["f() takes unhashed argument _progress", "f() calls st.progress"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cached_functions_take_and_make_no_elements(path):
    assert problems(path) == []
