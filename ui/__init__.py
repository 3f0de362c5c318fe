"""Streamlit helpers shared by the entrypoint and the pages (the only UI code outside pages/)."""
