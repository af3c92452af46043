#!/usr/bin/env bash
# Everything issues 20 and 21 leave to a GPU, in one command that writes one JSON (OUT, default
# build-gpu/gpu_check.json), sized for one device call (under 8 minutes after the build):
#   1. ctest -L gpu: the CUDA kernels against their C++ references (fp32, bf16), the model on
#      CUDA against the CPU (MiniLM-size and BERT-base-size), batch invariance, the unpadded
#      forward and gradients (tests/model/device_gpu_test.cpp);
#   2. model-only forward latency, triage-model bench --device cuda: BERT-base-size random
#      weights at 1 x 128 and 32 x 128, fp32 and bf16 (the TensorRT anchor is 0.62 ms FP16, A100);
#   3. training tokens/s on CUDA, SNIPS MiniLM, 300 steps: padded vs run.packing, then the
#      transformers Trainer (bf16, length-grouped) on the same GPU.
# Figures go into docs/benchmarks.md with the GPU named (nvidia-smi's line is in the JSON).
#   scripts/gpu_check.sh [OUT]
# Smoke run on a CPU machine (checks the script, measures nothing worth reporting):
#   BUILD_DIR=build GPU_CHECK_DEVICE=cpu GPU_CHECK_STEPS=5 GPU_CHECK_ITERS=2 scripts/gpu_check.sh /tmp/gpu_check.json
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export BUILD_DIR=${BUILD_DIR:-$root/build-gpu}
out=${1:-$BUILD_DIR/gpu_check.json}
mkdir -p "$BUILD_DIR/gpu_check"
work=$(cd "$BUILD_DIR/gpu_check" && pwd)  # absolute: ctest resolves --output-junit in the build dir
shared=${TRIAGE_SHARED_DIR:-$root/../shared}
dev=${GPU_CHECK_DEVICE:-cuda}
steps=${GPU_CHECK_STEPS:-300}
iters=${GPU_CHECK_ITERS:-200}
hf_dev=(--cuda)
[ "$dev" = cuda ] || hf_dev=(--max-train 320)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$work/gpu.txt" 2>&1
scripts/build.sh > "$work/build.log" 2>&1 || { echo "build failed: $work/build.log"; tail -30 "$work/build.log"; exit 1; }
bin=$BUILD_DIR/bin

# 1. gpu-labelled tests
ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure --output-junit "$work/gpu_tests.xml" > "$work/gpu_tests.log" 2>&1
echo $? > "$work/gpu_tests.rc"

# 2. forward latency (a BERT-base-size random checkpoint, 12 x 768)
.venv/bin/python - "$work/bert-base" <<'PY'
import sys, torch, transformers as t
torch.manual_seed(0)
cfg = t.BertConfig(num_labels=19, id2label={i: f"L{i}" for i in range(19)}, label2id={f"L{i}": i for i in range(19)})
t.BertForTokenClassification(cfg).save_pretrained(sys.argv[1])
PY
: > "$work/bench.jsonl"
for prec in fp32 bf16; do
  for shape in "1 128" "32 128"; do
    set -- $shape
    "$bin/triage-model" bench --model "$work/bert-base" --device "$dev" --precision "$prec" --batch "$1" --seq "$2" \
      --iters "$iters" --warmup 3 >> "$work/bench.jsonl" 2>> "$work/bench.err"
  done
done

# 3. training on CUDA: padded vs packed vs the Trainer
for packing in false true; do
  "$bin/triage-train" --config configs/snips.yaml --set data.train="$shared/datasets/snips/train" --set data.dev= \
    --set data.test= --set run.device="$dev" --set run.max_steps="$steps" --set run.packing=$packing \
    --set track.tensorboard=false --set run.output_dir="$work/train-packing-$packing" > "$work/train-$packing.log" 2>&1
done
.venv/bin/python scripts/bench/hf_train.py --data "$shared/datasets/snips" --epochs 1 --lr 1e-4 --batch-size 32 \
  --max-len 64 --seed 42 "${hf_dev[@]}" --group-by-length --json "$work/hf-cuda.json" > "$work/hf-cuda.log" 2>&1

.venv/bin/python - "$work" "$out" <<'PY'
import glob, json, os, sys, xml.etree.ElementTree as ET
work, out = sys.argv[1:]
res = {"gpu": open(f"{work}/gpu.txt").read().strip() or "none (nvidia-smi)", "gpu_tests_rc": int(open(f"{work}/gpu_tests.rc").read())}
try:
    root = ET.parse(f"{work}/gpu_tests.xml").getroot()
    res["gpu_tests"] = [{"name": c.get("name"), "status": c.get("status"), "time_s": float(c.get("time", 0))}
                        for c in root.iter("testcase")]
except (OSError, ET.ParseError) as e:
    res["gpu_tests"] = f"no junit file: {e}"
res["forward"] = [json.loads(l) for l in open(f"{work}/bench.jsonl") if l.strip().startswith("{")]
res["train"] = {}
for p in ("false", "true"):
    f = f"{work}/train-packing-{p}/summary.json"
    if os.path.exists(f):
        s = json.load(open(f))
        res["train"][f"packing_{p}"] = {"tokens_per_s": s["train_tokens_per_s"], "seconds": s["seconds"], "steps": s["steps"]}
if os.path.exists(f"{work}/hf-cuda.json"):
    h = json.load(open(f"{work}/hf-cuda.json"))
    res["train"]["hf_trainer_bf16_grouped"] = {"tokens_per_s": h["train_tokens_per_s"], "seconds": h["train_seconds"]}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2)[:6000])
PY
