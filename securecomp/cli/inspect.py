"""``securecomp inspect``: a container's header, which needs no key; of a truncated or damaged
container, whatever its header still tells (then it fails, exit 4)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .. import container
from ..errors import FormatError
from .io import is_stdio, read_container

if TYPE_CHECKING:
    from .options import Subparsers

__all__ = ["add_parser", "run_inspect", "header_fields", "partial_fields"]


def add_parser(commands: Subparsers) -> None:
    command = commands.add_parser("inspect", help="show a container's header (no key needed)")
    command.add_argument("input", nargs="?", metavar="FILE", help="container file; `-` or absent: stdin")
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(run=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    blob = read_container(args.input)
    try:
        header = container.parse(blob).header
    except FormatError as exc:
        return _inspect_damaged(args, blob, exc)
    _print_fields(header_fields(blob, header), json_output=args.json)
    return 0


def _print_fields(fields: dict[str, Any], *, json_output: bool) -> None:
    if json_output:
        print(json.dumps(fields, indent=2))
    else:
        for name, value in _readable(fields):
            print(f"{name + ':':<11}{value}")
    sys.stdout.flush()


def _inspect_damaged(args: argparse.Namespace, blob: bytes, error: FormatError) -> int:
    """A container parse() refuses: print what its header still tells, then fail (exit 4)."""
    partial = container.read_partial(blob)
    if not partial.fields or not partial.problem:
        raise error
    fields = partial_fields(partial)
    _print_fields(fields, json_output=args.json)
    name = "stdin" if is_stdio(args.input) else args.input
    what = "the fields above are all that its header still tells"
    if partial.truncated:
        raise FormatError(f"{name}: {partial.problem}; {what}",
                          hint="the file was cut short (an interrupted copy or download?); decrypt refuses it: "
                               "get the whole file again from its source")
    raise FormatError(f"{name}: {partial.problem}; {what}",
                      hint="the file was damaged after it was written; decrypt refuses it: restore it from a copy")


def header_fields(blob: bytes, header: container.Header) -> dict[str, Any]:
    info = header.info
    return {"version": blob[len(container.MAGIC)], "suite": header.suite, "key": _key_fields(header),
            "nonce": header.nonce.hex(), "codec": info.codec, "model": info.model, "quality": info.quality,
            "mode": info.mode, "width": info.width, "height": info.height,
            "payload_bytes": header.payload_size, "container_bytes": len(blob),
            "bpp": len(blob) * 8 / (info.width * info.height)}


def partial_fields(partial: container.PartialHeader) -> dict[str, Any]:
    """What :func:`header_fields` gives, for the fields a damaged container's header still holds, and
    ``problem``, ``truncated`` and (when the header tells it) ``expected_bytes``."""
    read = partial.fields
    fields: dict[str, Any] = {name: read[name] for name in ("version", "suite") if name in read}
    if "key_type" in read:
        fields["key"] = _key_fields_of(read["key_type"], read.get("kdf"), read.get("recipients"))
    if "nonce" in read:
        fields["nonce"] = read["nonce"].hex()
    fields.update({name: read[name] for name in ("codec", "model", "quality", "mode", "width", "height")
                   if name in read})
    if "payload_size" in read:
        fields["payload_bytes"] = read["payload_size"]
    fields["container_bytes"] = partial.size
    if partial.expected_size is not None:
        fields["expected_bytes"] = partial.expected_size
    fields.update(truncated=partial.truncated, problem=partial.problem)
    return fields


def _key_fields(header: container.Header) -> dict[str, Any]:
    return _key_fields_of(header.key_type, header.kdf, len(header.stanzas))


def _key_fields_of(key_type: int, kdf: Any, recipients: int | None) -> dict[str, Any]:
    if key_type == container.KEY_RECIPIENTS:
        return {"type": "x25519 recipients"} | ({"recipients": recipients} if recipients else {})
    if key_type == container.KDF_KEY:
        return {"type": "raw key"}
    if kdf is None:
        return {"type": "password"}
    return {"type": "password", "kdf": "argon2id", "memory_kib": kdf.memory_kib,
            "iterations": kdf.iterations, "lanes": kdf.lanes, "salt": kdf.salt.hex()}


def _key_text(key: dict[str, Any]) -> str:
    if key["type"] == "password" and "kdf" in key:
        return f"password (argon2id m={key['memory_kib']} KiB, t={key['iterations']}, p={key['lanes']})"
    if key["type"] == "x25519 recipients":
        return f"{key.get('recipients', '?')} X25519 recipient(s)"
    return str(key["type"])


def _readable(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """The rows ``inspect`` prints, for the fields there are (a damaged container has fewer)."""
    rows: list[tuple[str, Any]] = [(name, fields[name]) for name in ("version", "suite") if name in fields]
    if "key" in fields:
        rows.append(("key", _key_text(fields["key"])))
    rows += [(name, fields[name]) for name in ("nonce", "codec") if name in fields]
    if "model" in fields:
        rows.append(("model", fields["model"] or "-"))
    if "quality" in fields:
        rows.append(("quality", fields["quality"] or "0 (lossless)"))
    if "mode" in fields:
        rows.append(("mode", fields["mode"]))
    if "width" in fields:
        rows.append(("size", f"{fields['width']}x{fields['height']}"))
    if "payload_bytes" in fields:
        rows.append(("payload", f"{fields['payload_bytes']} bytes"))
    container_text = f"{fields['container_bytes']} bytes"
    if "problem" in fields:
        expected = f" of {fields['expected_bytes']}" if "expected_bytes" in fields else ""
        container_text = (f"{fields['container_bytes']}{expected} bytes, "
                          f"{'TRUNCATED' if fields['truncated'] else 'DAMAGED'}")
    rows.append(("container", container_text))
    if "bpp" in fields:
        rows.append(("bpp", f"{fields['bpp']:.4f}"))
    return rows
