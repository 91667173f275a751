"""Failures whose message says all a user needs (the CLI prints it and exits 1, without a traceback).
Torch-free."""


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why and names the file."""
