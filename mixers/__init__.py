"""Data-mix arithmetic, pure (no Beam, no torch): target fractions (`weights`), per-source token
targets and rates under a budget and repeat caps (`plan`), token-exact document selection
(`selection`) and the realized-versus-target table (`table`). The Beam stages are in
pipeline.transforms.mix (PlanMixFromHistograms, ChooseInWindows, MixTable)."""
