#!/usr/bin/env bash
# The CPU recipe behind the shipped bmshj2018-hyperprior weights (docs/codec.md), one thread per run,
# two runs at a time on a 2-core machine. The step counts are what the session's time allowed
# (the base runs were stopped by time at these steps); with more time, raise them, or continue a
# run: `securecomp train ... --resume runs/hp-qQ/checkpoint.pt --steps MORE`.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets}
mkdir -p runs

train() {
    OMP_NUM_THREADS=1 .venv/bin/securecomp train --data "$DATA/train" --val "$DATA/val" \
        --model bmshj2018-hyperprior --crop 128 --batch-size 8 --checkpoint-minutes 3 "$@"
}

# 1. Two runs from scratch: quality 3 (N/M 96/144) and quality 7 (N/M 112/160).
train --quality 3 --lr 3e-4 --steps "${Q3_STEPS:-4661}" --val-every 400 --out runs/hp-q3 > runs/hp-q3.out 2>&1 &
train --quality 7 --lr 3e-4 --steps "${Q7_STEPS:-3505}" --val-every 400 --out runs/hp-q7 > runs/hp-q7.out 2>&1 &
wait

# 2. Fine-tune the other qualities from the base run of the same width, two at a time.
tune() {
    train --quality "$1" --lr 1e-4 --steps "$3" --val-every 500 --init "runs/hp-q$2/checkpoint.pt" \
        --out "runs/hp-q$1" > "runs/hp-q$1.out" 2>&1
}
tune 1 3 1000 & tune 6 7 900 & wait
tune 2 3 1000 & tune 8 7 900 & wait
tune 4 3 1000 & tune 5 3 1000 & wait

# 3. Anneal the two base runs at the fine-tuning learning rate (they ship as qualities 3 and 7).
anneal() {
    train --quality "$1" --lr 1e-4 --steps 700 --val-every 350 --init "runs/hp-q$1/checkpoint.pt" \
        --out "runs/hp-q$1a" > "runs/hp-q$1a.out" 2>&1
}
anneal 3 & anneal 7 & wait

# 4. Ship: fp16 weights, integer CDF tables from the rounded weights, manifest records.
.venv/bin/python scripts/export_weights.py runs/hp-q{1,2,3a,4,5,6,7a,8}
