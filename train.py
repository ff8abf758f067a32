"""Train CSTA (any variant), PGL-SUM, CA-SUM or SummDiff on SumMe and/or TVSum, split by split, each with its
authors' protocol and epoch rule unless told otherwise.

Writes weights/<dataset>/split<k>.pt (the released layout), with a JSON record (the method, its
options, the protocol, the rule that chose the epoch) and the training curve (split<k>_curve.png)
beside each; inference.py rebuilds the model from the record. With several --seeds:
weights/<dataset>/seed<S>/split<k>.pt and a table of mean ± std over the seeds.

The authors' protocols (each flag below overrides one field):
  CSTA     100 epochs, lr 0.001, weight decay 1e-07, no clipping, 1 video per step, seed 123456, --select test
  PGL-SUM  200 epochs, lr 5e-05, weight decay 1e-05, clip 5, 20/40 videos per step (SumMe/TVSum), seed 12345,
           --select loss-curve
  CA-SUM   400 epochs, lr 0.0005, weight decay 1e-05, clip 5, 20/40 videos per step, seed 12345, --select min-loss,
           one run per length factor 0.5/0.6/0.7/0.8/0.9, then its authors' choice among them
  SummDiff 45 epochs, lr 3e-05, weight decay 0.0005 on SumMe (TVSum: 200 epochs, lr 0.0003, weight decay 0.005),
           no clipping, 20/40 videos per step with a last smaller one and a length-weighted mean loss, seed 204,
           --select test-tau (best test tau alone); SumMe trains on each annotator's scores (--individual)
Rules that look at the test labels (test) are labelled so in every table and record.

Every run keeps a checkpoint in split<k>.run/ beside its weights after each epoch (CA-SUM: one per
sigma): the same command run again continues a killed run and skips a finished one (--restart starts
over). Under ``torchrun --nproc_per_node N train.py ...`` the N processes train each model together
(DistributedDataParallel; PGL-SUM and CA-SUM keep their authors' step of k videos, shared over the N
processes; CSTA's one video per step becomes N: docs/scale-out.md), and rank 0 writes.

--dataset VideoXum --data-dir DIR [--features NAME]: VideoXum's own train/val/test split, streamed
from DIR/feat/NAME/; the model is sized from the feature dimension; the epoch is chosen on the
validation split (CSTA's rule there: --select validation) and the test split is scored once at the
end. Weights: weights/VideoXum/split1.pt. It resumes, runs under torchrun and on Ray (a task per
seed) as above; CA-SUM's choice among sigmas compares the validation split's mean scores.

Own data: --dataset custom --h5 my.h5 trains on a file build_dataset.py wrote (weights/my/split<k>.pt;
folds from --splits-file, else five random folds from the seed, written to weights/my/splits_seed<S>.json
and reused). --init PATH fine-tunes from compatible weights (e.g. weights/TVSum/split1.pt) at --lr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.interrupt import stops_on_interrupt
from cli.method_options import add_model_arguments
from cli.options import (
    POSITIVE,
    add_common_arguments,
    add_resume_arguments,
    add_seed_argument,
    add_seeds_argument,
    check_common_arguments,
    command_parser,
    data_request,
    number_in,
    setup_logging,
)
from cli.ray_options import add_ray_arguments, check_ray_arguments, ray_requested  # --ray: engine/scale/ray_sweep.py
from cli.route_request import route_request
from config import EpochRule
from engine.run_outputs import ClaimedOutputs, Fallback, claim_outputs, where_outputs_go
from engine.run_paths import training_outputs, weights_path_for
from engine.scale.launch import Launch, current_launch
from sources import own_route, sources_for
from utils.collector import loading_without_collections
from utils.errors import ProjectError

if TYPE_CHECKING:  # torch is imported only once the run is known to be possible
    import torch

    from engine.train.run_config import TrainingPlan
    from sources.folds import RunData

log = logging.getLogger("train")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, custom=True)  # --dataset custom --h5 PATH [--f1]: a data set build_dataset.py wrote
    add_model_arguments(parser)
    protocol = parser.add_argument_group("training protocol (default: the method's authors'; see above)")
    protocol.add_argument("--epochs", type=POSITIVE, help="epochs per split, from 1")
    seeds = protocol.add_mutually_exclusive_group()
    add_seed_argument(seeds, help="random seed (0 to 2**32-1), applied at the start of every split (and sigma)")
    add_seeds_argument(
        seeds,
        help="train every split once per seed; with more than one seed the weights go to <dataset>/seed<S>/split<k>.pt "
        "and a mean ± std table over the seeds is printed (the paper reports ten runs)",
    )
    protocol.add_argument("--lr", type=number_in(0.0, open_ends=True), help="Adam's learning rate")
    protocol.add_argument("--weight-decay", type=number_in(0.0), help="Adam's L2 weight decay")
    protocol.add_argument("--lr-decay", type=number_in(0.0, 1.0, none_is=1.0), metavar="GAMMA",
                          help="multiply the learning rate by GAMMA after every epoch (SummDiff's authors on Mr.HiSum: 0.99; "
                          "1 or none: a constant rate, every other method's)")
    protocol.add_argument("--grad-clip", type=number_in(0.0, none_is=0.0), metavar="NORM",
                          help="clip the total gradient norm before each step; 0 or none: no clipping")
    protocol.add_argument("--videos-per-step", type=POSITIVE, metavar="N",
                          help="videos whose gradients are summed before one optimiser step, on every dataset")
    protocol.add_argument("--select", choices=[rule.value for rule in EpochRule],
                          help="which epoch's weights to keep: test (CSTA's: best test tau and rho; looks at test labels), "
                          "loss-curve (PGL-SUM's), min-loss (CA-SUM's: minimum training loss after epoch 20), last, "
                          "test-tau (SummDiff's: best test tau alone, ties to the later epoch; looks at test labels)")
    protocol.add_argument("--length-factor", type=number_in(0.0, 1.0, open_ends=True), metavar="SIGMA",
                          help="CA-SUM: one run with this length factor sigma (0 to 1) instead of its authors' sweep over "
                          "0.5-0.9 and their choice among them")
    protocol.add_argument("--random-init", action="store_true",
                          help="start CSTA's CNN trunk from random weights instead of ImageNet (not the paper's setting)")
    protocol.add_argument("--init", metavar="PATH",
                          help="fine-tune: every split starts from these weights (any compatible file, e.g. weights/TVSum/split1.pt; "
                          "{split} in PATH stands for the split's number), checked before the first epoch; --lr sets its "
                          "learning rate; the record names the file and its sha256")
    parser.add_argument("--tensorboard", type=Path, metavar="DIR",
                        help="also log loss, F1, tau and rho per epoch for TensorBoard under DIR/<method>/<dataset>/split<k>")
    add_ray_arguments(parser)  # --ray, --ray-address, --cpus-per-run, --gpus-per-run
    add_resume_arguments(parser)  # --resume, --restart
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    check_ray_arguments(parser, args)
    if args.init is not None and args.random_init:
        parser.error("--init starts every weight from a file, so --random-init has nothing to do: give one or the other")
    if args.init is not None and not _init_fields_ok(args.init):
        parser.error(f"--init {args.init}: the only field a path may hold is {{split}} (the split's number)")
    return args


def _init_fields_ok(path: str) -> bool:
    """No braces in an --init path other than the {split} field."""
    rest = path.replace("{split}", "")
    return "{" not in rest and "}" not in rest


def _kept_when_interrupted(args: argparse.Namespace) -> str:
    """What a Ctrl-C leaves: weights are written whole once a split ends, checkpoints replaced after every epoch."""
    return (f"the finished splits' weights and each unfinished run's checkpoint (its last finished epoch, in split<k>.run/) "
            f"are kept under {args.weights_dir}; run the same command again to continue (--restart to start over)")


@stops_on_interrupt(_kept_when_interrupted)
def main(args: argparse.Namespace) -> int:
    """Check the data and every output, then train (torch is imported only then).

    Returns:
        0 when every output is where it was asked for; 1 when some had to be kept elsewhere (the
        disk filled during the run: the log says where); 2 when the run was refused (a message names why);
        130 when stopped by Ctrl-C (one line says what was kept).
    """
    setup_logging()
    try:
        from cli.training_request import plan_from_args  # the method's defaults, checked before any data is read; no torch

        plan = plan_from_args(args)
        launch = current_launch()  # under torchrun only rank 0 claims, locks and writes the outputs
        if launch.distributed and ray_requested(args):
            log.error("error: --ray starts its own processes; run it without torchrun")
            return 2
        if not launch.is_main:
            logging.getLogger().setLevel(logging.WARNING)
        seeds = list(dict.fromkeys(args.seeds or [plan.seed]))
        several = len(seeds) > 1
        route = own_route(args.dataset)
        if route is not None:  # a source with its own split trains through its own module (VideoXum's: sources/videoxum/)
            data, claim = import_module(route).claim_training(route_request(args), plan, seeds, main=launch.is_main)  # reads and checks its splits
            if launch.is_main:
                log.info("%s", where_outputs_go("weights", Path(args.weights_dir) / args.dataset))
            with claim:
                return _train(args, plan, data, seeds, claim.fallback, launch)
        from sources.folds import open_run_data  # numpy and h5py, not yet torch

        data = open_run_data(sources_for(args.dataset), data_request(args), need_train=True, folds_seed=plan.seed)  # a built data set's folds: from --seed, else the method's
        jobs = data.jobs
        plan = plan.with_videos_per_step([spec.name for spec, _, _ in jobs], args.videos_per_step)  # a built data set's too
        plan = _sized_for_features(plan, jobs)  # a data set built with another --backbone: a model of its width
        for spec, _, splits in jobs:
            for split in splits:
                plan.check_training_set(spec.name, split.number, len(split.train_keys))
        weights = [weights_path_for(args.weights_dir, spec.name, split.number, seed if several else None)
                   for seed in seeds for spec, _, splits in jobs for split in splits]
        claim = claim_outputs([path for w in weights for path in training_outputs(w)] + list(data.new_splits),
                              inputs=data.inputs, lock=weights) if launch.is_main else ClaimedOutputs()
        if launch.is_main:
            log.info("%s", where_outputs_go("weights", *dict.fromkeys(path.parent for path in weights)))
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    with claim:
        try:
            return _train(args, plan, data, seeds, claim.fallback, launch)
        except (ProjectError, OSError) as error:
            log.error("error: %s", error)
            return 2


def _sized_for_features(plan: TrainingPlan, jobs: list) -> TrainingPlan:
    """The model's input width set to the data's, as on VideoXum (engine.train.run_config.sized_for_features):
    features of another backbone than GoogLeNet (build_dataset.py --backbone) train a model of their
    width from scratch; the record keeps the width, so inference.py builds the same model."""
    (width,) = {benchmark.feature_dim for _, benchmark, _ in jobs}  # the benchmarks are all 1024-d; a built data set is alone
    if width == plan.model_config.feature_dim:
        return plan
    log.info("%s: %d-d features; the model's input is sized for them", jobs[0][0].name, width)
    return plan.sized_for(width)


def _trunk_weights_available(plan: TrainingPlan) -> bool:
    """Whether the ImageNet weights of CSTA's trunk can be had (fail now, not after the first dataset); logs why not."""
    from models.backbone import BackboneInit, BackboneWeightsUnavailable, build_backbone

    trunk = plan.spec.trunk_spec(plan.model_config)
    if trunk is not None and plan.imagenet_init:
        try:
            build_backbone(trunk, BackboneInit.IMAGENET)
        except BackboneWeightsUnavailable as error:
            log.error("error: %s\nOr train from a randomly initialised trunk with --random-init (not the paper's setting).", error)
            return False
    return True


def _train(args: argparse.Namespace, plan: TrainingPlan, data: RunData | Any, seeds: list[int], fallback: Fallback,
           launch: Launch) -> int:
    """The work, once the inputs are read and every output is known to be writable."""
    with loading_without_collections():  # torch's, the models' and the training loop's objects: see utils/collector.py
        from engine.scale import torchrun as distributed  # noqa: F401 - the training loop's imports made here, not inside a run

    # joins torchrun's process group, if any (Ray workers choose their own devices)
    device = None if ray_requested(args) else distributed.start(launch, args.device)
    try:
        route = own_route(args.dataset)
        if route is not None:
            return import_module(route).train(route_request(args), plan, data, seeds, fallback, device) if _trunk_weights_available(plan) else 2
        return _train_runs(args, plan, data, seeds, fallback, device)
    finally:
        distributed.stop()


def _train_runs(args: argparse.Namespace, plan: TrainingPlan, data: RunData, seeds: list[int], fallback: Fallback,
                device: torch.device | None) -> int:
    from engine.evaluate.seed_spread import seeds_table, spread_over_seeds
    from engine.reports.tables import labels
    from engine.train.fine_tune import check_init_weights
    from engine.train.loop import train_method_split, trunk_init
    from evaluation.protocol import mean_metrics
    from models.backbone import BackboneOrigin, trunk_origin

    several = len(seeds) > 1
    on_ray = ray_requested(args)
    device = f"Ray workers ({args.device or 'CUDA where the cluster has GPUs, else CPU'})" if on_ray else device
    trunk = plan.spec.trunk_spec(plan.model_config)
    if not _trunk_weights_available(plan):
        return 2

    jobs = data.jobs
    for path in check_init_weights(plan, sorted({split.number for _, _, splits in jobs for split in splits})):
        log.info("fine-tuning from %s (checked against the %s model)", path, plan.method)
    for path in data.write_new_splits():
        log.info("wrote %s (random folds of %s; reused by the next run and by inference.py)", path, jobs[0][0].name)
    origin = trunk_origin(trunk_init(plan), trunk) if trunk is not None else None
    stand_in = origin is BackboneOrigin.STAND_IN or any(benchmark.stand_in_features for _, benchmark, _ in jobs)
    log.info("device: %s | %s | seed(s): %s | trunk: %s", device, plan.describe([spec.name for spec, _, _ in jobs]), " ".join(map(str, seeds)),
             origin.describe(trunk) if origin is not None else "none")
    synthetic = {spec.name: benchmark.synthetic for spec, benchmark, _ in jobs}
    if on_ray:  # the same runs as Ray tasks, the same files (engine/scale/ray_sweep.py)
        from cli.sweep_command import train_on_ray

        results = train_on_ray(args, plan, jobs, seeds, fallback)
        for seed in seeds:
            _log_seed_table(seed, several, results[seed], synthetic, stand_in)
    else:
        results = {}
        for seed in seeds:
            results[seed] = []
            for spec, benchmark, splits in jobs:
                label = " (SYNTHETIC data)" if benchmark.synthetic else ""
                log.info("%s%s: %d videos from %s; training %d split(s), seed %d",
                         spec.name, label, len(benchmark.videos), benchmark.h5_path, len(splits), seed)
                for split in splits:
                    result = train_method_split(benchmark, split, plan.with_seed(seed), device, args.weights_dir, seed_folder=several,
                                                fallback=fallback, resume=args.resume)
                    log.info("%s split %d: kept epoch %d (%s) -> %s", spec.name, split.number, result.best_epoch, result.rule_label,
                             result.weights_path)
                    results[seed].append(result)
            _log_seed_table(seed, several, results[seed], synthetic, stand_in)
    _log_deployment(jobs, results[seeds[0]])
    if several:
        spreads = [
            spread_over_seeds(spec.name, {seed: mean_metrics([r.metrics for r in runs if r.dataset == spec.name]) for seed, runs in results.items()})
            for spec, _, _ in jobs
        ]
        log.info("\nMean over splits, then mean ± std over %d seeds:\n%s", len(seeds), seeds_table(spreads, labels(any(synthetic.values()), stand_in).strip()))
    return fallback.exit_status(log)


def _log_deployment(jobs: list, results: list) -> None:
    """Which weights file to summarise new videos with (engine/reports/deployment.py), after the tables."""
    from engine.reports.deployment import deployment_advice

    train_videos = {(spec.name, split.number): len(split.train_keys) for spec, _, splits in jobs for split in splits}
    for line in deployment_advice(results, train_videos):
        log.info("\n%s", line)


def _log_seed_table(seed: int, several: bool, results: list, synthetic: dict[str, bool], stand_in: bool) -> None:
    from engine.reports.tables import training_table

    title = f"Test metrics of the kept epochs (seed {seed})" if several else "Test metrics of the kept epochs"
    log.info("\n%s:\n%s", title, training_table(results, synthetic, stand_in))


def run() -> None:
    """The command line (``python train.py`` and the installed console command, pyproject.toml [project.scripts])."""
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
