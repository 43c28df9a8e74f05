# SPDX-License-Identifier: MIT
# us_qemu_test(): registers a Python QEMU system test driven by tests/qemu/usqemu.py.

find_program(US_PYTHON3 python3 REQUIRED)

# us_qemu_test(NAME n SCRIPT file.py [IMAGE image] [ARGS arg...] [LABELS label...] [TIMEOUT s])
# Runs `python3 SCRIPT --image <build>/images/IMAGE --name NAME ARGS...` in the current binary
# directory, where the script leaves NAME.serial.log and NAME.qemu.log. SCRIPT is relative to
# the calling CMakeLists.txt; IMAGE defaults to "hello" (the bare-metal test guest). The test is labelled qemu plus LABELS;
# TIMEOUT (default 300 s) is CTest's hard limit, above usqemu's own 240 s watchdog so a hung
# test still fails with its serial log.
function(us_qemu_test)
    cmake_parse_arguments(Q "" "NAME;SCRIPT;IMAGE;TIMEOUT" "ARGS;LABELS" ${ARGN})
    if(NOT Q_NAME OR NOT Q_SCRIPT)
        message(FATAL_ERROR "us_qemu_test: NAME and SCRIPT are required")
    endif()
    if(Q_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "us_qemu_test(${Q_NAME}): unexpected arguments ${Q_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT Q_IMAGE)
        set(Q_IMAGE hello)
    endif()
    if(NOT Q_TIMEOUT)
        set(Q_TIMEOUT 300)
    endif()
    set(labels qemu ${Q_LABELS})
    # A machine with N CPUs keeps N host threads busy (QEMU's multi-threaded TCG): tell CTest,
    # so -j2 does not run two of them on two cores at once.
    set(processors 1)
    list(FIND Q_ARGS --smp smp_at)
    if(smp_at GREATER -1)
        math(EXPR smp_at "${smp_at} + 1")
        list(GET Q_ARGS ${smp_at} processors)
    endif()
    get_filename_component(script ${Q_SCRIPT} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${script})
        message(FATAL_ERROR "us_qemu_test(${Q_NAME}): no script ${script}")
    endif()
    add_test(NAME ${Q_NAME}
        COMMAND ${US_PYTHON3} ${script} --image ${CMAKE_BINARY_DIR}/images/${Q_IMAGE}
                --name ${Q_NAME} ${Q_ARGS}
        WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${Q_NAME} PROPERTIES
        LABELS "${labels}"
        TIMEOUT ${Q_TIMEOUT}
        RUN_SERIAL FALSE
        PROCESSORS ${processors}
        ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/qemu;PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
endfunction()
