#!/usr/bin/env bash
# Runs examples/walkthrough.md end to end on this machine: broker, job, a few images, scores out,
# a live label-set update, then stops everything. MODEL defaults to the tiny test model (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${MODEL:-src/siglip-testutils/src/main/resources/conformance/models/siglip-tiny}"
PORT="${PORT:-19092}"
BOOT="127.0.0.1:$PORT"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

./siglip broker --port "$PORT" --dir "$work/kafka" > "$work/broker.out" &
until grep -q "^bootstrap=" "$work/broker.out" 2>/dev/null; do sleep 1; done
echo "broker: $(cat "$work/broker.out")"

./siglip run --bootstrap "$BOOT" --input-topic images --output-topic image-labels \
    --dead-letter-topic image-dead-letters --label-set-topic label-sets \
    --label-sets examples/label-sets.yaml --default-label-set scenes --model "$MODEL" \
    --parallelism 1 --checkpoint-interval 2s --max-batch-size 8 --max-batch-delay 20ms \
    --wait-for-topics 2min > "$work/job.out" 2>&1 &

./siglip produce --bootstrap "$BOOT" --topic images --label-set catalogue src/siglip-testutils/src/main/resources/images
./siglip produce --bootstrap "$BOOT" --topic images --label-set scenes src/siglip-testutils/src/main/resources/conformance/images/photo_q90_420.jpg
./siglip consume --bootstrap "$BOOT" --topic catalogue-tags --max 1 --timeout 120s
./siglip consume --bootstrap "$BOOT" --topic image-labels --max 1 --timeout 60s

./siglip label-set --bootstrap "$BOOT" --topic label-sets --id catalogue --version 2 --labels "a cat,a dog" --output-topic catalogue-tags
sleep 3
./siglip produce --bootstrap "$BOOT" --topic images --label-set catalogue src/siglip-testutils/src/main/resources/images
./siglip consume --bootstrap "$BOOT" --topic catalogue-tags --max 2 --timeout 60s
