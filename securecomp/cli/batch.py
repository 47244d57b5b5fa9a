"""`securecomp batch encrypt|decrypt IN_DIR OUT_DIR`: the command-line face of securecomp.batch."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import batch
from ..errors import BatchError
from ..secret import Recipients, Secret
from .io import read_secret, report_error
from .options import codec_options, legacy_option, positive, secret_options

if TYPE_CHECKING:
    from .options import Subparsers

__all__ = ["add_parser", "run_batch"]

DASK_NOTE = ("--dask ADDRESS runs the files on a Dask distributed cluster (`local`: a cluster of --workers "
             "processes on this machine); the workers must see IN_DIR and OUT_DIR at the same paths.")


def add_parser(commands: Subparsers) -> None:
    """Add `batch` with its `encrypt` and `decrypt` subcommands to the `securecomp` subparsers."""
    command = commands.add_parser("batch", help="encrypt or decrypt a whole folder tree (resumable, parallel)")
    actions = command.add_subparsers(title="actions", metavar="ACTION", required=True)
    for direction in batch.DIRECTIONS:
        verb = "compress and encrypt every image" if direction == "encrypt" else "decrypt every .sc file to PNG"
        encrypting = direction == "encrypt"
        parents = [secret_options(encrypting=encrypting), codec_options() if encrypting else legacy_option(),
                   _run_options()]
        action = actions.add_parser(direction, help=f"{verb} under IN_DIR into the same tree under OUT_DIR",
                                    description=f"{verb.capitalize()} under IN_DIR into OUT_DIR. {DASK_NOTE}",
                                    parents=parents)
        action.add_argument("in_dir", metavar="IN_DIR")
        action.add_argument("out_dir", metavar="OUT_DIR")
        action.set_defaults(run=run_batch, direction=direction)


def _run_options() -> argparse.ArgumentParser:
    action = argparse.ArgumentParser(add_help=False)
    action.add_argument("--workers", type=positive, default=1, metavar="N",
                        help="local worker processes (default: 1); with --dask local: the cluster's workers")
    action.add_argument("--dask", metavar="ADDRESS",
                        help="Dask scheduler address (tcp://HOST:8786, tls://...) or `local`")
    action.add_argument("--manifest", metavar="FILE",
                        help=f"JSON Lines manifest (default: OUT_DIR/{batch.MANIFEST_NAME})")
    action.add_argument("--no-progress", action="store_true", help="no progress bar (it shows on a terminal only)")
    action.add_argument("--force", action="store_true",
                        help="overwrite files in OUT_DIR that the manifest does not record as this batch's output")
    action.add_argument("--follow-symlinks", action="store_true",
                        help="follow symbolic links in IN_DIR (default: skip them)")
    action.add_argument("--include-hidden", action="store_true", help="include hidden files and folders (.*) of IN_DIR")
    return action


def run_batch(args: argparse.Namespace) -> int:
    secret = _secret(args)
    _warn_plaintext_dask(args.dask, secret)
    encrypting = args.direction == "encrypt"
    options = ({"codec": args.codec, "quality": args.quality, "cipher": args.cipher} if encrypting
               else {"allow_legacy": args.allow_legacy})
    summary = batch.run_batch(args.direction, args.in_dir, args.out_dir, secret=secret,
                              workers=args.workers,
                              dask=args.dask, manifest=args.manifest, progress=False if args.no_progress else None,
                              raise_on_error=False, force=args.force, follow_symlinks=args.follow_symlinks,
                              include_hidden=args.include_hidden, **options)
    _print_summary(args, summary)
    if summary.failed:
        raise _failure(summary, args)
    return 0


def _secret(args: argparse.Namespace) -> Secret:
    if args.direction == "encrypt":
        return read_secret(args.key_file, args.password_file, confirm=True, recipients=args.recipient,
                           recipients_file=args.recipients_file)
    return read_secret(args.key_file, args.password_file, confirm=False, identity_file=args.identity)


def _warn_plaintext_dask(address: str | None, secret: Secret) -> None:
    if address and address != "local" and not address.startswith("tls://") and not isinstance(secret, Recipients):
        print("warning: the key, password or identity travels to the Dask workers unencrypted; "
              "use a tls:// scheduler, or --recipient to encrypt with public keys only", file=sys.stderr)


def _print_summary(args: argparse.Namespace, summary: batch.Summary) -> None:
    total = summary.done + summary.skipped + summary.failed
    print(f"{args.direction}ed {summary.done} of {total} files ({summary.skipped} already done, "
          f"{summary.failed} failed) in {summary.seconds:.1f} s, {summary.images_per_second:.1f} files/s; "
          f"left out {summary.symlinks} symbolic links (--follow-symlinks), {summary.hidden} hidden names "
          f"(--include-hidden)" + (f"; kept {summary.kept} existing files (--force)" if summary.kept else ""),
          file=sys.stderr)


def _failure(summary: batch.Summary, args: argparse.Namespace) -> BatchError:
    for record in summary.errors[:5]:
        report_error(f"{record.input}: {record.error}")
    manifest = args.manifest or f"{args.out_dir}/{batch.MANIFEST_NAME}"
    return BatchError(f"{summary.failed} files failed (each is recorded in {manifest})")

