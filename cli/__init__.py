"""The command-line room, beside the top-level scripts (train.py, inference.py, ...): the options the
scripts share, each defined once (options.py; Ray's in ray_options.py), the step from a parsed command to
the typed requests the packages below take (sweep_command.py: engine/scale/ray_sweep.py's SweepConfig and RunJob),
and small commands of their own (`python -m cli.<name>`). Nothing below cli/ imports argparse
(tests/test_layout.py)."""
