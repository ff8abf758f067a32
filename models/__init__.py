"""The CSTA model (every variant of the reference's options), its attention CNNs and checkpoint handling."""

from models.backbone import BACKBONES, BackboneSpec, BackboneWeightsUnavailable, build_backbone, build_googlenet
from models.checkpoint import CheckpointMismatch, load_checkpoint, save_checkpoint
from models.csta import CSTA, build_csta
from models.variants import explain_mismatch, fitting_config

__all__ = [
    "BACKBONES",
    "CSTA",
    "BackboneSpec",
    "BackboneWeightsUnavailable",
    "CheckpointMismatch",
    "build_backbone",
    "build_csta",
    "build_googlenet",
    "explain_mismatch",
    "fitting_config",
    "load_checkpoint",
    "save_checkpoint",
]
