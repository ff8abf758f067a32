# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO := demo_output

.PHONY: setup test demo lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lint: setup
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest -q

# Synthetic SumMe-like data, a stand-in ImageNet file (offline), a short CPU training run on
# split 1, then the evaluation table. Every number it prints is labelled SYNTHETIC. Then a
# generated clip (moving shapes, hard cuts, a tone) is summarised into a video, a JSON and a PNG.
demo: setup
	$(PY) -m cli.synthetic_data --dataset SumMe --out $(DEMO)/data --min-steps 60 --max-steps 240
	TORCH_HOME=$(DEMO)/torch_home $(PY) -m cli.stand_in
	TORCH_HOME=$(DEMO)/torch_home $(PY) train.py --dataset SumMe --split 1 --epochs 5 --device cpu \
		--data-dir $(DEMO)/data --weights-dir $(DEMO)/weights
	$(PY) inference.py --dataset SumMe --split 1 --device cpu --data-dir $(DEMO)/data \
		--weights-dir $(DEMO)/weights --json $(DEMO)/results.json --overwrite
	$(PY) -m cli.synthetic_video $(DEMO)/videos/demo.mp4 --scenes 10 --seconds 3 1.5 2 4 1 2.5 3 1.5 2 3.5
	TORCH_HOME=$(DEMO)/torch_home $(PY) generate_video.py $(DEMO)/videos/demo.mp4 --device cpu \
		--weights $(DEMO)/weights/SumMe/split1.pt --out $(DEMO)/summaries --overwrite
	@echo "demo summary: $(DEMO)/summaries/demo.mp4, demo.json, demo.png (STAND-IN backbone, weights trained on SYNTHETIC data)"

clean:
	rm -rf $(DEMO) .pytest_cache .ruff_cache
