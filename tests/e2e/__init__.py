"""The app end to end: AppTest, a real browser, an installed wheel."""
