#!/usr/bin/env bash
# The build -> plan -> run figures per model: nodes before/after the passes, rewrites per pass,
# arena against the naive sum, tactics, and the max error of the *plan's* outputs (kiln build,
# then kiln run MODEL.kplan) against onnxruntime on the same input.
# Run tests/models/run_models.sh first: it leaves each model's input and ORT's outputs in
# .cache/model_runs/<name>/.
#
#   bench/plan_figures.sh [--kiln build/kiln] [--threads T] [--models resnet50,...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KILN_CACHE:-$here/.cache}"
kiln="$here/build/kiln"
threads=1
models_wanted="resnet50,mobilenetv2,yolox_s,ppocr_det"
while [ $# -gt 0 ]; do
  case "$1" in
    --kiln) kiln="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --models) models_wanted="$2"; shift 2 ;;
    *) echo "plan_figures: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ocr="ocr-models/package/assets"
declare -A file=([resnet50]=resnet50.onnx [mobilenetv2]=mobilenetv2.onnx [yolox_s]=yolox_s.onnx
                 [ppocr_det]=$ocr/ch_PP-OCRv4_det_infer.onnx [ppocr_rec]=$ocr/ch_PP-OCRv4_rec_infer.onnx)
declare -A shape=([resnet50]=input:1x3x224x224 [mobilenetv2]=input:1x3x224x224 [yolox_s]=images:1x3x640x640
                  [ppocr_det]=x:1x3x640x640 [ppocr_rec]=x:1x3x48x320)
IFS=',' read -r -a names <<<"$models_wanted"
for name in "${names[@]}"; do
  run="$cache/model_runs/$name"
  [ -f "$run/input.npy" ] || { echo "plan_figures: no $run/input.npy (run tests/models/run_models.sh)"; continue; }
  input="${shape[$name]%:*}"
  echo "=== $name"
  "$kiln" build "$cache/models/${file[$name]}" --shapes "${shape[$name]}" --threads "$threads" \
    --timing-cache "$cache/plan_figures.timing" -o "$run/model.kplan" 2>&1 |
    grep -E "import:|rewrites|memory|tactics|nodes|time" | grep -v " 0 rewrites"
  rm -rf "$run/plan" && mkdir -p "$run/plan"
  "$kiln" run "$run/model.kplan" --input "$input=$run/input.npy" --output-dir "$run/plan" >/dev/null
  /usr/bin/python3 "$here/tests/models/compare.py" "$run/plan" "$run/ort" --rel-l2 1e-4
done
