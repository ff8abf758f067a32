"""The data-source registry (sources/__init__.py): one declaration per data set, asked by every command."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from config import DATASETS, EpochRule
from sources import ALL, SOURCES, DataSource, SplitScheme, dataset_choices, source_for, sources_for
from sources.custom import CUSTOM
from sources.videoxum import VIDEOXUM

ROOT = Path(__file__).resolve().parents[2]
# A data set's name compared in code: == / != / in against a quoted name or one of the name constants.
NAME_COMPARISON = re.compile(r"""(==|!=)\s*(VIDEOXUM|CUSTOM|["'](VideoXum|custom|SumMe|TVSum)["'])|(VIDEOXUM|CUSTOM)\s*(==|!=)""")


def test_every_data_set_is_declared_once_in_order():
    assert list(SOURCES) == ["SumMe", "TVSum", VIDEOXUM, "MrHiSum", "MoSu", CUSTOM]
    assert all(isinstance(source, DataSource) for source in SOURCES.values())
    assert [source.spec for source in sources_for(ALL)] == list(DATASETS.values())


def test_the_choices_keep_the_command_lines_order():
    assert dataset_choices() == ["SumMe", "TVSum", "all", "VideoXum", "MrHiSum", "MoSu"]
    assert dataset_choices(opt_in=True) == ["SumMe", "TVSum", "all", "VideoXum", "MrHiSum", "MoSu", "custom"]


def test_an_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'YouCook2'; choose one of SumMe, TVSum, VideoXum, MrHiSum, MoSu, custom or 'all'"):
        source_for("YouCook2")


def test_only_a_source_with_a_validation_split_takes_its_rule():
    assert [name for name, source in SOURCES.items() if source.has_validation] == [VIDEOXUM, "MrHiSum", "MoSu"]
    assert source_for(VIDEOXUM).scheme is SplitScheme.TRAIN_VAL_TEST
    assert "never on test labels" in source_for(VIDEOXUM).rule_problem(EpochRule.BEST_ON_TEST)
    assert source_for("SumMe").rule_problem(EpochRule.BEST_ON_TEST) is None


def test_a_source_refuses_the_common_flags_it_cannot_take():
    videoxum, custom = source_for(VIDEOXUM), source_for(CUSTOM)
    assert videoxum.refusal({"split": [1], "splits": "pgl-sum"}).endswith("leave out --split, --splits")
    assert videoxum.refusal({"splits": "csta"}) is None
    assert custom.refusal({"h5": None}).startswith("--dataset custom reads a file build_dataset.py wrote")
    assert custom.refusal({"h5": Path("x.h5"), "splits": "ca-sum"}).startswith("--splits ca-sum names splits of SumMe and TVSum")
    assert source_for("TVSum").refusal({"split": [2]}) is None


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_declared_synthetic_generator_exists(name):
    source = source_for(name)
    if source.synthetic is None:
        with pytest.raises(ValueError, match="declares no generator"):
            source.synthetic_writer()
    else:
        assert callable(source.synthetic_writer())


def test_the_registry_loads_without_torch_or_numpy():
    code = "import sys, sources, cli.options; print('torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _product_modules() -> list[Path]:
    folders = [path for path in ROOT.iterdir() if path.is_dir() and (path / "__init__.py").is_file() and path.name not in {"tests", "sources"}]
    return sorted([*ROOT.glob("*.py"), *(path for folder in folders for path in folder.rglob("*.py"))])


def test_no_module_outside_sources_compares_a_data_sets_name():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}" for path in _product_modules()
             for number, line in enumerate(path.read_text().splitlines(), 1) if NAME_COMPARISON.search(line)]
    assert found == []


def test_engine_holds_no_module_of_one_data_set():
    assert sorted(path.name for path in (ROOT / "engine").glob("*videoxum*")) == []


def test_videoxum_has_its_own_route_and_the_benchmarks_share_the_folds_route():
    from sources import own_route

    assert own_route(VIDEOXUM) == "sources.videoxum.commands"
    assert [own_route(choice) for choice in ("SumMe", "TVSum", ALL, CUSTOM)] == [None] * 4
    route = source_for(VIDEOXUM).route_module()
    assert all(callable(getattr(route, hook)) for hook in ("claim_training", "train", "evaluation", "ablation_inputs", "ablate"))


def test_engine_loads_no_modules_of_one_data_set():
    engine = sorted(f"engine.{path.stem}" for path in (ROOT / "engine").glob("*.py") if path.stem != "__init__")
    code = (f"import importlib, sys; [importlib.import_module(m) for m in {engine!r}]; "
            "print(sorted(m for m in sys.modules if m.startswith('sources.') and m.count('.') > 1))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_new_source_is_one_entry_that_every_command_line_offers(monkeypatch, capsys):
    """A source added to SOURCES alone: --dataset offers it, its own flag is in --help, refused with another --dataset."""
    from dataclasses import dataclass

    import inference
    import train
    from sources.source import SourceFlag

    @dataclass(frozen=True)
    class Fake(DataSource):
        def refusal(self, given):
            return "--dataset Fake takes no --split" if given.get("split") else None

    flag = SourceFlag("--fake-file", "fake_file", value=Path, metavar="PATH", help="with --dataset Fake: its file",
                      misuse="--fake-file is Fake's: use it with --dataset Fake, not --dataset {dataset}")
    fake = Fake(name="Fake", scheme=SplitScheme.FOLDS, protocol="made up", report_rows=(), synthetic=None, choice_help="one made up here",
                flags=(flag,), flag_group="Fake's data (--dataset Fake)")
    monkeypatch.setitem(SOURCES, "Fake", fake)
    for script in (train, inference):
        args = script.parse_args(["--dataset", "Fake", "--fake-file", "f.h5"])
        assert args.fake_file == Path("f.h5") and sources_for(args.dataset) == [fake]
        for argv, message in ((["--dataset", "SumMe", "--fake-file", "f.h5"], "--fake-file is Fake's: use it with --dataset Fake, not --dataset SumMe"),
                              (["--dataset", "Fake", "--split", "1"], "--dataset Fake takes no --split")):
            with pytest.raises(SystemExit):
                script.parse_args(argv)
            assert message in capsys.readouterr().err
    help_text = " ".join(train.build_parser().format_help().split())
    assert "Fake's data (--dataset Fake)" in help_text and "Fake: one made up here" in help_text
