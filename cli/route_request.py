"""The command line as a data source's own route takes it (sources/source.RouteRequest): VideoXum's train,
evaluation and ablation steps read this typed request, never the argparse namespace."""

from __future__ import annotations

import argparse

from cli.options import data_request
from cli.ray_options import ray_requested
from engine.train.resume_policy import ResumePolicy
from sources import RouteRequest


def route_request(args: argparse.Namespace) -> RouteRequest:
    """The command line as a source's own route takes it (sources/source.RouteRequest); Ray's settings checked
    here when the runs go to Ray."""
    sweep = None
    if hasattr(args, "ray") and ray_requested(args):  # inference.py takes no --ray
        from cli.sweep_command import sweep_config  # here: it loads the training loop (torch)

        sweep = sweep_config(args)
    return RouteRequest(
        data_request(args), device=getattr(args, "device", None), resume=getattr(args, "resume", ResumePolicy.AUTO), sweep=sweep,
        model=getattr(args, "model", None), compare=tuple(getattr(args, "compare", None) or ()), json=getattr(args, "json", None),
        save_scores=getattr(args, "save_scores", None), report=getattr(args, "report", None),
        command_line=tuple(getattr(args, "command_line", ()) or ()), dataset=getattr(args, "dataset", None),
        draws=tuple(getattr(args, "draws", ()) or ()),
    )
