"""Kernel temporal segmentation (KTS): shot boundaries from frame features.

``cpd_nonlin`` and ``cpd_auto`` keep the signatures and results of the field's KTS code (they take
a kernel matrix); ``detect_change_points`` takes the features and scales to long videos.
"""

from kts.auto import cpd_auto
from kts.errors import KTSInputError
from kts.long_video import change_points_to_shots, detect_change_points
from kts.nonlin import cpd_nonlin
from kts.refine import refine_change_points

__all__ = ["KTSInputError", "change_points_to_shots", "cpd_auto", "cpd_nonlin", "detect_change_points", "refine_change_points"]
