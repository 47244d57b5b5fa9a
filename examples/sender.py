"""Send a folder of images over TCP, encrypted, to examples/receiver.py.

    python examples/sender.py photos/ --recipient scpub1...      # to 127.0.0.1:9630
    python examples/sender.py photos/ --key-file secret.key --port 9631 --codec webp

Every image file under the folder (recursively, sorted) is opened the way securecomp.encrypt opens
it, described in one frame (name, mode, size, SHA-256 of the pixels) and sent encrypted in the next
(securecomp.transport.send_image). The default codec is png, so the receiver can check every pixel.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from PIL import Image

from securecomp.codec import get_codec
from securecomp.errors import SecurecompError
from securecomp.images import to_image
from securecomp.keys import read_key_file
from securecomp.transport import send_frame, send_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from receiver import pixel_digest  # noqa: E402  (the one definition both ends use)


def image_files(folder: Path) -> list[Path]:
    extensions = {ext for ext, name in Image.registered_extensions().items() if name in Image.OPEN}
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in extensions)


def describe(name: str, image, codec: str) -> bytes:
    return json.dumps({"name": name, "mode": image.mode, "width": image.width, "height": image.height,
                       "sha256": pixel_digest(image), "lossless": get_codec(codec).lossless}).encode()


async def send_folder(folder: Path, host: str, port: int, secret: dict, *, codec: str = "png",
                      cipher: str = "chaos+aes", log=print) -> int:
    """Send every image under ``folder`` over one connection; returns the number sent."""
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    try:
        for path in image_files(folder):
            name = path.relative_to(folder).as_posix()
            try:
                image = to_image(path)
            except SecurecompError as exc:          # an unreadable file is skipped, not fatal
                log(f"skipped {name}: {exc}")
                continue
            await send_frame(writer, describe(name, image, codec))
            size = await send_image(writer, image, codec=codec, cipher=cipher, **secret)
            sent += 1
            log(f"sent {name}: {size} bytes")
    finally:
        writer.close()
        await writer.wait_closed()
    return sent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9630)
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--recipient", action="append", help="scpub1... (repeatable)")
    secret.add_argument("--key-file", help="key file (`securecomp keygen`)")
    parser.add_argument("--codec", default="png")
    parser.add_argument("--cipher", default="chaos+aes")
    args = parser.parse_args(argv)
    try:
        chosen = {"recipients": args.recipient} if args.recipient else {"key": read_key_file(args.key_file)}
        sent = asyncio.run(send_folder(args.folder, args.host, args.port, chosen, codec=args.codec, cipher=args.cipher))
    except SecurecompError as exc:
        print(f"error: {exc}\nhint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: cannot reach {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 5
    print(f"sent {sent} images", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
