from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

from pipeline.cli import _split_beam_args
from pipeline.run import pipeline_options


def test_default_and_direct_runner_mean_the_in_process_runner_that_downloads_nothing():
    for args in ([], ["--runner=DirectRunner"], ["--runner", "FnApiRunner"]):
        assert pipeline_options(args).view_as(StandardOptions).runner == "FnApiRunner"


def test_other_runners_and_options_pass_through_unchanged():
    opts = pipeline_options(["--runner=PortableRunner", "--job_endpoint=localhost:8099"])
    assert opts.view_as(StandardOptions).runner == "PortableRunner"
    assert opts.get_all_options()["job_endpoint"] == "localhost:8099"
    local = pipeline_options(["--direct_running_mode=multi_processing", "--direct_num_workers=3"]).view_as(DirectOptions)
    assert local.direct_num_workers == 3 and local.direct_running_mode == "multi_processing"


def test_everything_after_double_dash_goes_to_beam():
    assert _split_beam_args(["run", "c.yaml", "--set", "a=1", "--", "--runner=X", "--"]) == (
        ["run", "c.yaml", "--set", "a=1"], ["--runner=X", "--"])
    assert _split_beam_args(["verify", "d"]) == (["verify", "d"], [])


def test_errors_meant_for_the_user_are_unwrapped_however_the_runner_returns_them():
    from mixers.plan import MixShortfallError
    from pipeline.run import _user_facing_message
    from pipeline.transforms.commit import CommitRefused

    in_process = CommitRefused("too many unreadable records:\n  source 'a' ... [while running 'Commit/Commit']")
    assert _user_facing_message(in_process) == "too many unreadable records:\n  source 'a' ..."
    remote = RuntimeError("Traceback (most recent call last):\n  ...\n"
                          "mixers.plan.MixShortfallError: source 'code' is short by 1,234 tokens [while running 'Mix']")
    assert _user_facing_message(remote) == "source 'code' is short by 1,234 tokens"
    assert _user_facing_message(MixShortfallError("short", {"code": 1})) == "short"
    assert _user_facing_message(RuntimeError("disk full")) is None


def test_a_bad_runner_name_is_a_config_error():
    import pytest

    from pipeline.config_base import ConfigError
    from pipeline.run import _new_pipeline

    with pytest.raises(ConfigError, match="Beam options"):
        _new_pipeline(pipeline_options(["--runner=NoSuchRunner"]))
