# kiln detect's post-processing against the numpy reference (tests/vision/yolox_ref.py):
#   MODE=op:     one kiln.YoloxPostprocess node run by `kiln run` on seeded head outputs;
#   MODE=detect: the real YOLOX-S on IMAGE through `kiln detect --save-raw` (library path).
# Needs KILN, PYTHON, SCRIPT (yolox_ref.py), WORK (a scratch folder); MODE=detect also MODEL, IMAGE.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (exit ${rc}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
if(MODE STREQUAL "op")
  run(${PYTHON} ${SCRIPT} make-op-model ${WORK})
  run(${KILN} run ${WORK}/post.onnx --input raw=${WORK}/raw.npy --output-dir ${WORK}/out)
  run(${PYTHON} ${SCRIPT} check-outputs ${WORK}/raw.npy ${WORK}/out)
else()
  get_filename_component(stem ${IMAGE} NAME_WE)
  get_filename_component(name ${IMAGE} NAME)
  # Heuristic tactics: the test is about post-processing, not tuning time.
  run(${KILN} detect ${MODEL} --tactics heuristic --images ${IMAGE} --save-raw ${WORK}/raw --out ${WORK}/out)
  run(${PYTHON} ${SCRIPT} check-json ${WORK}/raw/${stem}.npy ${WORK}/out/detections.json ${name})
endif()
