"""Files the pages offer for download, safe to open in a spreadsheet."""
from __future__ import annotations

import pandas as pd

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula to Excel, LibreOffice, Sheets


def without_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells starting with a formula character get a leading ``'`` (OWASP's
    CSV injection advice), so ``=HYPERLINK(...)`` from a catalog reads as text; numbers are left as they are."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].astype(object).map(_as_text)
    return out


def _as_text(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_LEADS) else value


def csv_bytes(frame: pd.DataFrame, **to_csv) -> bytes:
    """``frame`` as UTF-8 CSV for a download button, formula cells neutralised (:func:`without_formulas`)."""
    return without_formulas(frame).to_csv(**to_csv).encode()
