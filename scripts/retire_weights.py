"""Retire the default learned model's shipped weights, before new ones replace them:

    python scripts/retire_weights.py "FIRST to LAST" SESSION
    python scripts/export_weights.py --best runs/RUN
    cd tests/vectors && ../../.venv/bin/python generate.py learned.json

FIRST to LAST: the commits that shipped these weights (the one that committed them, and the last
before their successor). SESSION: the session that trained them, for the note (e.g. "session 18").

Images written with retired weights do not decode with their successor (their bodies carry the
weights' tag, zoo.weights_tag); they fail with a CodecError naming the commits that read them. So
this records the weights in securecomp/codec/retired-weights.json, and keeps the current
learned.json vector of "coffee" at quality 2 as a test vector in tests/vectors/learned-retired.json
(tests/test_learned_codec.py checks that it fails with that hint, as a bitstream and in a
container). Run it while the weights still ship: the tag comes from the manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from securecomp.codec import zoo  # noqa: E402
from securecomp.codec.learned import DEFAULT_MODEL, PLANAR  # noqa: E402

VECTORS = ROOT / "tests" / "vectors"
IMAGE, QUALITY = "coffee", 2


def retire(span: str, session: str) -> str:
    """Record the shipped weights of the default model as retired; returns their tag (hex)."""
    tag = zoo.weights_tag(DEFAULT_MODEL).hex()
    retired = json.loads(zoo.RETIRED.read_text())
    if tag in retired.get(DEFAULT_MODEL, {}):
        raise SystemExit(f"weights {tag} are already retired")
    note = f"securecomp 0.1.0 at commits {span} (weights {tag}, body version {PLANAR})"
    retired.setdefault(DEFAULT_MODEL, {})[tag] = note
    current = json.loads((VECTORS / "learned.json").read_text())
    vector = next(v for v in current if v["codec"] == "learned" and v["image"] == IMAGE and v["quality"] == QUALITY)
    if bytes.fromhex(tag) not in bytes.fromhex(vector["bitstream"]):
        raise SystemExit(f"tests/vectors/learned.json was not written with weights {tag}: regenerate it first")
    kept = json.loads((VECTORS / "learned-retired.json").read_text())
    kept.append({"model": DEFAULT_MODEL, "codec": "learned", "image": IMAGE, "quality": QUALITY,
                 "bitstream": vector["bitstream"], "written_by": span,
                 "note": f"securecomp 0.1.0, weights {tag} ({session}), body version {PLANAR}"})
    zoo.RETIRED.write_text(json.dumps(retired, indent=2, ensure_ascii=False) + "\n")
    (VECTORS / "learned-retired.json").write_text(json.dumps(kept, indent=1) + "\n")
    return tag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("span", help='the commits that shipped the weights, e.g. "b3984f4 to ba8f9c9"')
    parser.add_argument("session", help='the session that trained them, e.g. "session 18"')
    args = parser.parse_args()
    print(f"retired weights {retire(args.span, args.session)}")


if __name__ == "__main__":
    main()
