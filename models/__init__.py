"""The CSTA model, its GoogLeNet trunk and checkpoint handling."""

from models.backbone import BackboneWeightsUnavailable, build_googlenet
from models.checkpoint import CheckpointMismatch, load_checkpoint, save_checkpoint
from models.csta import CSTA, build_csta

__all__ = [
    "CSTA",
    "BackboneWeightsUnavailable",
    "CheckpointMismatch",
    "build_csta",
    "build_googlenet",
    "load_checkpoint",
    "save_checkpoint",
]
