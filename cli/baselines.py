"""Random and Human baseline rows for SumMe or TVSum, on the model's own protocol.

    python -m cli.baselines --dataset TVSum --data-dir data [--draws 100 --seed 0 --json PATH]

TVSum's human tau/rho need only ydata-anno.tsv; without the h5 file the rows that need it (Random,
human F1) are reported as unavailable.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from cli.options import add_overwrite_argument, add_seed_argument, command_parser
from config import DATASETS, DEFAULT_DATA_DIR, TVSUM_ANNOTATION_FILE
from engine.run_outputs import claim_outputs, where_outputs_go
from evaluation.baselines import baselines_table, dataset_baselines
from evaluation.random_draws import RANDOM_DRAWS
from utils import write_json_atomic
from utils.errors import ProjectError

log = logging.getLogger("baselines")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=list(DATASETS), required=True, help="dataset whose baselines to compute")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=f"folder of the h5 files and ydata-anno.tsv (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--draws", type=int, default=RANDOM_DRAWS, help=f"random draws to average (default: {RANDOM_DRAWS})")
    add_seed_argument(parser, default=0, help="seed of the random draws (default: 0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the rows as JSON to PATH")
    add_overwrite_argument(parser, "an existing --json file")
    args = parser.parse_args(argv)
    if args.draws < 1:
        parser.error("--draws must be at least 1")
    return args


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    spec = DATASETS[args.dataset]
    start = time.perf_counter()
    try:  # --json checked before any work: the one collision check and overwrite rule (engine/run_outputs.py)
        outputs = [args.json] if args.json else []
        claim = claim_outputs(outputs, [spec.h5_path(args.data_dir), Path(args.data_dir) / TVSUM_ANNOTATION_FILE], fresh=outputs,
                              overwrite=args.overwrite)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    if args.json:
        log.info("%s", where_outputs_go("the rows", args.json))
    with claim:
        try:
            rows, synthetic = dataset_baselines(spec, args.data_dir, args.draws, args.seed)
        except (ProjectError, OSError) as error:
            log.error("error: %s", error)
            return 2
        seconds = time.perf_counter() - start
        log.info("%s\n  (computed in %.1f s)", baselines_table(spec.name, rows, synthetic), seconds)
        if args.json:
            write_json_atomic(args.json, {spec.name: {"synthetic_data": synthetic, "seconds": seconds, "rows": [r.as_dict() for r in rows]}})
            log.info("wrote %s", args.json)
    return 0


def run() -> None:
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
