"""Hostile inputs (issue 17), on demand: wall time and peak RSS of refusing each, in a fresh process.

Cases, each run --runs times (default 3) in its own subprocess, whose peak RSS is read from
``os.wait4`` (the child alone, imports included):

    learned-bomb      the default learned model's bitstream with empty latent strings claiming
                      4096x4096 (882 bytes), through ``securecomp.decompress``
    jpeg2000-bomb     tests/bombs.py's 16384x16384 JPEG 2000 body in a bitstream (198 bytes),
                      through ``securecomp.decompress``
    jpeg2000-bomb-cli the same body sealed in an ``aes`` key container, through
                      ``securecomp decrypt --key-file`` (default settings)
    max-kdf-cli       a 93-byte password header asking for Argon2id m = 1 GiB, t = 10, p = 16,
                      through ``securecomp decrypt --password-file`` (default settings)

Targets: the bombs are refused with a SecurecompError (CLI: a nonzero exit other than 1) in under
2 s and 600 MiB; the KDF header in under 3 s. Prints a table (minimum wall, largest peak RSS,
what the process said; for the library cases, the seconds
from the call to the refusal, imports excluded); exits 1 on a miss.

    python benchmarks/hostile_inputs.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
MIB = 1 << 20

LEARNED_BOMB = """
from securecomp import _wire
from securecomp.codec import zoo
from securecomp.codec.framing import MAGIC, VERSION, add_checksum
from securecomp.codec.info import ImageInfo
from securecomp.codec import planar
from securecomp.codec.learned import DEFAULT_MODEL, PLANAR

model = zoo.load(DEFAULT_MODEL, 1)
body = [bytes([PLANAR]) + zoo.weights_tag(DEFAULT_MODEL)]
body += [_wire.u32(0)] * planar.string_count(model, 4096 // 16, 4096 // 16)
info = ImageInfo("learned", "RGB", 4096, 4096, 1, DEFAULT_MODEL)
bits = add_checksum(MAGIC + bytes([VERSION]) + info.pack(VERSION) + b"".join(body))
"""

JPEG2000_BOMB = """
from bombs import framed, jpeg2000_bomb
from securecomp.codec.info import ImageInfo
bits = framed(ImageInfo("jpeg2000", "RGB", 16384, 16384, 1), jpeg2000_bomb())
"""

DECOMPRESS = """
import sys, time
sys.path.insert(0, {tests!r})
{build}
import securecomp
from securecomp.errors import SecurecompError
start = time.perf_counter()
try:
    securecomp.decompress(bits)
    outcome = "DECODED"
except SecurecompError as error:
    outcome = f"{{type(error).__name__}}: {{error}}"
except BaseException as error:
    outcome = f"NOT A SecurecompError {{type(error).__name__}}: {{error}}"
print(f"{{len(bits)}}\\t{{time.perf_counter() - start:.3f}}\\t{{outcome}}")
"""

def run(command: list[str], cwd: Path, stdin: bytes = b"") -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS in bytes, exit code and output (stderr then stdout) of one child."""
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = (err.read() + out.read()).decode(errors="replace").strip()
    return wall, usage.ru_maxrss * 1024, child.returncode, text


def securecomp_cli() -> list[str]:
    script = Path(sys.executable).with_name("securecomp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "securecomp"]


SETUP = """
import sys
sys.path.insert(0, {tests!r})
{build}
import numpy as np
from PIL import Image
from securecomp import container
from securecomp.api import _seal
from securecomp.codec.bitstream import encode_image
from securecomp.container import Header
from securecomp.keys import KdfParams, read_key_file
folder = {folder!r}
blob = _seal(ImageInfo("jpeg2000", "RGB", 16384, 16384, 1), jpeg2000_bomb(), suite="aes",
             key=read_key_file(folder + "/k.key"), password=None, nonce=bytes(16), kdf=None)
open(folder + "/bomb.sc", "wb").write(blob)
info, body = encode_image(Image.fromarray(np.zeros((24, 32, 3), np.uint8)), "png", 1)
costly = KdfParams(memory_kib=1 << 20, iterations=10, lanes=16, salt=bytes(16))
header = Header(suite="aes", nonce=bytes(16), info=info, payload_size=len(body), kdf=costly)
open(folder + "/maxkdf.sc", "wb").write(header.pack() + bytes(container.HEADER_MAC_SIZE) + bytes(header.sealed_size))
open(folder + "/maxkdf.header", "wb").write(header.pack())
open(folder + "/password.txt", "w").write("correct horse\\n")
"""


def build_files(folder: Path, cli: list[str]) -> None:
    """k.key (keygen), bomb.sc (the JPEG 2000 bomb sealed to it), maxkdf.sc and password.txt."""
    subprocess.run([*cli, "keygen", "-o", str(folder / "k.key")], check=True, capture_output=True)
    code = SETUP.format(tests=str(TESTS), build=JPEG2000_BOMB, folder=str(folder))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cli = securecomp_cli()
        build_files(folder, cli)
        key_path = folder / "k.key"
        cases = {
            "learned-bomb": ([sys.executable, "-c", DECOMPRESS.format(tests=str(TESTS), build=LEARNED_BOMB)], 2.0),
            "jpeg2000-bomb": ([sys.executable, "-c", DECOMPRESS.format(tests=str(TESTS), build=JPEG2000_BOMB)], 2.0),
            "jpeg2000-bomb-cli": ([*cli, "decrypt", str(folder / "bomb.sc"), "--key-file", str(key_path),
                                   "-o", str(folder / "out1.png")], 2.0),
            "max-kdf-cli": ([*cli, "decrypt", str(folder / "maxkdf.sc"), "--password-file",
                             str(folder / "password.txt"), "-o", str(folder / "out2.png")], 3.0),
        }
        sizes = {"jpeg2000-bomb-cli": (folder / "bomb.sc").stat().st_size,
                 "max-kdf-cli": f"{(folder / 'maxkdf.header').stat().st_size}h"}
        for case, (command, limit) in cases.items():
            results = [run(command, folder) for _ in range(args.runs)]
            wall = min(r[0] for r in results)
            rss = max(r[1] for r in results)
            code, text = results[-1][2], results[-1][3]
            if case.endswith("-cli"):
                refused = code not in (0, 1) and "Traceback" not in text
                size = sizes[case]
                said = text.splitlines()[0] if text else ""
            else:
                fields = text.splitlines()[-1].split("\t") if text else ["?", "?", "no output"]
                size, said = fields[0], f"(refused {fields[1]} s after import) {fields[-1]}"
                refused = code == 0 and not said.startswith(("DECODED", "NOT A"))
            ok = refused and wall < limit and rss < 600 * MIB
            rows.append((case, size, wall, rss, code, ok, said))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; minimum wall of {args.runs} runs")
    print(f"{'case':<18} {'bytes':>6} {'wall s':>7} {'peak MiB':>9} {'exit':>4}  ok    what it said")
    for case, size, wall, rss, code, ok, said in rows:
        verdict = "yes" if ok else "MISS"
        print(f"{case:<18} {size!s:>6} {wall:7.2f} {rss / MIB:9.0f} {code:>4}  {verdict:<5} {said[:110]}")
    return 0 if all(row[5] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
