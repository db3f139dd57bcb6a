"""Charts more than one page draws."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st


def training_curves(history: pd.DataFrame, key: str) -> None:
    """Loss and accuracy per epoch (training and validation) side by side; nothing before the first epoch."""
    if history.empty:
        return
    left, right = st.columns(2)
    for column, metric, title in ((left, "loss", "Loss"), (right, "accuracy", "Accuracy")):
        column.plotly_chart(px.line(history, x="epoch", y=[c for c in history if c.endswith(metric)], title=title),
                            key=f"{key}_{metric}")
