"""The Streamlit shell: the entrypoint that routes the pages, the login gate, filters bound to
the URL, the UI cache and reusable widgets. With ``pages/``, the only code that imports
Streamlit."""
