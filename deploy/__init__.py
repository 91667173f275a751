"""Deployment helpers: a local portable job server (see deploy/README files for Flink and Dataflow)."""
