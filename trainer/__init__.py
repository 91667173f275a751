"""The bundled streaming trainer: `tokenmill train TRAIN.yaml` pretrains a GPT on the shards
`tokenmill run` writes (see deploy/TRAINING.md). Torch is imported only by data, model, checkpoint,
distributed and train; the rest is plain Python, numpy and pyarrow."""
