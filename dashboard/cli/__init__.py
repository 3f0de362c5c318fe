"""The ``encaisse`` command line (SPEC.md section 4)."""
