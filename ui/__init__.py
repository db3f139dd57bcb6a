"""Streamlit glue shared by the pages (URL state, cached loaders). Logic lives in core."""
