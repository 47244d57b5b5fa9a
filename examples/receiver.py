"""Receive encrypted images over TCP and verify each one on arrival (pair: examples/sender.py).

    python examples/receiver.py --identity id.key --out received/            # port 9630
    python examples/receiver.py --key-file secret.key --port 0 --connections 1

Per image the sender sends two frames (securecomp.transport): a small JSON description (name,
mode, size, SHA-256 of the pixels it encrypted) and the container. The receiver authenticates and
decrypts the container, then checks the decoded pixels against the SHA-256 (lossless codecs) or
just their mode and size (lossy codecs). Acceptance rests on the container's authentication tag;
the description is not authenticated, so tampering with it can only make a check fail. A peer that
sends garbage, a truncated or oversize frame or a bad container gets its connection closed and an
`error:` line; the receiver keeps serving the next connection.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from pathlib import Path, PurePosixPath

from securecomp.errors import SecurecompError, TransportError
from securecomp.keys import read_key_file
from securecomp.recipients import read_identity_file
from securecomp.transport import DEFAULT_MAX_SIZE, receive_frame, receive_image

DESCRIPTION_LIMIT = 64 << 10


def pixel_digest(image) -> str:
    """SHA-256 over mode, size and raw pixels: the same on both ends for a lossless round trip."""
    return hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode() + image.tobytes()).hexdigest()


def check_image(description: dict, image) -> str:
    """"verified" or "authenticated"; raises ValueError when the image is not what was announced."""
    if (image.mode, image.width, image.height) != (description["mode"], description["width"], description["height"]):
        raise ValueError(f"{description['name']}: mode or size differs from the announced one")
    if not description.get("lossless"):
        return "authenticated (lossy codec)"
    if pixel_digest(image) != description["sha256"]:
        raise ValueError(f"{description['name']}: decoded pixels do not match the sender's SHA-256")
    return "verified"


async def receive_one(reader, secret: dict, max_size: int):
    """(description, image) of the next image, or None when the sender is done."""
    raw = await receive_frame(reader, max_size=DESCRIPTION_LIMIT)
    if raw is None:
        return None
    try:
        description = json.loads(raw)
        str(description["name"]), description["mode"], description["width"], description["height"]
    except (ValueError, KeyError, TypeError):
        raise TransportError("the peer sent a description that is not the expected JSON object") from None
    image = await receive_image(reader, max_size=max_size, **secret)
    if image is None:
        raise TransportError(f"the connection ended after the description of {description['name']!r}")
    return description, image


def save(out: Path, name: str, image) -> Path:
    """Write under ``out`` only: absolute names and `..` are refused."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"refusing to write outside {out}: {name!r}")
    target = (out / Path(*relative.parts)).with_suffix(".png")
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target)
    return target


async def handle(reader, writer, secret: dict, *, out: Path | None, max_size: int, log=print) -> dict:
    """Serve one connection; returns {"images": n, "error": message or None}."""
    peer, count, error = writer.get_extra_info("peername"), 0, None
    try:
        while (received := await receive_one(reader, secret, max_size)) is not None:
            description, image = received
            status = check_image(description, image)
            if out is not None:
                save(out, description["name"], image)
            count += 1
            log(f"{status}: {description['name']} {image.width}x{image.height} {image.mode}")
    except (SecurecompError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"error: connection from {peer[0]}:{peer[1]}: {error}")
    finally:
        writer.close()
    return {"images": count, "error": error}


async def serve(host: str, port: int, secret: dict, *, out: Path | None = None, connections: int | None = None,
                max_size: int = DEFAULT_MAX_SIZE, log=print, ready=None) -> list[dict]:
    """Accept connections until ``connections`` have been served (forever if None); one result each."""
    results, done = [], asyncio.Event()

    async def on_connect(reader, writer):
        results.append(await handle(reader, writer, secret, out=out, max_size=max_size, log=log))
        if connections is not None and len(results) >= connections:
            done.set()

    server = await asyncio.start_server(on_connect, host, port)
    bound = server.sockets[0].getsockname()
    log(f"listening on {bound[0]}:{bound[1]}")
    if ready is not None:
        ready(bound[1])
    async with server:
        await done.wait()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9630, help="0: any free port (printed)")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--identity", help="identity file (`securecomp keygen --x25519`)")
    secret.add_argument("--key-file", help="key file (`securecomp keygen`)")
    parser.add_argument("--out", type=Path, help="save the images as PNG under this folder")
    parser.add_argument("--connections", type=int, help="stop after this many connections")
    parser.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE, help="largest container accepted (bytes)")
    args = parser.parse_args(argv)
    try:
        chosen = ({"identity": read_identity_file(args.identity)} if args.identity
                  else {"key": read_key_file(args.key_file)})
        results = asyncio.run(serve(args.host, args.port, chosen, out=args.out, connections=args.connections,
                                    max_size=args.max_size, log=lambda line: print(line, flush=True)))
    except SecurecompError as exc:
        print(f"error: {exc}\nhint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 1 if any(result["error"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
