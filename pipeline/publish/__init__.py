"""Publishing stage: the lesson manifest (``manifest``), what a lesson publishes
(``entries``), publish targets and the catalog (``targets``, fsspec), offline bundles
(``bundle`` + ``page``), HLS (``hls``) and verification (``verify``). Paths from manifests
and the command line are checked in ``paths``; a new publish target kind is an fsspec URL."""
