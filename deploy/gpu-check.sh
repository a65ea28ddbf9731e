#!/usr/bin/env bash
# GPU check for siglip-stream: ONNX Runtime CUDA throughput per batch size, and how far the GPU's
# probabilities are from the CPU's on the conformance images. Builds nothing.
#
#   deploy/gpu-check.sh MODEL [IMAGES_DIR]
#     MODEL        a Hub id (Xenova/siglip-base-patch16-224) or a model folder with onnx/*.onnx
#     IMAGES_DIR   default: src/siglip-testutils/src/main/resources/conformance/images next to this script, or the
#                  image's /opt/siglip/conformance-images
#   environment:
#     SIGLIP_CP    class path with onnxruntime_gpu FIRST, then the siglip JAR (default: the image's
#                  /opt/flink/lib/onnxruntime_gpu-*.jar, /opt/flink/usrlib/siglip-stream-job.jar, lib/*)
#     BATCH_SIZES  default 1,8,32        VARIANTS  default "fp32 fp16"
#     TOL_FP32     default 1e-3          TOL_FP16  default 2e-2   (largest allowed |GPU - CPU| probability)
#     GPU_PROVIDER default cuda (tensorrt also works; cpu runs the whole check without a GPU)
#
# Inside the image on a GPU node:
#   kubectl exec -it <task-manager-pod> -- /opt/siglip/gpu-check.sh Xenova/siglip-base-patch16-224
# Exit status 0 only if every bench ran on CUDA and every difference is within its tolerance.
set -uo pipefail

model=${1:?usage: gpu-check.sh MODEL [IMAGES_DIR]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images_dir=${2:-}
for d in "$here/../src/siglip-testutils/src/main/resources/conformance/images" /opt/siglip/conformance-images; do
  [[ -z $images_dir && -d $d ]] && images_dir=$d
done
[[ -d $images_dir ]] || { echo "gpu-check: no images folder; pass IMAGES_DIR" >&2; exit 2; }
ort_jar=$(ls /opt/flink/lib/onnxruntime_gpu-*.jar 2>/dev/null | head -n1)
cp=${SIGLIP_CP:-$ort_jar:/opt/flink/usrlib/siglip-stream-job.jar:/opt/flink/lib/*}
batch_sizes=${BATCH_SIZES:-1,8,32}
variants=${VARIANTS:-fp32 fp16}
gpu=${GPU_PROVIDER:-cuda}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

siglip() { "${JAVA:-java}" ${JAVA_OPTS:-} -cp "$cp" dev.siglipstream.cli.Main "$@"; }

echo "== device"
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  || echo "nvidia-smi not available (no GPU visible to this container?)"

echo "== throughput: siglip bench --provider $gpu (images/s per batch size)"
for v in $variants; do
  if out=$(siglip bench --model "$model" --provider "$gpu" --variant "$v" --batch-sizes "$batch_sizes" 2>&1); then
    grep -E '^vision batch=' <<<"$out" | sed "s/^/$gpu $v  /"
  else
    echo "$gpu $v  bench FAILED:"; tail -n 5 <<<"$out" | sed 's/^/    /'; status=1
  fi
done

echo "== conformance: probabilities on the $gpu provider against the CPU provider (fp32)"
images=()
for f in "$images_dir"/*.jpg "$images_dir"/*.jpeg "$images_dir"/*.png; do
  [[ -f $f ]] && images+=(--images "$f")
done
printf '%s\n' '["a photo of a cat", "a photo of a dog", "a photo of a car", "a photo of a tree", "a photo of a person", "a remote control"]' \
  > "$work/texts.json"
embed() { # provider variant out-dir
  siglip embed --model "$model" --provider "$1" --variant "$2" "${images[@]}" --texts-json "$work/texts.json" \
    --out "$3" > "$3.log" 2>&1 || { echo "embed $1 $2 FAILED:"; tail -n 5 "$3.log" | sed 's/^/    /'; return 1; }
}
if embed cpu fp32 "$work/cpu-fp32"; then
  for v in $variants; do
    tol=${TOL_FP32:-1e-3}; [[ $v == fp32 ]] || tol=${TOL_FP16:-2e-2}
    embed "$gpu" "$v" "$work/$gpu-$v" || { status=1; continue; }
    line=$(siglip npy-diff --tolerance "$tol" "$work/cpu-fp32/probs_per_image.npy" "$work/$gpu-$v/probs_per_image.npy")
    rc=$?
    echo "$gpu $v vs cpu fp32  $line  tolerance=$tol  $([[ $rc == 0 ]] && echo OK || echo FAILED)"
    [[ $rc == 0 ]] || status=1
  done
else
  status=1
fi
exit $status
