"""Many processes: Ray sweeps of independent runs and torchrun's data-parallel training."""
