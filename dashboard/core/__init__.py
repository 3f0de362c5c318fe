"""The domain core: periods, money, filters and the late-payment taxonomy. No database, no UI."""
