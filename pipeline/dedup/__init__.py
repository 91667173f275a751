"""Pure logic of the deduplication stages (no Beam, no torch): URL normalization, MinHash signatures,
LSH band keys, the star rounds of distributed connected components, and repeated-line removal. The
Beam wiring lives in pipeline/transforms/dedup_*.py and pipeline/transforms/components.py."""
