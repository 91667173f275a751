"""Data-mix arithmetic, pure (no Beam, no torch): target fractions (`weights`), per-source token
targets and rates under a budget and repeat caps (`plan`), token-exact document selection
(`selection`) and what the mix sampled against its targets (`table`). The Beam stages are in
pipeline.transforms.mix (PlanMixFromHistograms, ChooseInWindows, CountSampledMix)."""
