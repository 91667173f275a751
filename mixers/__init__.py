"""Data-mix arithmetic, pure (no Beam, no torch): target fractions (`weights`), per-source token
targets and rates under a budget and repeat caps (`plan`), token-exact document selection
(`selection`) and the realized-versus-target table (`table`). The Beam stage is
pipeline.transforms.mix.MixSources."""
