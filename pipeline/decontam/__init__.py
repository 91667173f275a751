"""Decontamination: evaluation examples found in training documents, by n-gram (pure: no Beam, no torch).

ngrams: normalization and n-gram keys; index: the evaluation index and the matcher; decide: what happens
to one document; report: report.json's "decontamination" section. The Beam part (reading the evaluation
sets once, applying the decision in the curate pass) is pipeline.transforms.decontam.
"""
