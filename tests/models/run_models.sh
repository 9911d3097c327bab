#!/usr/bin/env bash
# Runs every benchmark/test model through kiln and through onnxruntime (the peer) on the same seeded random
# input, compares the outputs and prints a table: model / output / max abs err / rel L2 / kiln ms / ORT ms.
#
#   tests/models/run_models.sh KILN [--models a,b,...] [--threads T] [--bench N] [--work DIR]
#                                   [--kiln-args "ARGS"]
#
# KILN is the kiln binary; it is called as
#   KILN run MODEL --shapes NAME:DxDxD --input NAME=FILE.npy --output-dir DIR [--iterations N] [ARGS]
# and must write each output as DIR/<name>.npy, the name with every character outside [A-Za-z0-9._-]
# replaced by '_' (BlazeFace's "Identity:0" -> Identity_0.npy), as scripts/ort_run.js does.
# --bench N (default 5; 0 = one run, no timing) gives ORT N timed runs after 3 warmups and kiln
# --iterations N; kiln's time is the median from its "time   X ms (median of ...)" line, otherwise the
# wall time of the whole command, marked "(wall)".
# KILN may be the word "ort" to test this harness itself: the candidate is then onnxruntime with graph
# optimizations disabled, a second FP32 implementation (no fusion, no NCHWc layouts, other summation orders).
#
# Exit status: 0 all outputs agree, 1 a run failed or an output disagrees, 2 bad usage,
# 77 models missing (run scripts/setup; CTest can treat 77 as "skipped").
#
# Tolerance: kiln and ORT both compute in FP32 but sum in different orders (GEMM blocking, Winograd, fused
# epilogues, different reduction trees). A K-term FP32 dot product in another order differs by about
# sqrt(K) * 2^-24 relative, ~4e-6 for K = 3*3*512, and through the BatchNorm-normalised depth of these nets
# that stays around 1e-6..1e-5: ORT optimised against ORT unoptimised measures 2e-7..1.2e-5 over these
# seven models. A real bug (a wrong pad, stride, layout or activation) gives 1e-2 or more, and even scaling
# the input by 1.001 gives 2e-4..2e-2. So: relative L2 error <= 1e-4, ~8x above the largest honest spread.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${KILN_CACHE:-$here/.cache}"
python=/usr/bin/python3
rel_l2=1e-4

usage() { sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
kiln="$1"
shift
models_wanted=""
threads=1
bench=5
work=""
kiln_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models_wanted="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --bench) bench="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --kiln-args) kiln_args="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_models: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$kiln" != "ort" ] && [ ! -x "$kiln" ]; then
  echo "run_models: '$kiln' is not an executable (pass the kiln binary, or 'ort' to test the harness)" >&2
  exit 2
fi
work="${work:-$cache/model_runs}"

# name | file under $cache/models | input name | shape | how make_input.py makes the input
# Uniform ranges: the exported models' BatchNorm statistics were measured on U(-2, 2) (about the span of
# ImageNet-normalised images, [-2.1, 2.6]), and a random network must be fed what it was calibrated on
# (scripts/export_models.py says why); PP-OCR rec/cls normalise as (x/255-0.5)/0.5 = [-1, 1]; BlazeFace
# takes [-1, 1]. The detector gets real printed text (make_input.py says why).
ocr="ocr-models/package/assets"
bf="blazeface/package/ONNX"
models=(
  "resnet50|resnet50.onnx|input|1x3x224x224|--uniform -2 2"
  "mobilenetv2|mobilenetv2.onnx|input|1x3x224x224|--uniform -2 2"
  "yolox_s|yolox_s.onnx|images|1x3x640x640|--uniform -2 2"
  "ppocr_det|$ocr/ch_PP-OCRv4_det_infer.onnx|x|1x3x640x640|--text-image $cache/images/page.png"
  "ppocr_rec|$ocr/ch_PP-OCRv4_rec_infer.onnx|x|1x3x48x320|--uniform -1 1"
  "ppocr_cls|$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx|x|1x3x48x192|--uniform -1 1"
  "blazeface|$bf/face_detection_front_128x128_barracuda.onnx|input:0|1x128x128x3|--uniform -1 1"
)

missing=0
for entry in "${models[@]}"; do
  IFS='|' read -r name file _ <<<"$entry"
  if [ -n "$models_wanted" ] && [[ ",$models_wanted," != *",$name,"* ]]; then continue; fi
  [ -f "$cache/models/$file" ] || { echo "run_models: missing $cache/models/$file"; missing=1; }
done
[ -f "$cache/images/page.png" ] || { echo "run_models: missing $cache/images/page.png"; missing=1; }
if [ "$missing" -ne 0 ]; then
  echo "run_models: run scripts/setup (fetch_npm) and /usr/bin/python3 scripts/export_models.py first"
  exit 77
fi

rows=()
status=0
seed=0
for entry in "${models[@]}"; do
  IFS='|' read -r name file input shape make <<<"$entry"
  seed=$((seed + 1))
  if [ -n "$models_wanted" ] && [[ ",$models_wanted," != *",$name,"* ]]; then continue; fi
  model="$cache/models/$file"
  dir="$work/$name"
  rm -rf "$dir"
  mkdir -p "$dir/ort" "$dir/kiln"
  input_file="$dir/input.npy"
  # shellcheck disable=SC2086  # make is a list of words on purpose
  if ! "$python" "$here/tests/models/make_input.py" "$input_file" --shape "$shape" --seed "$seed" $make; then
    rows+=("$name|make_input.py failed|-|-|-|-")
    status=1
    continue
  fi

  echo "=== $name: $input [$shape] ${make#--}"
  ort_log="$dir/ort.log"
  bench_args=()
  [ "$bench" -gt 0 ] && bench_args=(--bench "$bench")
  if ! node "$here/scripts/ort_run.js" "$model" --threads "$threads" --input "$input=$input_file" \
      --output-dir "$dir/ort" "${bench_args[@]}" >"$ort_log" 2>&1; then
    cat "$ort_log"
    rows+=("$name|ORT failed|-|-|-|-")
    status=1
    continue
  fi
  ort_ms="$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' "$ort_log")"
  [ -n "$ort_ms" ] || ort_ms="$(sed -n 's/.*first run \([0-9.]*\) ms.*/\1/p' "$ort_log") (1 run)"

  kiln_log="$dir/kiln.log"
  start=$(date +%s%N)
  if [ "$kiln" = "ort" ]; then
    node "$here/scripts/ort_run.js" "$model" --threads "$threads" --input "$input=$input_file" \
      --output-dir "$dir/kiln" --opt-level disabled "${bench_args[@]}" >"$kiln_log" 2>&1
  else
    iterations=()
    [ "$bench" -gt 0 ] && iterations=(--iterations "$bench")
    # shellcheck disable=SC2086  # kiln_args is a list of words on purpose
    "$kiln" run "$model" --shapes "$input:$shape" --input "$input=$input_file" --output-dir "$dir/kiln" \
      "${iterations[@]}" $kiln_args >"$kiln_log" 2>&1
  fi
  rc=$?
  wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$rc" -ne 0 ]; then
    sed 's/^/  kiln: /' "$kiln_log" | head -n 20
    rows+=("$name|kiln failed ($rc)|-|-|-|$ort_ms")
    status=1
    continue
  fi
  kiln_ms="$(sed -n -e 's/.*median_ms=\([0-9.]*\).*/\1/p' -e 's/^time *\([0-9.e+-]*\) ms (median.*/\1/p' \
    "$kiln_log" | tail -n 1)"
  [ -n "$kiln_ms" ] || kiln_ms="$wall_ms (wall)"

  cmp_log="$dir/compare.log"
  "$python" "$here/tests/models/compare.py" "$dir/kiln" "$dir/ort" --rel-l2 "$rel_l2" >"$cmp_log" 2>&1 ||
    status=1
  cat "$cmp_log"
  while read -r line; do
    out="$(awk '{print $2}' <<<"$line")"
    max_abs="$(sed -n 's/.*max_abs=\([^ ]*\).*/\1/p' <<<"$line")"
    rel="$(sed -n 's/.*rel_l2=\([^ ]*\).*/\1/p' <<<"$line")"
    verdict="ok"
    [[ "$line" == *FAIL* ]] && verdict="FAIL"
    rows+=("$name|$out|${max_abs:--}|${rel:--} $verdict|$kiln_ms|$ort_ms")
  done < <(grep '^compare: ' "$cmp_log" | grep -v '^compare: note:')
done

candidate="kiln"
[ "$kiln" = "ort" ] && candidate="ORT noopt"
echo
printf '%-12s %-18s %-12s %-16s %-16s %-12s\n' model output "max abs err" "rel L2" "$candidate ms" "ORT ms"
for row in "${rows[@]}"; do
  IFS='|' read -r m o a r k t <<<"$row"
  printf '%-12s %-18s %-12s %-16s %-16s %-12s\n' "$m" "$o" "$a" "$r" "$k" "$t"
done
echo "(ORT threads=$threads; medians of $bench runs; tolerance rel L2 <= $rel_l2; work files in $work)"
exit "$status"
