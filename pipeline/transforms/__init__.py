"""Thin Beam PTransforms wiring the pure modules together; the only Beam code besides run.py."""
