"""tokenmill's dataflow. Modules here are pure unless they live in `pipeline.transforms` or are the
runner glue (`run.py`, `cli.py`): only those import Apache Beam."""
