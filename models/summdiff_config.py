"""SummDiff's options (Kim, Hahm et al., ICCV 2025), torch-free so that the command line reads and checks them at once.

Defaults are the authors' (github.com/Kwanseok-K/SummDiff at 1d4b8ae: main.py's argument defaults
and scripts/train_{summe,tvsum,mrhisum}.sh). Where their scripts set a value per data set, the
field is None here and ``for_dataset`` fills it in: SumMe trains on each annotator's scores with
guidance weight 0.2 and 2 latentmlp blocks, TVSum on the mean score with weight 0.1 and 3 blocks,
Mr.HiSum with the dit denoiser, 100 score levels and EMA weights. A value the user sets is never replaced.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from config import MethodConfigError

__all__ = ["AUTHORS_BY_DATASET", "Denoiser", "ScoreEmbedding", "SummDiffConfig"]


class Denoiser(enum.Enum):
    LATENT_MLP = "latentmlp"  # residual MLP blocks with a 3-tap convolution over time (SumMe, TVSum)
    DIT = "dit"  # adaLN transformer blocks whose scores attend to the condition (Mr.HiSum)


class ScoreEmbedding(enum.Enum):
    LEARNED = "learned"  # a table of K + 1 score levels, then a 2-layer MLP (every script)
    SINUSOIDAL = "sinusoidal"  # sinusoids of the score, then a 2-layer MLP


# The authors' per-data-set values (scripts/train_*.sh); data sets they did not name take GENERIC.
AUTHORS_BY_DATASET: dict[str, dict[str, Any]] = {
    "SumMe": {"denoiser": Denoiser.LATENT_MLP, "decoder_layers": 2, "guidance": 0.2, "clamp": True, "individual": True, "ema": False,
              "score_levels": 200},
    "TVSum": {"denoiser": Denoiser.LATENT_MLP, "decoder_layers": 3, "guidance": 0.1, "clamp": True, "individual": False, "ema": False,
              "score_levels": 200},
    "MrHiSum": {"denoiser": Denoiser.DIT, "decoder_layers": 2, "guidance": 0.1, "clamp": False, "individual": False, "ema": True,
                "score_levels": 100},
}
# main.py's defaults, except the denoiser: main.py's is dit, but a data set they did not name (a built one, VideoXum,
# MoSu) takes latentmlp, the denoiser of their two benchmarks, so that a run there keeps what it had before dit was built
GENERIC = {"denoiser": Denoiser.LATENT_MLP, "decoder_layers": 2, "guidance": 0.1, "clamp": False, "individual": False, "ema": False,
           "score_levels": 200}


@dataclass(frozen=True)
class SummDiffConfig:
    """The model, its diffusion and its sampling; the authors' names in comments."""

    feature_dim: int = 1024  # v_feat_dim
    hidden_dim: int = 256  # hidden_dim
    encoder_layers: int = 2  # enc_layers
    decoder_layers: int | None = None  # dec_layers: the denoiser's blocks (per data set; their dit has 2 whatever it says)
    heads: int = 8  # nheads (the encoder's attention)
    feedforward_dim: int = 1024  # dim_feedforward
    dropout: float = 0.1  # dropout (encoder)
    input_dropout: float = 0.5  # input_dropout
    input_projections: int = 3  # n_input_proj: LayerNorm-dropout-linear layers before the encoder (1 to 3)
    score_levels: int | None = None  # K: a score s in [0, 1] is embedded as level round(s * K) (per data set)
    denoiser: Denoiser | None = None  # denoiser (per data set)
    score_embedding: ScoreEmbedding = ScoreEmbedding.LEARNED  # scores_embed
    p_uncond: float = 0.2  # chance that a training video's features are replaced by the null video
    guidance: float | None = None  # w: x0 = (1 + w) * conditional - w * unconditional at sampling (per data set)
    sigmoid_temp: float = 2.0  # sigmoid_temp: score = sigmoid(temp * x)
    eps: float = 1e-3  # eps: scores are clamped to [eps, 1 - eps] before the logit
    clamp: bool | None = None  # clamp: training targets clamped to [0.05, 0.95] (per data set)
    individual: bool | None = None  # individual: one training target per annotator, not their mean (per data set)
    ema: bool | None = None  # ema: evaluate, keep and save a moving average of the weights (per data set; engine/train/ema.py)
    ema_decay: float = 0.999  # ema_decay
    diffusion_steps: int = 1000  # timesteps of the cosine schedule (transformer.py, fixed there)
    sampling_steps: int = 10  # DDIM steps at sampling (fixed there)
    ddim_eta: float = 1.0  # fixed there
    samples: int = 1  # draws averaged per video (the authors draw 1)
    sample_seed: int = 204  # the sampling noise of every video starts from this seed (the authors reseed 204 for SumMe)
    null_video: str | None = None  # a .npy file holding the 1024 null features (the authors' dataset/null_video.npy)
    null_seed: int = 0  # without null_video: the null features are N(0, 1) drawn from this seed

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.input_projections <= 3:
            problems.append(f"input_projections={self.input_projections}: the authors' model has 1 to 3 (n_input_proj)")
        if self.hidden_dim < 2 or self.hidden_dim % 2 or self.hidden_dim % self.heads:
            problems.append(f"hidden_dim={self.hidden_dim} must be even and divisible by heads={self.heads}")
        for name in ("encoder_layers", "sampling_steps", "samples", "feature_dim", "heads"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)} must be at least 1")
        if self.decoder_layers is not None and self.decoder_layers < 1:
            problems.append(f"decoder_layers={self.decoder_layers} must be at least 1")
        if self.score_levels is not None and self.score_levels < 1:
            problems.append(f"score_levels={self.score_levels} must be at least 1")
        if self.sampling_steps > self.diffusion_steps:
            problems.append(f"sampling_steps={self.sampling_steps} cannot exceed diffusion_steps={self.diffusion_steps}")
        if not 0 <= self.p_uncond < 1:
            problems.append(f"p_uncond={self.p_uncond} must be in [0, 1)")
        if not 0 < self.eps < 0.5:
            problems.append(f"eps={self.eps} must be in (0, 0.5)")
        if self.sigmoid_temp <= 0:
            problems.append(f"sigmoid_temp={self.sigmoid_temp} must be positive")
        if not 0 <= self.ema_decay < 1:
            problems.append(f"ema_decay={self.ema_decay} must be in [0, 1)")
        if not isinstance(self.denoiser, Denoiser | None) or not isinstance(self.score_embedding, ScoreEmbedding):
            problems.append(f"denoiser and score_embedding must be enum values, got {self.denoiser!r}, {self.score_embedding!r}")
        if problems:
            raise MethodConfigError("SummDiff: " + "; ".join(problems))

    def for_dataset(self, dataset: str) -> SummDiffConfig:
        """The options with every per-data-set field left None set as the authors' script for ``dataset`` sets it."""
        values = AUTHORS_BY_DATASET.get(dataset, GENERIC)
        return replace(self, **{name: value for name, value in values.items() if getattr(self, name) is None})

    def resolved(self) -> SummDiffConfig:
        """Every field set: those left None take main.py's defaults (a model built without a data set)."""
        return self.for_dataset("")

    def to_options(self) -> dict:
        """Plain JSON values (enums by their value), for the record beside a weights file."""
        values = asdict(self)
        values["denoiser"] = self.denoiser.value if self.denoiser is not None else None
        values["score_embedding"] = self.score_embedding.value
        return values

    @classmethod
    def from_options(cls, values: dict) -> SummDiffConfig:
        """The inverse of to_options; an unknown option is a MethodConfigError naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise MethodConfigError(f"SummDiff has no option {', '.join(unknown)}; its options are {', '.join(sorted(known))}")
        values = dict(values)
        try:
            if isinstance(values.get("denoiser"), str):
                values["denoiser"] = Denoiser(values["denoiser"].lower())
            if isinstance(values.get("score_embedding"), str):
                values["score_embedding"] = ScoreEmbedding(values["score_embedding"].lower())
        except ValueError as error:
            raise MethodConfigError(f"SummDiff: {error}; denoiser is one of {[d.value for d in Denoiser]}, "
                                    f"score_embedding one of {[s.value for s in ScoreEmbedding]}") from error
        return cls(**values)
