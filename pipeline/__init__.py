"""tokenmill's dataflow. Modules here are pure unless they live in `pipeline.transforms` or are the
runner glue (`run.py`, `cli.py`, `preflight.py`, and the functions of `output_safety.py` that read or
change the output directory): only those import Apache Beam."""
