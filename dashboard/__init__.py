"""Encaisse: collection performance and customer satisfaction.

Packages, each depending only on those above it in this list (``tests/unit/test_layers.py``):
``core`` (periods, money, filters, taxonomy) ← ``storage`` (models, migrations, store) ←
``metrics``, ``auth`` and ``data_loaders`` (ingestion) ← ``presentation`` and ``demo`` ←
``app`` (Streamlit shell, with ``pages/``) and ``cli``.
"""
