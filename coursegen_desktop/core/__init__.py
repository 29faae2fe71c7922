"""The headless core: everything that can run and be tested without a window. Never imports Qt."""
