"""Course generators: one module per backend behind the `Generator` protocol in `base`."""
