"""How many draws of uniform random scores the Random baseline row averages by default.

One number shared by the row's computation (evaluation.baselines) and the commands that offer it as
a flag (inference.py --random-draws, cli/baselines.py --draws). Standard library only: a command
line reads it before numpy and scipy are imported, so --help answers at once.
"""

RANDOM_DRAWS = 100
