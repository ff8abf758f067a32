"""A local web page: summarise a video and look inside any model's predictions, in the browser.

    pip install -e '.[app]'          # once: gradio (an optional extra)
    python app.py                    # http://127.0.0.1:<free port>, printed

"Summarise a video" runs generate_video.py on the options chosen (the same files, byte for byte);
"Look inside predictions" scores one or two score files on a data set as score.py does and draws,
for one video, the ground truth, each prediction, the user summaries and each method's selection.

Bound to this machine by default. With --host 0.0.0.0 the page reads only uploads and the folders
given by --allow (a typed path elsewhere is refused); uploads above --max-upload are refused. One
summary or scoring runs at a time; each visitor's files live in a temporary folder removed when the
visitor leaves and when the page stops. Exit status: 0 stopped by Ctrl-C, 2 a mistake in the
command or gradio not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import tempfile
from pathlib import Path

from cli.interrupt import take_sigterm_as_interrupt
from cli.options import add_device_argument, command_parser

INSTALL_HINT = "the web page needs gradio, an optional extra: pip install -e '.[app]' (or pip install -r requirements-app.txt)"
_SIZE = re.compile(r"\d+(\.\d+)?\s*(b|kb|mb|gb|tb)", re.IGNORECASE)


def _size(text: str) -> str:
    if not _SIZE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a size such as 500mb or 2gb, got {text!r}")
    return text.strip().lower().replace(" ", "")


def _folder(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a folder")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, help="port (default: a free one; the address is printed)")
    parser.add_argument("--allow", type=_folder, action="append", default=[], metavar="DIR",
                        help="a folder whose files typed paths may name (repeatable); with a --host other than "
                        "this machine's, typed paths are refused outside these folders, and off without any")
    parser.add_argument("--max-upload", type=_size, default="2gb", help="largest upload accepted (default 2gb)")
    add_device_argument(parser)
    args = parser.parse_args(argv)
    if args.port is not None and not 0 < args.port < 65536:
        parser.error(f"--port must be in 1..65535, got {args.port}")
    return args


def main(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("gradio") is None:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from webapp.serve import serve
    from webapp.settings import AppSettings

    work_root = Path(tempfile.mkdtemp(prefix="csta-app-"))
    serve(AppSettings(host=args.host, port=args.port, allow=tuple(args.allow), max_upload=args.max_upload,
                      device=args.device, work_root=work_root))
    return 0


if __name__ == "__main__":
    take_sigterm_as_interrupt()  # a kill stops the page as Ctrl-C does: sessions ended, files removed
    sys.exit(main(parse_args()))
