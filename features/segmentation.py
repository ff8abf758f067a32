"""How shots are found: the one type behind --segmentation (generate_video.py, build_dataset.py).

Standard library only: the command lines offer its values and convert their flag to it before numpy
and torch are imported. The work each route does is in features.shots.
"""

from __future__ import annotations

import enum


class Segmentation(enum.Enum):
    """How shots are found (the order is the command lines' choices').

    FAST: KTS on the GoogLeNet features the model reads anyway (every sample_rate-th frame, with
    desc_rate telling KTS the real length), then each boundary placed at full frame rate where a
    12 x 8 colour thumbnail of every frame changes most (kts.refine_change_points).
    FULL: the reference route: KTS on the GoogLeNet features of EVERY frame (exact KTS, the
    reference's rounding), so every frame must be embedded. KTS's float32 sums and tie-breaking
    see a difference of one rounding in the features, so they must be the reference's bit for bit:
    the frames go through the network in batches run with the reference's one-frame kernels
    (features.exact_trunk), which makes the features, and so the shots, bit-identical to it.
    """

    FAST = "fast"
    FULL = "full"

    @property
    def embed_every(self) -> int | None:
        """Frames between embedded frames; None: the model's sample rate."""
        return 1 if self is Segmentation.FULL else None

    def frames_between_embeddings(self, sample_rate: int) -> int:
        """``embed_every``, the model's sample rate where that is None."""
        return self.embed_every or sample_rate

    def default_batch_size(self, device_type: str) -> int:
        """Frames per network call unless the user says (both routes batch; the full route's batches are exact).

        CUDA: 64. CPU: the fast route's two-thread batches are no faster above 8; the full route's
        single-threaded workers run 4 at a time, whose activations (13 MB each at the first
        convolution) share the cache better than 8's: 11.0 against 11.4 ms a frame on two cores
        (bench/README.md)."""
        if device_type == "cuda":
            return 64
        return 4 if self is Segmentation.FULL else 8
