"""Publishing stage: the lesson manifest, publish targets (fsspec), offline bundles, HLS and
verification."""
