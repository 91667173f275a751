"""tokenmill's dataflow. Modules here are pure (neither Beam nor torch) unless they live in
`pipeline.transforms` or are the runner's glue: `job_graph.py`, `run.py`, `cli.py`, `preflight.py`, `spill.py`, `fileio.py`,
`output_safety.py`, and the planner's sampling (`plan/sample.py`, `plan/build_cli.py`). The layers and the
rules between them are in docs/architecture.md ("Layers") and checked by tests/test_layers.py."""
