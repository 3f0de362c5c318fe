"""The synthetic demo dataset: a realistic story a new user can look at."""
