"""Thin command-line entry points (`python -m cli.<name>`) over the library packages; the main
scripts (train.py, inference.py, generate_video.py) sit at the top level."""
