"""train.py's training flags as a typed request (engine/train/run_config.TrainingRequest), and the checked plan."""

from __future__ import annotations

import argparse

from cli.method_options import model_choice_from_args
from config import EpochRule
from engine.train.run_config import ProtocolOverrides, TrainingPlan, TrainingRequest, plan_for_request
from sources import DataSource, sources_for


def training_request(args: argparse.Namespace) -> TrainingRequest:
    """The method, its options, the protocol fields given, the epoch rule and the start the flags ask for."""
    overrides = ProtocolOverrides(
        epochs=args.epochs, learning_rate=args.lr, weight_decay=args.weight_decay, grad_clip_norm=args.grad_clip,
        videos_per_step=args.videos_per_step, seed=args.seed, length_factor=args.length_factor,
        lr_decay=getattr(args, "lr_decay", None),
    )
    init = getattr(args, "init", None)
    return TrainingRequest(model_choice_from_args(args), overrides, EpochRule(args.select) if args.select else None,
                           not args.random_init, args.tensorboard, None if init is None else str(init))


def plan_from_args(args: argparse.Namespace, sources: list[DataSource] | None = None) -> TrainingPlan:
    """train.py's flags as a checked plan, as it runs on the chosen data sources (default: those --dataset names)."""
    chosen = sources_for(getattr(args, "dataset", "all")) if sources is None else sources
    return plan_for_request(training_request(args), chosen)
