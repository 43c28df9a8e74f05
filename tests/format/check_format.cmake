# SPDX-License-Identifier: MIT
# cmake -DCLANG_FORMAT=... -DGIT=... -DSRC=... -P check_format.cmake: fails listing the files
# that clang-format would change.
execute_process(COMMAND ${GIT} ls-files "*.c" "*.h" WORKING_DIRECTORY ${SRC}
    OUTPUT_VARIABLE files OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "git ls-files failed")
endif()
string(REPLACE "\n" ";" files "${files}")
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files} WORKING_DIRECTORY ${SRC}
    ERROR_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "not formatted (run: git ls-files '*.c' '*.h' | xargs clang-format -i):\n${out}")
endif()
list(LENGTH files n)
message(STATUS "${n} files formatted")
