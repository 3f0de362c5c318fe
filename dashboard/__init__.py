"""Encaisse core: store, metric layer, charts and command line (no Streamlit imports here)."""

__version__ = "0.1.0"
