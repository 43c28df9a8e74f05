# SPDX-License-Identifier: MIT
# The Linux guests' programs (guests/linux: kvd and the agent) built for the host and run
# together, as the guest runs them: the agent starts kvd and drives it through kvd's socket.
add_executable(host_kvd ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kvd.c
    ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kv_proto.c ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kv_ask.c
    ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kvd_relay.c ${CMAKE_SOURCE_DIR}/lib/sha256.c)
target_compile_options(host_kvd PRIVATE ${US_HOST_CFLAGS} ${US_SAN_FLAGS})
target_link_options(host_kvd PRIVATE ${US_SAN_FLAGS})
target_include_directories(host_kvd PRIVATE ${CMAKE_SOURCE_DIR}/lib/include)
add_executable(host_agent ${CMAKE_SOURCE_DIR}/guests/linux/agent/agent.c
    ${CMAKE_SOURCE_DIR}/guests/linux/agent/carry.c ${CMAKE_SOURCE_DIR}/guests/linux/agent/ckpt.c
    ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kv_ask.c
    ${CMAKE_SOURCE_DIR}/lib/sha256.c)
target_include_directories(host_agent PRIVATE ${CMAKE_SOURCE_DIR}/guests/linux/kvd
    ${CMAKE_SOURCE_DIR}/lib/include)
target_compile_options(host_agent PRIVATE ${US_HOST_CFLAGS} ${US_SAN_FLAGS})
target_link_options(host_agent PRIVATE ${US_SAN_FLAGS})
foreach(c requests_drive_kvd bad_requests_get_errors stop_and_start drain_waits_for_clients
          settle_waits_for_accepts)
    add_test(NAME unit.agent.${c}
        COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/test_agent.py ${c}
                $<TARGET_FILE:host_agent> $<TARGET_FILE:host_kvd>)
    set_tests_properties(unit.agent.${c} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
# Two kvds and a relay standing in for the host: a service moved without a gap (kvd_relay.h).
foreach(c follow_and_hand_over relay_lost_before_handover bad_admin_requests
        order_kept_when_forwarding)
    add_test(NAME unit.kvd_relay.${c}
        COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/test_kvd_relay.py ${c}
                $<TARGET_FILE:host_kvd>)
    set_tests_properties(unit.kvd_relay.${c} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
