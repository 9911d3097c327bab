# Runs CMD (a ;-list), checks its exit code is EXPECT_RC and its output contains EXPECT_MSG.
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}\nstdout: ${out}\nstderr: ${err}")
endif()
string(FIND "${out}${err}" "${EXPECT_MSG}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "output lacks '${EXPECT_MSG}'\nstdout: ${out}\nstderr: ${err}")
endif()
