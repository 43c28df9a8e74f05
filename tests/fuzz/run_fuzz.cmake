# SPDX-License-Identifier: MIT
# One fuzz test: cmake -DFUZZER=... -DSEEDS=dir -DREGRESSIONS=dir -DWORK=dir -DRUNS=n [-DSEED=s]
#   -P run_fuzz.cmake
# Replays every input in REGRESSIONS once, then runs the fuzzer RUNS times (a count, so the
# result does not depend on the machine's speed) over a fresh copy of the seed corpus in WORK;
# the sources' corpus is never written. Fails on any crash, sanitizer report, leak or timeout,
# leaving the offending input in WORK (crash-*, leak-*, timeout-*). Without SEED libFuzzer
# picks a random seed and prints it.
foreach(v FUZZER SEEDS REGRESSIONS WORK RUNS)
    if(NOT DEFINED ${v})
        message(FATAL_ERROR "run_fuzz.cmake: -D${v}=... missing")
    endif()
endforeach()
if(NOT EXISTS ${FUZZER})
    message(FATAL_ERROR "${FUZZER} not built (the host build's us_fuzz target builds it)")
endif()

set(opts -timeout=10 -rss_limit_mb=2048 -artifact_prefix=${WORK}/)

file(GLOB regressions ${REGRESSIONS}/*)
list(FILTER regressions EXCLUDE REGEX "/README[^/]*$")
if(regressions)
    list(LENGTH regressions n)
    message(STATUS "replaying ${n} regression input(s) from ${REGRESSIONS}")
    file(MAKE_DIRECTORY ${WORK})
    execute_process(COMMAND ${FUZZER} ${opts} ${regressions} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "a regression input fails again (exit ${rc}); see the report above")
    endif()
endif()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
file(GLOB seeds ${SEEDS}/*)
list(FILTER seeds EXCLUDE REGEX "\\.dts$")
if(NOT seeds)
    message(FATAL_ERROR "no seed inputs in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
if(DEFINED SEED)
    list(APPEND opts -seed=${SEED})
endif()
execute_process(COMMAND ${FUZZER} ${opts} -runs=${RUNS} -print_final_stats=1 ${WORK}/corpus
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fuzzing failed (exit ${rc}); the input is in ${WORK}, replay it with: "
                        "${FUZZER} ${WORK}/<file>")
endif()
