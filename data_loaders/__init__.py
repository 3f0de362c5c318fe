"""Ingestion: files as teams have them, checked row by row and merged as one batch.

``kinds`` declares every file kind once; ``importer.import_file`` runs the stages (``read``,
``headers``, ``parse``, ``checks`` and ``row_rules``, ``rows``, ``staging``, ``merge``,
``parallel``). No Streamlit here.
"""
