# kiln ocr on a real image must read EXPECT as one whole line (the string onnxruntime gives with
# the same models). Needs KILN, MODELS, IMAGE, WORK, EXPECT.
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${KILN} ocr --images ${IMAGE} --models ${MODELS} --out ${WORK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kiln ocr failed (exit ${rc})")
endif()
execute_process(COMMAND /usr/bin/python3 -c
                "import json,sys; lines=[l['text'] for im in json.load(open(sys.argv[1]))['images'] for l in im.get('lines',[])]; sys.exit(0 if sys.argv[2] in lines else 1)"
                ${WORK}/ocr.json "${EXPECT}" RESULT_VARIABLE found)
if(NOT found EQUAL 0)
  message(FATAL_ERROR "no line reads exactly '${EXPECT}'")
endif()
