#!/usr/bin/env bash
# Every measurement of issue 15's targets, after new weights of the default learned model ship
# (scripts/export_weights.py): run on an otherwise idle machine (stop the training first), since
# the times are part of the result. About 25 minutes on 2 cores.
#
#   benchmarks/after_training.sh [OUT]          (OUT: build/after-training)
#
# Writes the docs' JSONs and docs/codec.md (the model card); the speed and ceiling figures, which
# the card's prose cites, go to OUT/speed.txt and OUT/ceiling.txt. The retired models' rows are
# kept from the committed docs/codec-kodak.json: their weights did not change.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/after-training}
KODAK=${KODAK:-../shared/datasets/kodak}
export OMP_NUM_THREADS=${THREADS:-2}
mkdir -p "$OUT"

# Speed: learned against JPEG 2000 in the same run, three runs (the ratio moves by ~5 % between runs).
for run in 1 2 3; do
    .venv/bin/securecomp bench --dataset "$KODAK" --codecs learned jpeg2000 --qualities 2 4 6 8 -o "$OUT/speed$run.json"
done
.venv/bin/python benchmarks/speed_ratio.py "$OUT"/speed{1,2,3}.json | tee "$OUT/speed.txt"

# Continuous quality, effort, seams, context: docs/codec-*.json.
.venv/bin/python benchmarks/codec_checks.py | tee "$OUT/checks.txt"

# The quality-8 ceiling on Kodak (how close the coded PSNR is to what the transforms allow).
.venv/bin/python benchmarks/transform_ceiling.py "$KODAK" --limit 24 --qualities 8 --crop 0 | tee "$OUT/ceiling.txt"

# RD on Kodak and the first four val/clic2025 photos, BD-rates, plots, and the card.
.venv/bin/python benchmarks/model_card.py --keep bandara2020-sae | tee "$OUT/card.txt"
