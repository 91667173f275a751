import pytest


@pytest.fixture(scope="session")
def report_run(tmp_path_factory):
    """One small run for the report tests (tests/pipeline/report_run.py), shared by them."""
    from tests.pipeline.report_run import report_run as run

    return run(tmp_path_factory.mktemp("report"))
