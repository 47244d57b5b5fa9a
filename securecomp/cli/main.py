"""``securecomp`` itself: the parser of every command and :func:`main`, which turns every failure
into ``error:``/``hint:`` lines and a documented exit code (README.md, "Exit codes")."""

from __future__ import annotations

import argparse
import os
import traceback
from typing import NoReturn

from .. import __version__
from ..errors import SecurecompError, UsageError
from . import batch, bench, commands, report, train
from .io import report_error, report_os_error

__all__ = ["main", "build_parser", "DEBUG_VARIABLE", "INTERRUPTED"]

INTERRUPTED = 130
DEBUG_VARIABLE = "SECURECOMP_TRACEBACK"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success)."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except SystemExit as exc:        # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except SecurecompError as exc:
        report_error(str(exc), exc.hint)
        return exc.exit_code
    except OSError as exc:
        return report_os_error(exc)
    except KeyboardInterrupt:
        report_error("interrupted")
        return INTERRUPTED
    except Exception as exc:        # a bug: still no traceback unless asked for
        return _report_bug(exc)


def _report_bug(exc: Exception) -> int:
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exc()
    report_error(f"unexpected {type(exc).__name__}: {exc}",
                 f"this is a bug in securecomp; set {DEBUG_VARIABLE}=1 to see the traceback and report it")
    return 1


class Parser(argparse.ArgumentParser):
    """argparse that fails with ``error:``/``hint:`` lines (exit 2) instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see `{self.prog} --help`")


EPILOG = ("Documentation: README.md in the source distribution (installation, every command, exit codes); "
          "the Python API: `python -m pydoc securecomp`. `securecomp COMMAND --help` shows a command's options.")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="securecomp", description="Compress images, then encrypt them in an "
                    "authenticated container (AES-256-GCM, optionally with a chaotic cipher layer).",
                    epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"securecomp {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    commands.add_parsers(subparsers)
    batch.add_parser(subparsers)
    train.add_parser(subparsers)
    bench.add_parser(subparsers)
    report.add_parser(subparsers)
    return parser
