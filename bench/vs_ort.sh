#!/usr/bin/env bash
# kiln against onnxruntime-node (1.30, all graph optimizations), side by side on the same ONNX
# files, inputs and thread counts. For each thread count and model: kiln builds a plan tuned for
# that thread count (with a timing cache), then kiln and ORT alternate blocks of runs
# (A B A B ...), and the table gives each one's median over all its blocks' runs and the ratio.
#
#   bench/vs_ort.sh [--kiln build/kiln] [--threads 1,2] [--models resnet50,...] [--rounds R]
#                   [--iterations N] [--out DIR] [--fp32-math strict|bf16x3]
#
# The machine is shared and noisy: read ratios, not absolute times; rerun for confidence.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KILN_CACHE:-$here/.cache}"
python=/usr/bin/python3
kiln="$here/build/kiln"
threads_list="1,2"
models_wanted=""
rounds=5
iterations=10
out="$cache/bench_vs_ort"
fp32_math=strict  # kiln build --fp32-math
while [ $# -gt 0 ]; do
  case "$1" in
    --kiln) kiln="$2"; shift 2 ;;
    --threads) threads_list="$2"; shift 2 ;;
    --models) models_wanted="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --fp32-math) fp32_math="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vs_ort: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$kiln" ] || { echo "vs_ort: no kiln binary at $kiln (scripts/build)" >&2; exit 2; }

ocr="ocr-models/package/assets"
bf="blazeface/package/ONNX"
# name | file under $cache/models | input | shape | make_input.py arguments
models=(
  "resnet50|resnet50.onnx|input|1x3x224x224|--uniform -2 2"
  "mobilenetv2|mobilenetv2.onnx|input|1x3x224x224|--uniform -2 2"
  "yolox_s|yolox_s.onnx|images|1x3x640x640|--uniform -2 2"
  "ppocr_det|$ocr/ch_PP-OCRv4_det_infer.onnx|x|1x3x640x640|--text-image $cache/images/page.png"
  "ppocr_rec|$ocr/ch_PP-OCRv4_rec_infer.onnx|x|1x3x48x320|--uniform -1 1"
  "blazeface|$bf/face_detection_front_128x128_barracuda.onnx|input:0|1x128x128x3|--uniform -1 1"
)
mkdir -p "$out"
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "kiln (fp32 math $fp32_math) vs onnxruntime-node, $rounds rounds x $iterations runs each, interleaved; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# The medians decide; the ratio of the two sides' fastest runs ("min ratio") is a second view on a
# noisy machine, where a neighbour only ever adds time.
printf "%-12s %7s %12s %12s %10s %10s %14s\n" model threads "kiln ms" "ORT ms" kiln/ORT "min ratio" "kiln build s"
IFS=',' read -r -a thread_counts <<<"$threads_list"
for threads in "${thread_counts[@]}"; do
  for entry in "${models[@]}"; do
    IFS='|' read -r name file input shape make <<<"$entry"
    if [ -n "$models_wanted" ] && [[ ",$models_wanted," != *",$name,"* ]]; then continue; fi
    model="$cache/models/$file"
    [ -f "$model" ] || { echo "vs_ort: missing $model (scripts/setup)" >&2; continue; }
    dir="$out/$name.t$threads"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    "$python" "$here/tests/models/make_input.py" "$dir/input.npy" --shape "$shape" --seed 1 $make >/dev/null
    start=$(date +%s%N)
    if ! "$kiln" build "$model" --shapes "$input:$shape" --threads "$threads" --fp32-math "$fp32_math" \
        --timing-cache "$out/timing.cache" -o "$dir/model.kplan" >"$dir/build.log" 2>&1; then
      echo "vs_ort: kiln build failed for $name:"; tail -5 "$dir/build.log"; continue
    fi
    build_s=$(awk "BEGIN {print ($(date +%s%N) - $start) / 1e9}")
    : >"$dir/kiln.ms"
    : >"$dir/ort.ms"
    for ((r = 0; r < rounds; r++)); do
      "$kiln" bench "$dir/model.kplan" --iterations "$iterations" --warmup 2 --json "$dir/kiln.json" >/dev/null 2>&1 &&
        "$python" -c "import json,sys; [print(r['latency_ms']) for r in json.load(open(sys.argv[1]))['runs']]" \
          "$dir/kiln.json" >>"$dir/kiln.ms"
      node "$here/scripts/ort_run.js" "$model" --threads "$threads" --input "$input=$dir/input.npy" \
        --bench "$iterations" --warmup 2 --times >>"$dir/ort.ms" 2>"$dir/ort.err"
    done
    k=$(median <"$dir/kiln.ms")
    o=$(grep -E '^[0-9.]+$' "$dir/ort.ms" | median)
    k_min=$(sort -g "$dir/kiln.ms" | head -1)
    o_min=$(grep -E '^[0-9.]+$' "$dir/ort.ms" | sort -g | head -1)
    printf "%-12s %7s %12.3f %12.3f %10.3f %10.3f %14.1f\n" "$name" "$threads" "$k" "$o" \
      "$(awk "BEGIN {print $k / $o}")" "$(awk "BEGIN {print $k_min / $o_min}")" "$build_s"
  done
done
