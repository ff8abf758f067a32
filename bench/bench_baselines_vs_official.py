"""Our PGL-SUM and CA-SUM against their authors' code: the same weights, features and scores give the same results?

    PYTHONPATH=$PWD python bench/bench_baselines_vs_official.py --pgl-sum /tmp/pglsum --ca-sum /tmp/casum [--epochs 3] [--work DIR]

--pgl-sum and --ca-sum are checkouts of github.com/e-apostolidis/PGL-SUM and github.com/e-apostolidis/CA-SUM
kept outside this project (their model/ and evaluation/ folders are used; the data archives are not
needed). Their code is imported at run time only, in child processes whose import path holds their
folders and not this project (both repositories have modules named ``layers`` and ``utils``). Their
``model/utils.py`` imports tensorboardX; where that package is missing the child puts a minimal
stand-in under that name that writes nothing (their solver only logs to it).

Everything runs on a synthetic benchmark in the eccv16 layout (dataset.synthetic; 25 SumMe-like and
50 TVSum-like videos of 1024-d features, so their split files' keys exist), on the CPU. Every video
has more than 60 steps: their CA-SUM returns NaN for a video of at most one block (60 steps by
default), which would turn their training to NaN; shorter lengths are scored as cuts. Five checks:

1. eval-mode scores: their solver seeds and initialises their model (their ``Solver.build``), saves
   its state_dict; this project loads the file unchanged (models.checkpoint.load_checkpoint, strict)
   and scores the same features on both scoring routes. PGL-SUM in six fusion / positional encoding /
   segments / heads settings, CA-SUM in four block sizes; every SumMe-like video plus cuts of one
   video to chosen lengths T. Also: our builder seeded alike against their initial weights.
2. ours load there: train.py --method PGL-SUM / CA-SUM trains a few epochs here (their split 0), and
   our builder makes a fresh model (seed 7); their model class loads each file with strict=True
   and scores the same features.
3. per-video F1: inference.py --save-scores writes our scores and summaries; their
   generate_summary + evaluate_summary score the same step scores on the same h5 (SumMe: max over
   users, TVSum: mean), beside our evaluation.protocol.evaluate_video; also random and tie-heavy
   (rounded) scores on every video.
4. training side by side: their model/main.py, run unchanged on the same h5 and their split 0 for
   the same epochs (its losses recorded per video), against engine.train.epoch.train_epoch
   seeded and built as train.py does (per-video and per-epoch losses, final weights) and against
   train.py's own run (its record's per-epoch loss, its last-epoch weights file). Their whole
   training set per step (20 SumMe, 40 TVSum), and 6 per step on SumMe (2 videos sit each epoch out).
5. epoch choice: their evaluation/choose_best_epoch.py (PGL-SUM) and choose_best_model.py (CA-SUM,
   with its choice among sigmas) run unchanged on loss curves and per-epoch mean scores written in
   the layout they read, against models.methods.select_epoch, length_improvement and choose_length_factor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 12345  # both solvers' default seed

# their constructor options (model/configs.py names) per case; the seed of each case differs
PGL_CASES = {
    "paper: 8 heads, 4 segments, add, absolute": dict(heads=8, n_segments=4, fusion="add", pos_enc="absolute"),
    "8 heads, 4 segments, mult, relative": dict(heads=8, n_segments=4, fusion="mult", pos_enc="relative"),
    "4 heads, 2 segments, avg, absolute": dict(heads=4, n_segments=2, fusion="avg", pos_enc="absolute"),
    "2 heads, 8 segments, max, relative": dict(heads=2, n_segments=8, fusion="max", pos_enc="relative"),
    "1 head, global only, no encoding": dict(heads=1, n_segments=None, fusion=None, pos_enc=None),
    "8 heads, 4 segments unused (fusion None), absolute": dict(heads=8, n_segments=4, fusion=None, pos_enc="absolute"),
}
CA_CASES = {f"block size {size}": dict(block_size=size) for size in (60, 30, 15, 100)}
CUT_LENGTHS = (1, 2, 3, 5, 7, 16, 59, 60, 61, 64, 121, 180)  # cuts of the longest SumMe-like video


# ---------------------------------------------------------------- the child: their code only


def _stand_in_tensorboardx() -> None:
    """Their model/utils.py subclasses tensorboardX.SummaryWriter; where it is missing, a writer that keeps nothing."""
    try:
        import tensorboardX  # noqa: F401, PLC0415
    except ImportError:
        module = types.ModuleType("tensorboardX")

        class SummaryWriter:  # only what their TensorboardWriter touches
            def __init__(self, logdir: str) -> None:
                self.file_writer = types.SimpleNamespace(get_logdir=lambda: logdir)

            def add_scalar(self, name, value, step) -> None:  # noqa: ANN001
                pass

        module.SummaryWriter = SummaryWriter
        sys.modules["tensorboardX"] = module


def _child_model(repo: str, options: dict):  # noqa: ANN202 - their class
    if repo == "pgl-sum":
        from layers.summarizer import PGL_SUM  # noqa: PLC0415 - theirs, from the checkout

        return PGL_SUM(input_size=1024, output_size=1024, num_segments=options["n_segments"], heads=options["heads"],
                       fusion=options["fusion"], pos_enc=options["pos_enc"])
    from layers.summarizer import CA_SUM  # noqa: PLC0415

    return CA_SUM(input_size=1024, output_size=1024, block_size=options["block_size"])


def _child_scores(model, inputs: dict) -> dict:  # noqa: ANN001
    """Their model's eval-mode scores per input, as their solver's evaluate() computes them; a failure is kept as text."""
    import torch  # noqa: PLC0415

    model.eval()
    out = {}
    for label, features in inputs.items():
        try:
            with torch.no_grad():
                scores, _ = model(features.view(-1, 1024))
            out[label] = scores.squeeze(0).clone()
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            out[label] = f"{type(error).__name__}: {error}"
    return out


def _child_init(task: dict, job: dict) -> dict:
    """Their Solver seeds and builds (their init_weights) as in their main.py, mode 'test' (no optimiser, no writer)."""
    import torch  # noqa: PLC0415
    from solver import Solver  # noqa: PLC0415

    options = task["options"]
    config = types.SimpleNamespace(mode="test", seed=task["seed"], input_size=1024, init_type="xavier",
                                   init_gain=None, device=torch.device("cpu"), **options)
    solver = Solver(config)
    solver.build()
    torch.save(solver.model.state_dict(), task["weights_out"])
    return {"scores": _child_scores(solver.model, torch.load(job["inputs"]))}


def _child_load(task: dict, job: dict) -> dict:
    """Their model class loads a weights file written here, strictly, and scores the inputs."""
    import torch  # noqa: PLC0415

    model = _child_model(job["repo"], task["options"])
    result = model.load_state_dict(torch.load(task["weights"]), strict=True)
    return {"load": str(result), "scores": _child_scores(model, torch.load(job["inputs"]))}


def _child_f1(task: dict, job: dict) -> dict:
    """Their generate_summary + evaluate_summary on given step scores, per video, as their inference.py calls them."""
    import h5py  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from evaluation_metrics import evaluate_summary  # noqa: PLC0415
    from generate_summary import generate_summary  # noqa: PLC0415

    scores = torch.load(task["scores"])
    f1, summaries = {}, {}
    with h5py.File(task["h5"], "r") as hdf:
        for key, values in scores.items():
            video = key.split("/")[-1]
            user_summary = np.array(hdf[f"{video}/user_summary"])
            sb = np.array(hdf[f"{video}/change_points"])
            n_frames = np.array(hdf[f"{video}/n_frames"])
            positions = np.array(hdf[f"{video}/picks"])
            summary = generate_summary([sb], [values.numpy().tolist()], [n_frames], [positions])[0]
            f1[key] = float(evaluate_summary(summary, user_summary, task["eval"]))
            summaries[key] = torch.from_numpy(summary.astype(np.uint8))
    if not task.get("correlations"):
        return {"f1": f1, "summaries": summaries}
    # CA-SUM's inference/evaluation_metrics.py (not on the path: evaluation/ holds a module of the same name without it)
    # reads ".../CA-SUM/data/TVSum/ydata-anno.tsv" from the working folder
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("their_inference_metrics", Path(job["official"]) / "inference" / "evaluation_metrics.py")
    metrics = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metrics)
    os.chdir(task["cwd"])
    correlations = {key: tuple(float(v) for v in metrics.get_corr_coeff(values.numpy().tolist(), key, "TVSum"))
                    for key, values in scores.items()}  # (rho, tau)
    return {"f1": f1, "summaries": summaries, "correlations": correlations}


def _child_train(task: dict, job: dict) -> dict:
    """Their model/main.py unchanged (runpy), on their data paths laid out under a work folder; each video's loss recorded."""
    import runpy  # noqa: PLC0415

    import solver  # noqa: PLC0415

    losses: list[float] = []
    final: dict = {}
    if job["repo"] == "pgl-sum":
        criterion = solver.Solver.criterion  # an nn.MSELoss, called as self.criterion(output, target)

        def recorded(self, output, target):  # noqa: ANN001, ANN202
            value = criterion(output, target)
            losses.append(value.item())
            return value

        solver.Solver.criterion = recorded
    else:
        regularise = solver.Solver.length_regularization_loss

        def recorded(self, scores):  # noqa: ANN001, ANN202
            value = regularise(self, scores)
            losses.append(value.item())
            return value

        solver.Solver.length_regularization_loss = recorded
    train = solver.Solver.train

    def train_and_keep(self):  # noqa: ANN001, ANN202
        train(self)
        final.update({key: value.detach().cpu().clone() for key, value in self.model.state_dict().items()})

    solver.Solver.train = train_and_keep
    epoch_losses: list[float] = []
    log = solver.TensorboardWriter.update_loss

    def logged(self, loss, step, name="loss"):  # noqa: ANN001, ANN202 - what their solver logs per epoch
        if name == "loss_epoch":
            epoch_losses.append(float(loss))
        return log(self, loss, step, name)

    solver.TensorboardWriter.update_loss = logged
    os.chdir(task["cwd"])
    sys.argv = [str(Path(job["official"]) / "model" / "main.py"), *task["argv"]]
    runpy.run_path(sys.argv[0], run_name="__main__")
    return {"losses": losses, "epoch_losses": epoch_losses, "weights": final}


def _write_log(folder: Path, losses: list[float]) -> None:
    """A scalars.csv as their exportTensorFlowLog.py writes it: a header, then one loss_epoch per epoch."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scalars.csv").write_text("loss_epoch\n" + "".join(f"{value!r}\n" for value in losses))


def _run_script(script: Path, argv: list[str]) -> str:
    """One of their evaluation scripts (they run at import), unchanged; what it prints."""
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import runpy  # noqa: PLC0415

    sys.argv = [str(script), *argv]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(script), run_name="__main__")
    return printed.getvalue()


def _child_select(task: dict, job: dict) -> dict:
    """Their epoch (and sigma) choice on given loss curves: choose_best_epoch.py (PGL-SUM) or choose_best_model.py (CA-SUM),
    run unchanged on the layout they read (5 splits per run). F-score files hold 0, 1, 2, ... so the printed epoch is checked."""
    import re  # noqa: PLC0415

    official, out = Path(job["official"]), []
    os.chdir(task["cwd"])
    for run, splits in enumerate(task["runs"]):
        if job["repo"] == "pgl-sum":
            exp = Path(task["cwd"]) / f"exp{run}"
            for split, losses in enumerate(splits):
                _write_log(exp / "SumMe" / "logs" / f"split{split}", losses)
                results = exp / "SumMe" / "results" / f"split{split}"
                results.mkdir(parents=True, exist_ok=True)
                (results / "f_scores.txt").write_text(json.dumps([float(i) for i in range(len(losses) + 1)]))
            printed = _run_script(official / "evaluation" / "choose_best_epoch.py", [str(exp), "SumMe"])
            out.append([{"epoch": int(e), "f1": float(f)} for f, e in re.findall(r"Criterion Fscore: ([\d.]+) @ epoch: (\d+)", printed)])
            continue
        for sigma_index, sigma in enumerate((0.5, 0.6, 0.7, 0.8, 0.9)):
            for split, curve in enumerate(splits):
                base = Path(task["cwd"]) / "..." / "CA-SUM" / "Summaries" / f"exp{run}" / f"reg{sigma}" / "SumMe"
                losses, means = curve["losses"][sigma_index], curve["means"][sigma_index]  # means: [epoch + 1][video]
                _write_log(base / "logs" / f"split{split}", losses)
                results = base / "results" / f"split{split}"
                results.mkdir(parents=True, exist_ok=True)
                for epoch, per_video in enumerate(means, start=-1):  # their epoch -1: the untrained model
                    (results / f"SumMe_{epoch}.json").write_text(json.dumps({f"video_{v + 1}": [m, m] for v, m in enumerate(per_video)}))
                (results / "f_scores.txt").write_text(json.dumps([float(i) for i in range(len(losses) + 1)]))
        printed = _run_script(official / "evaluation" / "choose_best_model.py", [str(run), "SumMe"])
        out.append([{"sigma": float(s_), "epoch": int(e)} for s_, e in re.findall(r"\[\u03c3=([\d.]+), epoch: (\d+)\]", printed)])
    return {"choices": out}


CHILD_TASKS = {"init": _child_init, "load": _child_load, "f1": _child_f1, "train": _child_train, "select": _child_select}


def run_child(job_path: str) -> None:
    """Inside the child: their folders first on the path, this project's off it; run the job's tasks in order."""
    job = json.loads(Path(job_path).read_text())
    official = Path(job["official"]).resolve()
    ours = {ROOT, ROOT / "bench"}
    sys.path[:] = [str(official / "model"), str(official / "evaluation")] + [
        p for p in sys.path if p and Path(p).resolve() not in ours]
    _stand_in_tensorboardx()
    import torch  # noqa: PLC0415

    torch.set_num_threads(job.get("threads", 1))
    results = {task["name"]: CHILD_TASKS[task["kind"]](task, job) for task in job["tasks"]}
    torch.save(results, job["out"])


# ---------------------------------------------------------------- the parent: this project


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pgl-sum", type=Path, required=True, help="checkout of github.com/e-apostolidis/PGL-SUM")
    parser.add_argument("--ca-sum", type=Path, required=True, help="checkout of github.com/e-apostolidis/CA-SUM")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the short training runs (checks 2 to 4; default 3)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the data, weights and scores (default: a temporary one)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every process (default 1)")
    parser.add_argument("--checks", type=int, nargs="+", choices=(1, 2, 3, 4, 5), default=[1, 2, 3, 4, 5],
                        help="which checks to run (default: all; 2-4 share one short train.py run per method)")
    args = parser.parse_args(argv)
    for flag, folder in (("--pgl-sum", args.pgl_sum), ("--ca-sum", args.ca_sum)):
        if not (folder / "model" / "layers" / "summarizer.py").is_file() or not (folder / "evaluation" / "generate_summary.py").is_file():
            parser.error(f"{flag} {folder}: not a checkout of the official code (model/layers/summarizer.py and "
                         "evaluation/generate_summary.py are needed)")
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    return args


class Bench:
    """The shared data and the two kinds of process: children running their code, this project's scripts."""

    def __init__(self, work: Path, official: dict[str, Path], threads: int) -> None:
        self.work, self.official, self.threads = work, official, threads
        self.data = work / "data"
        # CPU only: their main.py would take a GPU wherever one is visible, and ours is told --device cpu
        self.env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "CUDA_VISIBLE_DEVICES": ""}

    def child(self, repo: str, tasks: list[dict], tag: str) -> dict:
        import torch  # noqa: PLC0415

        job = {"repo": repo, "official": str(self.official[repo]), "inputs": str(self.work / "inputs.pt"), "tasks": tasks,
               "out": str(self.work / f"{tag}.out.pt"), "threads": self.threads}
        path = self.work / f"{tag}.job.json"
        path.write_text(json.dumps(job))
        env = {key: value for key, value in self.env.items() if key != "PYTHONPATH"}
        self.run([sys.executable, str(Path(__file__).resolve()), "--child", str(path)], self.work, env, tag)
        return torch.load(job["out"], weights_only=False)

    def ours(self, script: str, *argv: str) -> None:
        env = {**self.env, "PYTHONPATH": str(ROOT)}
        self.run([sys.executable, str(ROOT / script), *argv], ROOT, env, f"{Path(script).stem}-{len(list(self.work.glob('*.log')))}")

    def run(self, command: list[str], cwd: Path, env: dict, tag: str) -> None:
        """A process whose output goes to <work>/<tag>.log (shown when it fails)."""
        log = self.work / f"{tag}.log"
        with log.open("w") as stream:
            done = subprocess.run(command, cwd=cwd, env=env, stdout=stream, stderr=subprocess.STDOUT, check=False)
        if done.returncode:
            sys.exit(f"{' '.join(command[1:3])} ... failed (exit {done.returncode}); its output, {log}:\n{log.read_text()[-4000:]}")


def make_data(bench: Bench) -> dict:
    """The synthetic benchmark and the scoring inputs (every SumMe-like video, and cuts of the longest one)."""
    from dataclasses import replace  # noqa: PLC0415

    import torch  # noqa: PLC0415

    from config import DATASETS  # noqa: PLC0415
    from dataset import load_benchmark  # noqa: PLC0415
    from dataset.synthetic import SUMME_LIKE, TVSUM_LIKE, write_synthetic_benchmark  # noqa: PLC0415

    bench.data.mkdir(parents=True, exist_ok=True)
    write_synthetic_benchmark(DATASETS["SumMe"], bench.data, replace(SUMME_LIKE, min_steps=64, max_steps=320))
    write_synthetic_benchmark(DATASETS["TVSum"], bench.data, replace(TVSUM_LIKE, min_steps=64, max_steps=200))
    benchmarks = {name: load_benchmark(DATASETS[name], bench.data) for name in ("SumMe", "TVSum")}
    videos = benchmarks["SumMe"].videos
    inputs = {f"{key} T={video.n_steps}": torch.from_numpy(video.features) for key, video in videos.items()}
    longest = max(videos.values(), key=lambda video: video.n_steps)
    inputs.update({f"{longest.key}[:{n}]": torch.from_numpy(longest.features[:n]).clone() for n in CUT_LENGTHS})
    torch.save(inputs, bench.work / "inputs.pt")
    return {"benchmarks": benchmarks, "inputs": inputs}


def our_config(method: str, options: dict):  # noqa: ANN201
    """Our options for their constructor options."""
    from models.method_choice import config_from_options  # noqa: PLC0415

    if method == "CA-SUM":
        return config_from_options(method, {"block_size": options["block_size"]})
    return config_from_options(method, {"heads": options["heads"], "num_segments": options["n_segments"],
                                        "fusion": options["fusion"], "positional_encoding": options["pos_enc"]})


def our_scores(method: str, config, weights: Path, inputs: dict) -> dict:  # noqa: ANN001
    """Both scoring routes of this project on a weights file loaded as inference.py loads it."""
    from engine.evaluate.model_scores import Scorer, ScoringRoute  # noqa: PLC0415
    from models.checkpoint import load_checkpoint  # noqa: PLC0415
    from models.methods import method_spec  # noqa: PLC0415

    model = method_spec(method).build(config)
    load_checkpoint(model, weights)
    model.eval()
    return {route: {label: Scorer(model, route)(features) for label, features in inputs.items()} for route in ScoringRoute}


def compare_scores(ours: dict, theirs: dict) -> dict:
    """Max |difference| over inputs both score as numbers; the inputs where either does not."""
    import numpy as np  # noqa: PLC0415

    worst, worst_at, spread = 0.0, None, []
    others: dict[str, list[str]] = {}
    for label, their in theirs.items():
        mine = ours[label]
        length = label.split("T=")[1] if "T=" in label else label.split("[:")[1].rstrip("]")
        if isinstance(their, str):
            others.setdefault(f"theirs raise {their.split(':')[0]}, ours {_state(mine)}", []).append(length)
            continue
        their = their.numpy()
        if not np.isfinite(their).all():
            others.setdefault(f"theirs NaN, ours {_state(mine)}", []).append(length)
            continue
        gap = float(np.max(np.abs(mine - their)))
        spread.append(float(np.std(their)))
        if gap >= worst:
            worst, worst_at = gap, label
    return {"max": worst, "at": worst_at, "others": [f"{what} at T = {', '.join(sorted(lengths, key=int))}" for what, lengths in others.items()],
            "compared": len(theirs) - sum(map(len, others.values())),
            "score_std": (min(spread), max(spread)) if spread else None}


def _state(scores) -> str:  # noqa: ANN001
    import numpy as np  # noqa: PLC0415

    return "finite" if np.isfinite(scores).all() else "NaN"


def report_scores(title: str, result: dict, extra: str = "") -> None:
    std = result["score_std"]
    worst = "bit-identical on every one" if result["max"] == 0 else f"worst {result['at']}"
    print(f"  {title}: max |ours - theirs| {result['max']:.1e} over {result['compared']} inputs"
          + (f" ({worst}; their scores' std per input {std[0]:.3f}-{std[1]:.3f})" if std else "") + extra)
    for line in result["others"]:
        print(f"      {line}")


def check_scores(bench: Bench, inputs: dict) -> None:
    """Check 1: their init and weights, our loading and scoring; and our seeded init against theirs."""
    import torch  # noqa: PLC0415

    from models.methods import method_spec  # noqa: PLC0415
    from utils.runtime import seed_everything  # noqa: PLC0415

    print("\n== 1. eval-mode scores, weights initialised by their solver, loaded here unchanged")
    for method, repo, cases in (("PGL-SUM", "pgl-sum", PGL_CASES), ("CA-SUM", "ca-sum", CA_CASES)):
        tasks = [{"kind": "init", "name": name, "options": options, "seed": SEED + index,
                  "weights_out": str(bench.work / f"{repo}-init-{index}.pt")} for index, (name, options) in enumerate(cases.items())]
        started = time.perf_counter()
        theirs = bench.child(repo, tasks, f"{repo}-init")
        print(f" {method} ({time.perf_counter() - started:.0f} s in their code)")
        for task in tasks:
            config = our_config(method, task["options"])
            mine = our_scores(method, config, Path(task["weights_out"]), inputs)
            seed_everything(task["seed"])
            fresh = method_spec(method).build(config).state_dict()
            their_init = torch.load(task["weights_out"])
            init_gap = max(float((fresh[key] - value).abs().max()) for key, value in their_init.items())
            results = {route: compare_scores(scores, theirs[task["name"]]["scores"]) for route, scores in mine.items()}
            fast = ", ".join(f"{route.value} route {result['max']:.1e}" for route, result in results.items())
            report_scores(task["name"], next(iter(results.values())), f" [{fast}]; our seeded init vs theirs: max |diff| {init_gap:.1e}")


def train_ours(bench: Bench, epochs: int) -> dict[str, Path]:
    """train.py on their split 0 (our split 1 of --splits pgl-sum), SumMe and TVSum, keeping the last epoch."""
    folders = {}
    for method, extra in (("PGL-SUM", []), ("CA-SUM", ["--length-factor", "0.6"])):
        folders[method] = bench.work / f"weights-{method}"
        started = time.perf_counter()
        bench.ours("train.py", "--method", method, "--dataset", "all", "--data-dir", str(bench.data), "--splits", "pgl-sum",
                   "--split", "1", "--epochs", str(epochs), "--select", "last", "--weights-dir", str(folders[method]),
                   "--device", "cpu", *extra)
        print(f"  train.py --method {method}: {time.perf_counter() - started:.0f} s")
    return folders


def check_ours_load_there(bench: Bench, inputs: dict, folders: dict[str, Path]) -> None:
    """Check 2: weights trained here load strictly into their class and score the same."""
    from engine.evaluate.model_scores import ScoringRoute  # noqa: PLC0415
    from models.checkpoint import save_checkpoint  # noqa: PLC0415
    from models.methods import method_spec  # noqa: PLC0415
    from utils.runtime import seed_everything  # noqa: PLC0415

    print("\n== 2. weights made here (train.py's files; our builder's), loaded by their model class with strict=True")
    for method, repo in (("PGL-SUM", "pgl-sum"), ("CA-SUM", "ca-sum")):
        default = PGL_CASES["paper: 8 heads, 4 segments, add, absolute"] if repo == "pgl-sum" else CA_CASES["block size 60"]
        fresh = bench.work / f"{repo}-ours-seed7.pt"
        seed_everything(7)
        save_checkpoint(method_spec(method).build(our_config(method, default)).state_dict(), fresh)
        files = {f"trained on {name}-like": folders[method] / name / "split1.pt" for name in ("SumMe", "TVSum")}
        files["as our builder made it (seed 7), untrained"] = fresh
        tasks = [{"kind": "load", "name": name, "options": default, "weights": str(path)} for name, path in files.items()]
        theirs = bench.child(repo, tasks, f"{repo}-load")
        for task in tasks:
            mine = our_scores(method, our_config(method, default), Path(task["weights"]), inputs)
            report_scores(f"{method} {task['name']} ({theirs[task['name']]['load']})",
                          compare_scores(mine[ScoringRoute.EXACT], theirs[task["name"]]["scores"]))


def check_f1(bench: Bench, benchmarks: dict, folders: dict[str, Path]) -> None:
    """Check 3: their summary and F1 on our saved scores, and on random and tie-heavy scores; on TVSum also
    Kendall's tau and Spearman's rho per video with CA-SUM's own function (PGL-SUM's code has none)."""
    import h5py  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415

    from evaluation.protocol import evaluate_video  # noqa: PLC0415
    from evaluation.summary import generate_summary  # noqa: PLC0415

    print("\n== 3. per-video F1 (and on TVSum tau and rho): their evaluation code against ours, on the same scores")
    rng = np.random.default_rng(0)
    uniform = {name: {key: rng.random(video.n_steps).astype(np.float32) for key, video in benchmark.videos.items()}
               for name, benchmark in benchmarks.items()}
    for method, repo in (("PGL-SUM", "pgl-sum"), ("CA-SUM", "ca-sum")):
        saved = bench.work / f"scores-{method}.h5"
        bench.ours("inference.py", "--method", method, "--dataset", "all", "--data-dir", str(bench.data), "--splits", "pgl-sum",
                   "--split", "1", "--weights-dir", str(folders[method]), "--device", "cpu", "--save-scores", str(saved))
        cases: dict[str, dict[str, tuple[np.ndarray, np.ndarray | None]]] = {}
        with h5py.File(saved, "r") as file:
            for name in ("SumMe", "TVSum"):
                group = file[name]
                cases[f"{name}: {method} scores from inference.py --save-scores"] = {
                    key: (np.asarray(group[key]["step_scores"]), np.asarray(group[key]["machine_summary"])) for key in group}
        for name in benchmarks:
            cases[f"{name}: uniform random scores, every video"] = {key: (value, None) for key, value in uniform[name].items()}
            cases[f"{name}: the same rounded to 1 decimal (ties)"] = {
                key: (np.round(value, 1).astype(np.float32), None) for key, value in uniform[name].items()}
        cwd = _layout(bench, repo)
        tasks = []
        for index, (case, videos) in enumerate(cases.items()):
            path = bench.work / f"f1-{repo}-{index}.pt"
            torch.save({key: torch.from_numpy(scores) for key, (scores, _) in videos.items()}, path)
            dataset = case.split(":")[0]
            tasks.append({"kind": "f1", "name": case, "scores": str(path), "h5": str(benchmarks[dataset].h5_path),
                          "eval": "max" if dataset == "SumMe" else "avg", "cwd": str(cwd),
                          "correlations": repo == "ca-sum" and dataset == "TVSum"})
        theirs = bench.child(repo, tasks, f"{repo}-f1")
        for case, videos in cases.items():
            benchmark = benchmarks[case.split(":")[0]]
            gaps, same_summary, saved_same, rank_gaps = [], 0, 0, []
            for key, (scores, saved_summary) in videos.items():
                video = benchmark.videos[key]
                metrics = evaluate_video(scores, video, benchmark.spec)
                gaps.append(abs(metrics.f1 - theirs[case]["f1"][key]))
                if "correlations" in theirs[case]:
                    rho, tau = theirs[case]["correlations"][key]
                    rank_gaps += [(metrics.kendall, tau), (metrics.spearman, rho)]
                their_summary = theirs[case]["summaries"][key].numpy()
                same_summary += np.array_equal(generate_summary(scores, video.change_points, video.n_frames, video.picks), their_summary)
                saved_same += saved_summary is not None and np.array_equal(saved_summary[:len(their_summary)], their_summary)
            saved_note = f"; the file's machine_summary equal to theirs: {saved_same}/{len(videos)}" if "inference" in case else ""
            if rank_gaps:
                both_nan = sum(np.isnan(a) and np.isnan(b) for a, b in rank_gaps)
                one_nan = sum(np.isnan(a) != np.isnan(b) for a, b in rank_gaps)
                finite = [abs(a - b) for a, b in rank_gaps if not np.isnan(a) and not np.isnan(b)]
                saved_note += (f"; tau and rho (their inference/evaluation_metrics.get_corr_coeff): max |diff| "
                               f"{max(finite) if finite else float('nan'):.1e} over {len(finite)} values, NaN on both sides {both_nan}, "
                               f"on one side only {one_nan}")
            print(f"  {case} [{repo}'s evaluation/]: {len(videos)} videos, max |F1 ours - theirs| {max(gaps):.1e}, "
                  f"mean F1 {np.mean(list(theirs[case]['f1'].values())):.2f}, summaries equal {same_summary}/{len(videos)}{saved_note}")


def _layout(bench: Bench, repo: str) -> Path:
    """Their hard-coded data paths (relative to the working folder), filled with the synthetic files and their splits."""
    base = bench.work / f"their-{repo}"
    cwd = base / "run"
    if repo == "pgl-sum":
        data, splits = base / "PGL-SUM" / "data" / "datasets", base / "PGL-SUM" / "data" / "datasets" / "splits"
    else:
        data, splits = cwd / "..." / "CA-SUM" / "data", cwd / "..." / "CA-SUM" / "data" / "splits"
    for name in ("SumMe", "TVSum"):
        (data / name).mkdir(parents=True, exist_ok=True)
        target = data / name / f"eccv16_dataset_{name.lower()}_google_pool5.h5"
        if not target.exists():
            target.symlink_to(bench.data / target.name)
    annotations = data / "TVSum" / "ydata-anno.tsv"
    if not annotations.exists():
        annotations.symlink_to(bench.data / "ydata-anno.tsv")
    splits.mkdir(parents=True, exist_ok=True)
    for name in ("summe", "tvsum"):
        (splits / f"{name}_splits.json").write_bytes((bench.official[repo] / "data" / "splits" / f"{name}_splits.json").read_bytes())
    cwd.mkdir(parents=True, exist_ok=True)
    return cwd


def _our_epoch_losses(method: str, dataset: str, benchmark, epochs: int, length_factor: float | None,  # noqa: ANN001
                      videos_per_step: int) -> tuple[list[float], list[float], dict]:
    """engine.train.epoch.train_epoch driven as train.py's _train_run drives it (seed, build, Adam, steps), each loss recorded."""
    import torch  # noqa: PLC0415

    from dataset import read_splits  # noqa: PLC0415
    from dataset.splits import select_splits  # noqa: PLC0415
    from engine.evaluate.model_scores import to_device  # noqa: PLC0415
    from engine.train.epoch import EpochSteps, train_epoch  # noqa: PLC0415
    from models.methods import method_spec  # noqa: PLC0415
    from utils.runtime import seed_everything  # noqa: PLC0415

    spec = method_spec(method)
    protocol = spec.protocol
    path = ROOT / "dataset" / "splits" / "apostolidis" / f"{dataset}.json"
    split = select_splits(read_splits(path, benchmark.spec), [1], path)[0]
    videos = to_device(benchmark.subset(split.train_keys), torch.device("cpu"))
    seed_everything(protocol.seed)
    model = spec.build(spec.default_config())
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.learning_rate, weight_decay=protocol.weight_decay)
    losses: list[float] = []

    def recorded(scores, gtscore, factor):  # noqa: ANN001, ANN202
        value = spec.loss(scores, gtscore, factor)
        losses.append(value.item())
        return value

    steps = EpochSteps(recorded, videos_per_step, protocol.grad_clip_norm, protocol.shuffle, length_factor, protocol.loss_average)
    epoch_losses = [train_epoch(model, optimizer, videos, steps) for _ in range(epochs)]
    return losses, epoch_losses, model.state_dict()


def _gap(ours: list[float], theirs: list[float]) -> str:
    import numpy as np  # noqa: PLC0415

    if len(ours) != len(theirs):
        return f"{len(ours)} values vs {len(theirs)}"
    return f"max |diff| {float(np.max(np.abs(np.subtract(ours, theirs)))):.1e}"


def _weight_gap(ours: dict, theirs: dict) -> float:
    return max(float((ours[key] - value).abs().max()) for key, value in theirs.items())


# (dataset, videos per optimiser step, whether train.py's run of checks 2-3 is compared too)
TRAINING_RUNS = (("SumMe", 20, True), ("TVSum", 40, True), ("SumMe", 6, False))


def check_training(bench: Bench, benchmarks: dict, folders: dict[str, Path], epochs: int) -> None:
    """Check 4: their main.py and our loop, from the same seed, on the same videos, per video and per epoch."""
    import torch  # noqa: PLC0415

    print(f"\n== 4. training side by side: {epochs} epochs, their split 0, their defaults otherwise (seed {SEED})")
    for method, repo in (("PGL-SUM", "pgl-sum"), ("CA-SUM", "ca-sum")):
        cwd = _layout(bench, repo)
        factor = 0.6 if repo == "ca-sum" else None
        started = time.perf_counter()
        theirs = {}
        for dataset, per_step, _ in TRAINING_RUNS:  # one process per run: their main.py seeds once per process
            argv = ["--split_index", "0", "--n_epochs", str(epochs), "--batch_size", str(per_step), "--video_type", dataset]
            task = {"kind": "train", "name": f"{dataset}/{per_step}", "cwd": str(cwd),
                    "argv": argv + (["--reg_factor", str(factor)] if factor is not None else [])}
            theirs.update(bench.child(repo, [task], f"{repo}-train-{dataset}-{per_step}"))
        print(f" {method} ({time.perf_counter() - started:.0f} s in their code)")
        for dataset, per_step, with_train_py in TRAINING_RUNS:
            their = theirs[f"{dataset}/{per_step}"]
            per_video, per_epoch, weights = _our_epoch_losses(method, dataset, benchmarks[dataset], epochs, factor, per_step)
            line = (f"  {dataset}-like, {per_step} videos per step: per-video losses (ours: train_epoch) {_gap(per_video, their['losses'])} "
                    f"over {len(their['losses'])} (first {their['losses'][0]:.6f} vs {per_video[0]:.6f}); per-epoch {_gap(per_epoch, their['epoch_losses'])} "
                    f"(theirs {', '.join(f'{v:.5f}' for v in their['epoch_losses'])}); final weights max |diff| {_weight_gap(weights, their['weights']):.1e}")
            if with_train_py:
                record = json.loads((folders[method] / dataset / "split1.json").read_text())
                saved = torch.load(folders[method] / dataset / "split1.pt")
                line += (f"; train.py: per-epoch loss in its record {_gap([row['loss'] for row in _history(record)], their['epoch_losses'])}, "
                         f"its last-epoch weights file max |diff| {_weight_gap(saved, their['weights']):.1e}")
            print(line)


def _loss_curves(rng, n_epochs: int) -> list[list[float]]:  # noqa: ANN001
    """Loss curves of several shapes: noisy falls, smooth falls (no 1 % change), rises (minimum at epoch 1),
    steps at chosen epochs, and plateaus of equal values (ties)."""
    import numpy as np  # noqa: PLC0415

    epochs = np.arange(n_epochs)
    curves = []
    for kind in range(10):
        for _ in range(3):
            if kind == 0:
                curve = 0.3 * np.exp(-epochs / rng.uniform(5, 80)) + 0.05 + rng.normal(0, rng.uniform(1e-4, 5e-3), n_epochs)
            elif kind == 1:
                curve = 0.2 - 1e-4 * epochs + rng.normal(0, 1e-5, n_epochs)  # changes far below 1 %
            elif kind == 2:
                curve = 0.1 + 1e-4 * epochs  # rising: the minimum is the first epoch
            elif kind == 3:
                curve = 0.2 - 1e-5 * epochs
                curve[rng.integers(15, n_epochs - 2):] *= rng.choice([0.95, 1.05])  # one marked step after epoch 15
            elif kind == 4:
                curve = np.round(0.1 + rng.normal(0, 0.002, n_epochs), 3)  # ties
            else:
                curve = np.abs(rng.normal(0.2, rng.uniform(1e-3, 0.05), n_epochs)) + 1e-3
            curves.append([float(v) for v in curve])
    return curves


def check_selection(bench: Bench) -> None:
    """Check 5: their epoch-choosing scripts against models.methods' rules on the same loss curves (and mean scores)."""
    import numpy as np  # noqa: PLC0415

    from models.methods import EpochRule, choose_length_factor, length_improvement, select_epoch  # noqa: PLC0415

    print("\n== 5. epoch choice: their evaluation/choose_best_epoch.py and choose_best_model.py against --select loss-curve / min-loss")
    rng = np.random.default_rng(0)
    curves = _loss_curves(rng, 60)
    runs = [curves[i:i + 5] for i in range(0, len(curves), 5)]
    theirs = bench.child("pgl-sum", [{"kind": "select", "name": "loss-curve", "cwd": str(_layout(bench, "pgl-sum")), "runs": runs}],
                         "pgl-sum-select")["loss-curve"]["choices"]
    same = [select_epoch(EpochRule.LOSS_CURVE, losses) == their["epoch"] == int(their["f1"])
            for run, chosen in zip(runs, theirs, strict=True) for losses, their in zip(run, chosen, strict=True)]
    epochs = [their["epoch"] for chosen in theirs for their in chosen]
    print(f"  PGL-SUM's rule, {len(curves)} curves of 60 epochs (noisy, smooth, rising, one step, tied): same epoch on {sum(same)}/{len(same)} "
          f"({len(set(epochs))} different epochs chosen, epoch 1 {epochs.count(1)} times)")

    sigmas = (0.5, 0.6, 0.7, 0.8, 0.9)
    ca_runs, ours = [], []
    for _ in range(4):
        run, mine = [], []
        for _ in range(5):  # splits
            losses = [_loss_curves(rng, 40)[rng.integers(0, 30)] for _ in sigmas]
            untrained = rng.uniform(0.3, 0.5, 4)
            means = [[untrained.tolist()] + [rng.uniform(0.0, 1.0, 4).tolist() for _ in range(40)] for _ in sigmas]
            run.append({"losses": losses, "means": means})
            epochs = [select_epoch(EpochRule.MIN_LOSS, curve) for curve in losses]
            gains = [length_improvement(sigma, [float(np.mean([m, m])) for m in means[i][epochs[i]]],
                                        [float(np.mean([m, m])) for m in means[i][0]]) for i, sigma in enumerate(sigmas)]
            chosen = choose_length_factor(gains)
            mine.append({"sigma": sigmas[chosen], "epoch": epochs[chosen], "capped": sum(g > 1.5 for g in gains)})
        ca_runs.append(run)
        ours.append(mine)
    theirs = bench.child("ca-sum", [{"kind": "select", "name": "min-loss", "cwd": str(_layout(bench, "ca-sum")), "runs": ca_runs}],
                         "ca-sum-select")["min-loss"]["choices"]
    pairs = [(mine, their) for run_mine, run_theirs in zip(ours, theirs, strict=True) for mine, their in zip(run_mine, run_theirs, strict=True)]
    same = sum(mine["sigma"] == their["sigma"] and mine["epoch"] == their["epoch"] for mine, their in pairs)
    capped = sum(mine["capped"] for mine, _ in pairs)
    chosen_sigmas = sorted({their["sigma"] for _, their in pairs})
    print(f"  CA-SUM's rule (minimum loss from epoch 21 per sigma, then the sigma of largest improvement <= 1.5), {len(pairs)} splits "
          f"x 5 sigmas of 40 epochs, random mean scores ({capped} improvements above 1.5): same sigma and epoch on {same}/{len(pairs)} "
          f"(sigmas chosen: {', '.join(map(str, chosen_sigmas))})")


def _history(record: dict) -> list[dict]:
    """The per-epoch rows of a train.py record (the run of the one length factor trained)."""
    if "history" in record:
        return record["history"]
    runs = record.get("length_factor_runs") or record.get("runs") or []
    return runs[0]["history"] if runs else []


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    official = {"pgl-sum": args.pgl_sum.resolve(), "ca-sum": args.ca_sum.resolve()}
    with tempfile.TemporaryDirectory(prefix="official-baselines-") as scratch:
        work = (args.work or Path(scratch)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        import torch  # noqa: PLC0415

        torch.set_num_threads(args.threads)
        bench = Bench(work, official, args.threads)
        started = time.perf_counter()
        data = make_data(bench)
        lengths = sorted(int(label.split("T=")[1]) for label in data["inputs"] if "T=" in label)
        print(f"synthetic data in {bench.data}: SumMe-like 25 videos (T {lengths[0]}-{lengths[-1]}), TVSum-like 50; "
              f"scoring inputs: the 25 SumMe-like videos and cuts of the longest to T = {', '.join(map(str, CUT_LENGTHS))}")
        if 1 in args.checks:
            check_scores(bench, data["inputs"])
        if set(args.checks) & {2, 3, 4}:
            print(f"\n(train.py --method PGL-SUM / CA-SUM --epochs {args.epochs} --select last, their split 0, for checks 2-4)")
            folders = train_ours(bench, args.epochs)
        if 2 in args.checks:
            check_ours_load_there(bench, data["inputs"], folders)
        if 3 in args.checks:
            check_f1(bench, data["benchmarks"], folders)
        if 4 in args.checks:
            check_training(bench, data["benchmarks"], folders, args.epochs)
        if 5 in args.checks:
            check_selection(bench)
        print(f"\ndone in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        run_child(sys.argv[2])
    else:
        main()
