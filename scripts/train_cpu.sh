#!/usr/bin/env bash
# The CPU recipe behind the shipped weights (docs/codec.md): one thread per run, two runs at a time
# on a 2-core machine. The step counts are what the sessions' time allowed; with more time, raise
# them, or continue a run: `securecomp train ... --resume runs/RUN/checkpoint.pt --steps MORE`.
# Each stage starts from the previous stage's checkpoint (--init), so stages can be run one by one:
#   scripts/train_cpu.sh [base|anneal|continue|tune|sae|more|export]...   (default: all, in this order)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets}
mkdir -p runs

train() {
    OMP_NUM_THREADS=1 .venv/bin/securecomp train --data "$DATA/train" --val "$DATA/val" \
        --crop 128 --batch-size 8 --checkpoint-minutes 3 "$@"
}
hyperprior() { train --model bmshj2018-hyperprior "$@"; }
# run NAME ARGS...: one training run into runs/NAME, its progress bar in runs/NAME.out
run() { local name=$1; shift; hyperprior "$@" --out "runs/$name" > "runs/$name.out" 2>&1; }

# 1. Session 1: two runs from scratch, quality 3 (N/M 96/144) and quality 7 (N/M 112/160).
base() {
    run hp-q3 --quality 3 --lr 3e-4 --steps 4661 --val-every 400 &
    run hp-q7 --quality 7 --lr 3e-4 --steps 3505 --val-every 400 &
    wait
}
# 2. Session 1: both at the fine-tuning learning rate (session 1 shipped these with fine-tunes of them).
anneal() {
    run hp-q3a --quality 3 --lr 1e-4 --steps 700 --val-every 350 --init runs/hp-q3/checkpoint.pt &
    run hp-q7a --quality 7 --lr 1e-4 --steps 700 --val-every 350 --init runs/hp-q7/checkpoint.pt &
    wait
}
# 3. Session 2: continue both bases at lr 3e-4 (the validation PSNR was still rising ~0.5 dB per 400 steps).
continue_() {
    run hp2-q3 --quality 3 --lr 3e-4 --steps "${Q3_STEPS:-9000}" --val-every 1000 --init runs/hp-q3a/checkpoint.pt &
    run hp2-q7 --quality 7 --lr 3e-4 --steps "${Q7_STEPS:-9000}" --val-every 1000 --init runs/hp-q7a/checkpoint.pt &
    wait
}
# 4. Session 2: each quality from the continued base of its width at lr 1e-4 (the bases' own
#    quality too, as an anneal), one chain per width; qualities 1-5 got 1,400 steps (800, then
#    resumed to 1,400 with the time left), 6-8 got 800.
tune_chain() {
    local base=$1; shift
    for quality in "$@"; do
        run "hp2-q$quality-t" --quality "$quality" --lr 1e-4 --steps "${TUNE_STEPS:-800}" --val-every 400 \
            --init "runs/$base/checkpoint.pt"
    done
}
tune() { TUNE_STEPS=1400 tune_chain hp2-q3 3 1 2 4 5 & tune_chain hp2-q7 7 6 8 & wait; }
# 5. The seed's block-MLP autoencoder (bandara2020-sae) as a benchmark row: quality 4 from scratch,
#    then qualities 2, 4, 6, 8 from it.
sae() {
    train --model bandara2020-sae --quality 4 --lr 1e-3 --steps 2500 --val-every 500 --out runs/sae-q4 > runs/sae-q4.out 2>&1
    for quality in 4 2 6 8; do
        train --model bandara2020-sae --quality "$quality" --lr 3e-4 --steps 1200 --val-every 600 \
            --init runs/sae-q4/checkpoint.pt --out "runs/sae-q$quality-t" > "runs/sae-q$quality-t.out" 2>&1
    done
}
# 6. Session 3 (the checkpoints of sessions 1-2 were gone): every quality continued from its shipped
#    weights at lr 1e-4 with fresh crops (seed 3), then annealed at 3e-5 from that run's best.pt
#    (lowest validation loss); one chain per core, QUALITY:STEPS:ANNEAL_STEPS per quality. A finished
#    stage (its log says "done") is not run again, so an interrupted chain can be started again.
more_chain() {
    for item in "$@"; do
        IFS=: read -r quality steps anneal <<< "$item"
        local init="runs/hp2-q$quality-t/checkpoint.pt"     # from scratch; else what session 2 shipped
        [[ -f $init ]] || init="securecomp/codec/weights/bmshj2018-hyperprior-q$quality.pt"
        done_ "hp3-q$quality" || run "hp3-q$quality" --quality "$quality" --lr 1e-4 --steps "$steps" \
            --val-every 500 --seed 3 --init "$init"
        init="runs/hp3-q$quality/best.pt"
        [[ -f $init ]] || init="runs/hp3-q$quality/checkpoint.pt"     # q3, q7: run before best.pt existed
        done_ "hp3-q$quality-d" || run "hp3-q$quality-d" --quality "$quality" --lr 3e-5 --steps "$anneal" \
            --val-every 200 --seed 4 --init "$init"
    done
}
done_() { grep -q '"event": "done"' "runs/$1/log.jsonl" 2>/dev/null; }
more() { more_chain 3:4000:800 1:3000:1000 2:3000:1000 4:3000:1000 & more_chain 7:3000:800 5:3000:1000 6:2600:800 8:2600:800 & wait; }
# 7. Ship: fp16 weights, integer CDF tables from the rounded weights, manifest records.
export_() {
    .venv/bin/python scripts/export_weights.py --best runs/hp3-q{1,2,3,4,5,6,7,8}-d
    .venv/bin/python scripts/export_weights.py runs/sae-q{2,4,6,8}-t
}

for stage in "${@:-base anneal continue tune sae more export}"; do
    for s in $stage; do
        case $s in
            base|anneal|tune|sae|more) $s ;;
            continue) continue_ ;;
            export) export_ ;;
            *) echo "unknown stage $s" >&2; exit 2 ;;
        esac
    done
done
