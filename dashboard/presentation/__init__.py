"""What readers see, without Streamlit: English and French, number formats, charts (pure
functions returning ``alt.Chart``), safe exports, the KPI pack and the generated docs."""
