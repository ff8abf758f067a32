"""train.py's Ray flags (cli/ray_options.py): checked at parse time, before torch or Ray is imported."""

import pytest

import train


def test_ray_flags_are_off_by_default():
    args = train.parse_args([])
    assert not args.ray and args.ray_address is None and args.cpus_per_run is None and args.gpus_per_run is None


@pytest.mark.parametrize("argv", [["--ray"], ["--ray-address", "auto"], ["--ray-address", "10.0.0.1:6379", "--gpus-per-run", "0.25"]])
def test_ray_is_asked_for(argv):
    from cli.ray_options import ray_requested

    assert ray_requested(train.parse_args(argv))


@pytest.mark.parametrize("flag", ["--cpus-per-run", "--gpus-per-run"])
def test_resource_flags_without_ray_are_a_usage_error(flag, capsys):
    with pytest.raises(SystemExit) as caught:
        train.parse_args([flag, "1"])
    assert caught.value.code == 2 and f"{flag} needs --ray or --ray-address" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "value"), [("0.25", 0.25), ("1", 1.0), ("3", 3.0)])
def test_a_share_of_one_device_or_whole_devices(text, value):
    assert train.parse_args(["--ray", "--gpus-per-run", text]).gpus_per_run == value
