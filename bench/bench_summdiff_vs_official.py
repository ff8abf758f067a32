"""Our SummDiff (models/summdiff.py) against the authors' code, run from a checkout outside the project.

    git --git-dir=<mirror of Kwanseok-K/SummDiff> archive HEAD | tar -x -C /tmp/official/summdiff
    python bench/bench_summdiff_vs_official.py --official /tmp/official/summdiff [--timing]

The authors' classes are imported in a child process (this script with --child), so nothing of
theirs enters the project. Their code imports timm's Mlp and einops' repeat, which the compared
paths never call, and moves tensors with .cuda(): the child gives it empty stand-ins for the two
packages and makes .cuda() a no-op, so it runs on the CPU as it is. Checked, per configuration

(SumMe's, TVSum's and Mr.HiSum's options, the last with the dit denoiser, with their null video file):

- initial weights: the same seed builds the same state_dict (keys, shapes, values);
- loading: our state_dict loads into their model with strict=True (and theirs into ours);
- training: from the same weights, seed, features and target, the loss of one video (their
  solver's clamp and unconditional drop, their model's forward and criterion) and its gradients;
- sampling: from the same weights, seed and features, the DDIM scores with guidance;
- EMA (their --ema, Mr.HiSum's setting): our engine/train/ema.py attached to Adam over EMA_STEPS training steps
  of our model, against their solver's update_ema applied to the same sequence of weights, from the copy
  they make when training starts (decay 0, then the decay), at their decay 0.999 and at 0.9; every entry
  of the averaged state_dict (parameters and buffers) is compared.
- two epochs side by side (SumMe's latentmlp and Mr.HiSum's dit options): our loop (engine/train/epoch.py, one video
  at a time, losses weighed by length) against their solver's (padded batches of 3, masked MSE), Adam at their rates,
  from the same weights, order and seeds: every step's loss and the final weights. Exact only without dropout (every
  layer's off on both sides) and without the unconditional drop (their batch draws those at once, ours per video), on
  videos of one length (their noise is drawn at the padded length).

--timing adds our CPU sampling time per video at SumMe's and TVSum's lengths and a full
evaluation of five SumMe-sized splits (25 test videos) with the authors' 10 steps.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from models.summdiff import build_summdiff
from models.summdiff_config import Denoiser, SummDiffConfig

ROOT = Path(__file__).resolve().parents[1]

CASES = {"SumMe": 60, "TVSum": 97, "MrHiSum": 120}  # data set -> steps of the compared video (Mr.HiSum: the dit denoiser)
_THEIR_DENOISER = {Denoiser.LATENT_MLP: "latentmlp", Denoiser.DIT: "DiT"}  # their --denoiser spellings
EMA_STEPS = 5  # optimiser steps over which the moving averages are compared
EMA_DECAYS = (0.999, 0.9)  # the authors' default, and one that moves the average visibly in a few steps


def _child(job_path: str) -> None:
    """Runs the authors' model on the job's inputs; writes their outputs beside the job."""
    import importlib.machinery  # noqa: PLC0415
    import types  # noqa: PLC0415

    def stand_in(name: str) -> types.ModuleType:  # an empty module, with the spec torch's import scans look for
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        return module

    job = json.loads(Path(job_path).read_text())
    official = Path(job["official"]).resolve()  # their folder first on the path, this project's off it
    ours = {ROOT, ROOT / "bench"}
    sys.path[:] = [str(official)] + [p for p in sys.path if p and Path(p).resolve() not in ours]
    timm = stand_in("timm")
    for name in ("timm.models", "timm.models.vision_transformer"):
        sys.modules[name] = stand_in(name)
    sys.modules["timm"] = timm
    sys.modules["timm.models.vision_transformer"].Mlp = None
    einops = stand_in("einops")
    einops.repeat = None
    sys.modules["einops"] = einops
    torch.Tensor.cuda = lambda self, *args, **kwargs: self  # their code calls .cuda() on fresh tensors
    try:  # their solver imports scikit-learn for a metric the EMA comparison never calls
        import sklearn.metrics  # noqa: F401, PLC0415
    except ImportError:
        sklearn = stand_in("sklearn")
        sklearn.metrics = stand_in("sklearn.metrics")
        sklearn.metrics.average_precision_score = None
        sys.modules["sklearn"], sys.modules["sklearn.metrics"] = sklearn, sklearn.metrics
    import copy  # noqa: PLC0415

    from model.solver import requires_grad, update_ema  # noqa: PLC0415
    from networks.summ_diff.summ_diff import build_model  # noqa: PLC0415

    out = {}
    inputs = torch.load(job["inputs"])
    null = torch.from_numpy(np.load(Path(job["official"]) / "dataset" / "null_video.npy"))
    for case in job["cases"]:
        values = {"device": "cpu", "hidden_dim": 256, "dropout": 0.1, "nheads": 8, "dim_feedforward": 1024, "enc_layers": 2,
                  "pre_norm": False, "K": 200, "denoiser": "latentmlp", "p_uncond": 0.2, "sigmoid_temp": 2.0, "eps": 1e-3,
                  "scores_embed": "learned", "position_embedding": "sine", "v_feat_dim": 1024, "num_scores": 300,
                  "input_dropout": 0.5, "n_input_proj": 3, "dec_loss_coef": 1, "aux_loss_coef": 0}
        args = argparse.Namespace(**{**values, **case["args"]})
        torch.manual_seed(case["seed"])
        model, criterion = build_model(args)
        out[f"{case['name']}/init"] = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(torch.load(case["weights"]), strict=True)
        features, gtscore = inputs[case["name"]]
        length = features.shape[0]
        mask = torch.ones(1, length, dtype=torch.bool)
        # training, as their solver does one batch of one video (clamp, unconditional drop, forward, criterion)
        model.train()
        torch.manual_seed(case["seed"] + 1)
        batch, target = features.unsqueeze(0).clone(), gtscore.unsqueeze(0)
        if case["clamp"]:
            target = torch.clamp(target, 0.05, 0.95)
        is_null = torch.rand(1) < args.p_uncond
        batch[is_null] = null
        score, _ = model(target, batch, mask, [length])
        loss = criterion(score, target, None, mask).mean()
        loss.backward()
        out[f"{case['name']}/loss"] = loss.detach()
        out[f"{case['name']}/grads"] = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
        # sampling, as their evaluate() does one video (the null video as a second batch row)
        model.eval()
        torch.manual_seed(case["seed"] + 2)
        with torch.no_grad():
            both = torch.cat([features.unsqueeze(0), null.unsqueeze(0).repeat(length, 1).unsqueeze(0)], dim=0)
            scores, _ = model(None, both, torch.cat([mask, mask], dim=0), [length])
        out[f"{case['name']}/scores"] = scores["pred_scores"][:length].float()
        # EMA, as their solver keeps it: a copy when training starts, then update_ema after every optimiser step
        steps = torch.load(case["ema_steps"])
        for decay in job["ema_decays"]:
            model.load_state_dict(torch.load(case["weights"]), strict=True)
            average = copy.deepcopy(model)
            requires_grad(average, False)
            update_ema(average, model, 0)
            for state in steps:
                model.load_state_dict(state, strict=True)
                update_ema(average, model, decay)
            out[f"{case['name']}/ema{decay}"] = {k: v.clone() for k, v in average.state_dict().items()}
    for case in job.get("epoch_cases", []):  # their solver's loop: padded batches (here of equal lengths), Adam, masked MSE
        values = {"device": "cpu", "hidden_dim": 256, "dropout": 0.0, "nheads": 8, "dim_feedforward": 1024, "enc_layers": 2,
                  "pre_norm": False, "K": 200, "denoiser": "latentmlp", "p_uncond": 0.0, "sigmoid_temp": 2.0, "eps": 1e-3,
                  "scores_embed": "learned", "position_embedding": "sine", "v_feat_dim": 1024, "num_scores": 300,
                  "input_dropout": 0.0, "n_input_proj": 3, "dec_loss_coef": 1, "aux_loss_coef": 0}
        model, criterion = build_model(argparse.Namespace(**{**values, **case["args"]}))
        model.load_state_dict(torch.load(case["weights"]), strict=True)
        _without_dropout(model)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=case["lr"], weight_decay=case["weight_decay"])
        videos, losses = torch.load(case["videos"]), []
        for epoch, batches in enumerate(case["batches"]):
            torch.manual_seed(case["seed"] + epoch)
            for batch in batches:
                optimizer.zero_grad()
                features = torch.stack([videos[i][0] for i in batch])
                target = torch.stack([videos[i][1] for i in batch])
                if case["clamp"]:
                    target = torch.clamp(target, 0.05, 0.95)
                mask = torch.ones(target.shape, dtype=torch.bool)
                score, _ = model(target, features, mask, [target.shape[1]] * len(batch))
                loss = criterion(score, target, None, mask).mean()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        out[f"{case['name']}/epoch_losses"] = torch.tensor(losses, dtype=torch.float64)
        out[f"{case['name']}/epoch_weights"] = {k: v.clone() for k, v in model.state_dict().items()}
    torch.save(out, job["output"])


def _compare(name: str, ours: torch.Tensor, theirs: torch.Tensor) -> float:
    if ours.shape != theirs.shape:
        raise SystemExit(f"{name}: shapes differ, ours {tuple(ours.shape)}, theirs {tuple(theirs.shape)}")
    return float((ours.double() - theirs.double()).abs().max()) if ours.numel() else 0.0


def _fidelity(official: Path, work: Path) -> dict:
    null_path = official / "dataset" / "null_video.npy"
    generator = torch.Generator().manual_seed(7)
    inputs, cases, models, averages = {}, [], {}, {}
    for i, (dataset, length) in enumerate(CASES.items()):
        config = SummDiffConfig(null_video=str(null_path)).for_dataset(dataset)
        seed = 100 + i
        torch.manual_seed(seed)
        model = build_summdiff(config)
        # a trained-looking model: the zeroed output layers would make every score the same
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
        weights = work / f"{dataset}.pt"
        torch.save(model.state_dict(), weights)
        models[dataset] = (model, seed)
        inputs[dataset] = (torch.randn(length, 1024, generator=generator), torch.rand(length, generator=generator))
        averages[dataset] = _our_averages(config, weights, inputs[dataset], seed, work / f"{dataset}_ema_steps.pt")
        cases.append({"name": dataset, "seed": seed, "weights": str(weights), "ema_steps": str(work / f"{dataset}_ema_steps.pt"),
                      "clamp": config.clamp, "args": {"dec_layers": config.decoder_layers, "w": config.guidance,
                                                      "K": config.score_levels, "denoiser": _THEIR_DENOISER[config.denoiser]}})
    torch.save(inputs, work / "inputs.pt")
    epoch_cases, ours_epochs = _epochs_side_by_side(null_path, work)
    job = {"official": str(official), "inputs": str(work / "inputs.pt"), "output": str(work / "theirs.pt"), "cases": cases,
           "ema_decays": list(EMA_DECAYS), "epoch_cases": epoch_cases}
    (work / "job.json").write_text(json.dumps(job))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(work / "job.json")], check=False)
    if done.returncode:
        raise SystemExit(f"the authors' code failed (exit {done.returncode}); see its output above")
    theirs = torch.load(work / "theirs.pt")
    report = {}
    for dataset, (model, seed) in models.items():
        fresh_seed_model = _fresh(dataset, seed, null_path)
        init = theirs[f"{dataset}/init"]
        ours_init = fresh_seed_model.state_dict()
        row = {"keys_equal": sorted(init) == sorted(ours_init),
               "init_max_diff": max(_compare(k, ours_init[k], init[k]) for k in init),
               "init_differing": sorted(k for k in init if _compare(k, ours_init[k], init[k]) > 0)[:6]}
        again = build_summdiff(model.config)
        again.load_state_dict(init, strict=True)  # theirs into ours
        features, gtscore = inputs[dataset]
        model.train()
        model.zero_grad()
        torch.manual_seed(seed + 1)
        loss = model.training_loss(features, gtscore)
        loss.backward()
        row["loss_ours"], row["loss_theirs"] = float(loss.detach()), float(theirs[f"{dataset}/loss"])
        row["loss_diff"] = abs(row["loss_ours"] - row["loss_theirs"])
        grads = theirs[f"{dataset}/grads"]
        ours_grads = {k: p.grad for k, p in model.named_parameters() if p.grad is not None}
        row["grad_keys_equal"] = sorted(grads) == sorted(ours_grads)
        row["grad_max_diff"] = max(_compare(k, ours_grads[k], grads[k]) for k in grads)
        model.eval()
        scores = model.sample(features, seed=seed + 2)
        row["score_max_diff"] = _compare("scores", scores, theirs[f"{dataset}/scores"])
        row["score_spread"] = float(scores.max() - scores.min())
        for decay, (ours_average, moved) in averages[dataset].items():
            theirs_average = theirs[f"{dataset}/ema{decay}"]
            row[f"ema{decay}_keys_equal"] = sorted(ours_average) == sorted(theirs_average)
            row[f"ema{decay}_max_diff"] = max(_compare(k, ours_average[k], theirs_average[k]) for k in theirs_average)
            row[f"ema{decay}_moved"] = moved  # how far the average moved from the starting weights (the check is not vacuous)
        report[dataset] = row
    for dataset, (losses, weights) in ours_epochs.items():
        row = report[dataset]
        theirs_losses, theirs_weights = theirs[f"{dataset}/epoch_losses"], theirs[f"{dataset}/epoch_weights"]
        row["epochs_side_by_side_steps"] = len(losses)
        row["epochs_side_by_side_loss_max_diff"] = _compare("losses", torch.tensor(losses, dtype=torch.float64), theirs_losses)
        row["epochs_side_by_side_weights_max_diff"] = max(_compare(k, weights[k], theirs_weights[k]) for k in theirs_weights)
        row["epochs_side_by_side_first_last_loss"] = (losses[0], losses[-1])
    return report


EPOCH_VIDEOS, EPOCH_LENGTH, EPOCH_BATCH, EPOCHS = 6, 48, 3, 2  # two epochs of two steps of three videos


def _without_dropout(model: torch.nn.Module) -> torch.nn.Module:
    """Every dropout layer off (the latentmlp's blocks keep a fixed 0.1 that no option reaches, on both sides)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model


def _epochs_side_by_side(null_path: Path, work: Path) -> tuple[list[dict], dict[str, tuple[list[float], dict]]]:
    """Two epochs of training with our loop (engine/train/epoch.py's length-weighted steps, one video at a time) and, in
    the child, their solver's (padded batches, masked MSE), from the same weights, order and seed; per step the losses.
    Exact only where the two draw the same random numbers in the same order: no dropout (every layer's off), no
    unconditional drop (their draws for a batch come at once, ours per video) and videos of one length (their noise is
    drawn at the padded length)."""
    from engine.train.epoch import train_epoch_accumulated  # noqa: PLC0415
    from models.methods import Loss, LossAverage, StepLoss  # noqa: PLC0415

    generator = torch.Generator().manual_seed(11)
    videos = [(torch.randn(EPOCH_LENGTH, 1024, generator=generator), torch.rand(EPOCH_LENGTH, generator=generator))
              for _ in range(EPOCH_VIDEOS)]
    torch.save(videos, work / "epoch_videos.pt")
    orders = [torch.randperm(EPOCH_VIDEOS, generator=generator).tolist() for _ in range(EPOCHS)]
    cases, ours = [], {}
    for dataset, settings in {"SumMe": {"lr": 3e-5, "weight_decay": 5e-4}, "MrHiSum": {"lr": 5e-5, "weight_decay": 5e-4}}.items():
        config = SummDiffConfig(null_video=str(null_path), dropout=0.0, input_dropout=0.0, p_uncond=0.0, individual=False,
                                ).for_dataset(dataset)
        torch.manual_seed(300)
        model = _without_dropout(build_summdiff(config))
        weights = work / f"{dataset}_epoch_start.pt"
        torch.save(model.state_dict(), weights)
        optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
        items = [SimpleNamespace(features=f, gtscore=g) for f, g in videos]
        losses: list[float] = []
        for epoch, order in enumerate(orders):
            torch.manual_seed(400 + epoch)
            for start in range(0, EPOCH_VIDEOS, EPOCH_BATCH):  # one step at a time, to keep each step's loss
                losses.append(train_epoch_accumulated(model, optimizer, items, Loss.DENOISING, EPOCH_BATCH,
                                                      order=order[start:start + EPOCH_BATCH], loss_average=LossAverage.PYTHON_FLOAT,
                                                      step_loss=StepLoss.LENGTH_WEIGHTED_MEAN, sizes=[EPOCH_BATCH]))
        ours[dataset] = (losses, {k: v.clone() for k, v in model.state_dict().items()})
        cases.append({"name": dataset, "weights": str(weights), "videos": str(work / "epoch_videos.pt"), "seed": 400, "clamp": config.clamp,
                      "batches": [[order[i:i + EPOCH_BATCH] for i in range(0, EPOCH_VIDEOS, EPOCH_BATCH)] for order in orders],
                      "args": {"dec_layers": config.decoder_layers, "w": config.guidance, "K": config.score_levels,
                               "denoiser": _THEIR_DENOISER[config.denoiser]}, **settings})
    return cases, ours


def _our_averages(config: SummDiffConfig, weights: Path, video: tuple[torch.Tensor, torch.Tensor], seed: int,
                  steps_path: Path) -> dict[float, tuple[dict[str, torch.Tensor], float]]:
    """Our moving average per decay over EMA_STEPS Adam steps of our model from ``weights`` on one video (the same steps
    for every decay); the weights after each step are saved to ``steps_path`` for the authors' update."""
    from engine.train.ema import WeightAverage  # noqa: PLC0415

    features, gtscore = video
    result, steps = {}, []
    for decay in EMA_DECAYS:
        model = build_summdiff(config)
        model.load_state_dict(torch.load(weights), strict=True)
        start = {k: v.clone() for k, v in model.state_dict().items()}
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        average = WeightAverage(model, decay)
        average.attach(optimizer, model)
        model.train()
        torch.manual_seed(seed + 3)
        trajectory = []
        for _ in range(EMA_STEPS):
            optimizer.zero_grad()
            model.training_loss(features, gtscore).backward()
            optimizer.step()
            trajectory.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        if steps and any(not torch.equal(a[k], b[k]) for a, b in zip(steps, trajectory, strict=True) for k in a):
            raise SystemExit("our training steps differ between two runs from the same seed")
        steps = trajectory
        state = average.state_dict()
        result[decay] = (state, max(float((state[k].double() - start[k].double()).abs().max()) for k in state))
    torch.save(steps, steps_path)
    return result


def _fresh(dataset: str, seed: int, null_path: Path) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_summdiff(SummDiffConfig(null_video=str(null_path)).for_dataset(dataset))


def _timing(threads: int) -> dict:
    """Our CPU sampling per video (authors' 10 steps) and a five-split SumMe-sized evaluation."""
    torch.set_num_threads(threads)
    rows = {}
    for dataset, lengths in {"SumMe": [60, 150, 300], "TVSum": [200, 400, 700]}.items():
        torch.manual_seed(0)
        model = build_summdiff(SummDiffConfig().for_dataset(dataset)).eval()
        for length in lengths:
            features = torch.randn(length, 1024)
            model.sample(features)
            start = time.perf_counter()
            for _ in range(3):
                model.sample(features)
            rows[f"{dataset} T={length}"] = (time.perf_counter() - start) / 3
    # five splits x 5 test videos of SumMe's lengths (eccv16 SumMe: 25 videos of 32 to 388 steps; mean about 146)
    lengths = np.linspace(32, 388, 25).astype(int)
    model = build_summdiff(SummDiffConfig().for_dataset("SumMe")).eval()
    start = time.perf_counter()
    for split in range(5):  # split k tests the videos k, k + 5, ... of the 25 lengths
        for length in lengths[split::5]:
            model.sample(torch.randn(int(length), 1024))
    rows["five SumMe splits (25 videos, 32-388 steps)"] = time.perf_counter() - start
    return rows


def _complexity(length: int) -> dict:
    """Parameters, and MACs (FLOPs / 2 of matrix products and convolutions) of one denoiser call, one sampling step
    (conditional and unconditional calls) and one whole video (encoder and the authors' 10 steps), at T = ``length``."""
    from torch.utils.flop_counter import FlopCounterMode  # noqa: PLC0415

    torch.manual_seed(0)
    model = build_summdiff(SummDiffConfig().for_dataset("SumMe")).eval()
    features = torch.randn(length, 1024)

    def macs(run) -> float:
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            run()
        return counter.get_total_flops() / 2

    with torch.no_grad():
        memory, _, pos = model.encode(torch.stack([features, features]), torch.ones(2, length, dtype=torch.bool))
    step = macs(lambda: model.denoise(torch.zeros(1, length), memory[:, :1], torch.tensor([999]), pos[:, :1]))
    return {"T": length, "parameters": sum(p.numel() for p in model.parameters()), "macs_per_denoiser_call": step,
            "macs_per_sampling_step": 2 * step, "macs_per_video": macs(lambda: model.sample(features))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", type=Path, help="a checkout of github.com/Kwanseok-K/SummDiff outside the project")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--timing", action="store_true", help="also time our CPU sampling")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for --timing (default 2)")
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return
    result = {}
    if args.official is not None:
        if not (args.official / "networks" / "summ_diff" / "summ_diff.py").is_file():
            raise SystemExit(f"--official {args.official}: no networks/summ_diff/summ_diff.py there (a SummDiff checkout?)")
        with tempfile.TemporaryDirectory() as work:
            result["fidelity"] = _fidelity(args.official, Path(work))
    if args.timing:
        result["timing_s"] = _timing(args.threads)
        result["complexity"] = _complexity(146)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
