"""How a method's training plan runs on Mr.HiSum and MoSu (sources/replay/__init__.py's plan_for)."""

import pytest

from config import EpochRule
from engine.train.run_config import ProtocolOverrides, plan_for
from models.method_choice import ModelChoice
from models.summdiff_config import SummDiffConfig
from sources.mosu import MOSU_SOURCE
from sources.mrhisum import MRHISUM_SOURCE


@pytest.mark.parametrize(("source", "method", "config", "expected"), [
    (MRHISUM_SOURCE, "SummDiff", SummDiffConfig(), 256),  # the authors' train_mrhisum.sh batch
    (MRHISUM_SOURCE, "CSTA", None, 1),  # no author gave one: one video per step
    (MOSU_SOURCE, "SummDiff", SummDiffConfig(), 1),
])
def test_a_methods_own_videos_per_step_for_the_data_set_holds_and_the_flag_wins(source, method, config, expected):
    plan = source.plan_for(plan_for(ModelChoice(method, config)), None)
    assert plan.protocol.videos_per_step_for(source.name) == expected
    assert plan.rule is EpochRule.BEST_ON_VALIDATION
    asked = source.plan_for(plan_for(ModelChoice(method, config), ProtocolOverrides(videos_per_step=4)), 4)
    assert asked.protocol.videos_per_step_for(source.name) == 4
