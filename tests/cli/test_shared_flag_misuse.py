"""A data set's own flag that several data sets declare (--workers, --protocol), given with a data set that takes none of
them: the usage error names every data set that takes it, not only the first to declare it (cli/options.py)."""

import pytest

import train
from sources import SOURCES


@pytest.mark.parametrize(("argv", "takers", "given"), [
    (["--dataset", "SumMe", "--workers", "3"], ["VideoXum", "MrHiSum", "MoSu"], "SumMe"),
    (["--workers", "1"], ["VideoXum", "MrHiSum", "MoSu"], "all"),
    (["--dataset", "VideoXum", "--protocol", "mrhisum"], ["MrHiSum", "MoSu"], "VideoXum"),
    (["--dataset", "TVSum", "--limit", "5"], ["MrHiSum", "MoSu"], "TVSum"),
])
def test_a_shared_flag_names_every_data_set_that_takes_it(argv, takers, given, capsys):
    with pytest.raises(SystemExit) as caught:
        train.parse_args(argv)
    error = capsys.readouterr().err
    assert caught.value.code == 2
    assert all(name in error for name in takers) and f"not --dataset {given}" in error
    declared = [name for name, source in SOURCES.items() if any(flag.option == argv[-2] for flag in source.flags)]
    assert sorted(declared) == sorted(takers)  # the registry's takers, each named


def test_a_flag_of_one_data_set_keeps_its_own_message(capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--dataset", "MoSu", "--layout", "auto"])
    assert "--layout says which release of Mr.HiSum --data-dir holds: it needs --dataset MrHiSum, not --dataset MoSu" in capsys.readouterr().err
