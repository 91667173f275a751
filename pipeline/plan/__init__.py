"""`tokenmill plan`: what a training run (`plan train`) and a data build (`plan build`) will cost, before
paying for them. The arithmetic (memory, chinchilla, train_plan, extrapolate, render) is pure: neither
torch nor Beam. Only the build plan's sampling and measuring (sample, measure, sample_run, build_cli) run
the pipeline."""
