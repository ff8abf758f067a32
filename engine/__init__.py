"""What the commands do once their flags are read, in rooms named for their job.

train/     one training run: the loop (loop.py), a method's epoch (epoch.py), the run's configuration
           (run_config.py), checkpoints and resume, fine-tuning, TensorBoard
evaluate/  scoring weights: a model over a split (model_scores.py), weights files evaluated
           (weights_evaluation.py), saved predictions, comparisons, complexity, the spread over seeds
scale/     many processes: Ray sweeps of independent runs, torchrun's data-parallel training
reports/   tables, JSON and figures for people and tools
ablation/  the ablation grid of CSTA variants, trained and tabulated
run_paths.py, run_outputs.py, weights_model.py: where each file goes, claiming outputs before work,
and which model a weights file is (shared by every room).
"""
