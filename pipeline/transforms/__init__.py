"""Thin Beam PTransforms wiring the pure modules together; pipeline.job_graph builds the pipeline from them.
The names of the PCollections that pass between them are in `tags`."""
