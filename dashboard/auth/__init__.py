"""Users, roles, password sign-in with its throttle, and sessions. No Streamlit here."""
