"""First run on an empty database: load the demo data, or go and upload files."""

import streamlit as st

from dashboard.app import cache, state
from dashboard.demo.data import load_demo

view = state.current()
st.title("Encaisse")
st.markdown(
    view.t("Encaisse measures collection performance and customer satisfaction side by side.")
)
st.info(view.t("The database is empty. Start with the demo data, or upload your own files."))
if view.can("upload"):
    left, right, _ = st.columns([1, 1, 3])
    if left.button(view.t("Load the demo data"), type="primary", key="load_demo"):
        with st.spinner(view.t("Loading the demo data…")):
            load_demo(cache.engine())
        cache.clear()
        st.rerun()
    if right.button(view.t("Upload my files"), key="go_upload"):
        state.switch_to(state.page("data"))
else:
    st.caption(view.t("Ask an uploader or an administrator to load the first files."))
