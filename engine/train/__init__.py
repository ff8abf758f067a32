"""Training one run: the loop, a method's epoch, the run's configuration, checkpoints and resume, fine-tuning, TensorBoard."""
