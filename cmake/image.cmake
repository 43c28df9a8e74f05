# SPDX-License-Identifier: MIT
# us_image(): turns the aarch64 build's kernel and servers plus a system config into a FIT.
find_program(US_DTC dtc REQUIRED)
find_program(US_MKIMAGE mkimage REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

# Servers packed into every image; each is ${US_TARGET_DIR}/servers/<name>/<name>.elf.
# keep in sync with boot/manifest.txt
set(US_IMAGE_SERVERS console vmm devmgr migrate)

# us_image(NAME <n> CONFIG <path.dts> [MANIFEST <path.txt>] [GUESTS name=path ...]
#          [INITRDS name=path ...] [DISKS name=path ...])
# Builds ${CMAKE_BINARY_DIR}/images/<n>/{config.dtb,bundle.bin,understudy.bin,image.its,
# understudy.fit} under target image_<n> (in ALL). MANIFEST defaults to boot/manifest.txt.
# Guest and initrd paths may be files the aarch64 build (us_target) produces.
function(us_image)
    cmake_parse_arguments(I "" "NAME;CONFIG;MANIFEST" "GUESTS;INITRDS;DISKS" ${ARGN})
    if(NOT I_NAME OR NOT I_CONFIG)
        message(FATAL_ERROR "us_image: NAME and CONFIG are required")
    endif()
    if(NOT I_MANIFEST)
        set(I_MANIFEST ${CMAKE_SOURCE_DIR}/boot/manifest.txt)
    endif()
    set(dir ${CMAKE_BINARY_DIR}/images/${I_NAME})
    set(in ${dir}/inputs)
    file(MAKE_DIRECTORY ${in})

    # The aarch64 sub-build always runs and declares no byproducts, so copy its outputs here
    # with copy_if_different: their timestamps move only when the content changes, and as
    # BYPRODUCTS Ninja learns who makes them (and restats them).
    set(copy_cmds COMMAND ${CMAKE_COMMAND} -E copy_if_different
        ${US_TARGET_DIR}/kernel/understudy.bin ${dir}/understudy.bin)
    set(copies ${dir}/understudy.bin)
    set(pack_args)
    foreach(s ${US_IMAGE_SERVERS})
        list(APPEND copy_cmds COMMAND ${CMAKE_COMMAND} -E copy_if_different
            ${US_TARGET_DIR}/servers/${s}/${s}.elf ${in}/server_${s}.elf)
        list(APPEND copies ${in}/server_${s}.elf)
        list(APPEND pack_args --server ${s}=${in}/server_${s}.elf)
    endforeach()
    foreach(kind GUESTS INITRDS DISKS)
        if(kind STREQUAL GUESTS)
            set(opt --guest)
            set(prefix guest)
        elseif(kind STREQUAL INITRDS)
            set(opt --initrd)
            set(prefix initrd)
        else()
            set(opt --blob) # a disk's initial contents: a plain bundle entry
            set(prefix disk)
        endif()
        foreach(g ${I_${kind}})
            if(NOT g MATCHES "^([^=]+)=(.+)$")
                message(FATAL_ERROR "us_image(${I_NAME}): ${kind} entry '${g}' is not name=path")
            endif()
            set(gname ${CMAKE_MATCH_1})
            set(gcopy ${in}/${prefix}_${gname})
            list(APPEND copy_cmds COMMAND ${CMAKE_COMMAND} -E copy_if_different
                ${CMAKE_MATCH_2} ${gcopy})
            list(APPEND copies ${gcopy})
            list(APPEND pack_args ${opt} ${gname}=${gcopy})
        endforeach()
    endforeach()
    add_custom_target(image_${I_NAME}_inputs ${copy_cmds}
        BYPRODUCTS ${copies}
        COMMENT "Collecting aarch64 outputs for image ${I_NAME}"
        VERBATIM)
    add_dependencies(image_${I_NAME}_inputs us_target)

    add_custom_command(OUTPUT ${dir}/config.dtb
        COMMAND ${US_DTC} -q -I dts -O dtb -o ${dir}/config.dtb ${I_CONFIG}
        DEPENDS ${I_CONFIG}
        COMMENT "Compiling system config ${I_CONFIG}"
        VERBATIM)
    add_custom_command(OUTPUT ${dir}/bundle.bin
        COMMAND uspack bundle -o ${dir}/bundle.bin --manifest ${I_MANIFEST}
                --config ${dir}/config.dtb ${pack_args}
        DEPENDS uspack ${I_MANIFEST} ${dir}/config.dtb ${copies}
        COMMENT "Packing boot bundle for image ${I_NAME}"
        VERBATIM)
    add_custom_command(OUTPUT ${dir}/image.its
        COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/mkits.py
                --kernel ${dir}/understudy.bin --bundle ${dir}/bundle.bin
                --description "Understudy image ${I_NAME}" -o ${dir}/image.its
        DEPENDS ${CMAKE_SOURCE_DIR}/tools/mkits.py ${dir}/understudy.bin ${dir}/bundle.bin
        VERBATIM)
    add_custom_command(OUTPUT ${dir}/understudy.fit
        COMMAND ${US_MKIMAGE} -q -f ${dir}/image.its ${dir}/understudy.fit
        DEPENDS ${dir}/image.its ${dir}/understudy.bin ${dir}/bundle.bin
        COMMENT "Building FIT image ${I_NAME}"
        VERBATIM)
    add_custom_target(image_${I_NAME} ALL DEPENDS ${dir}/understudy.fit)
    add_dependencies(image_${I_NAME} image_${I_NAME}_inputs)
endfunction()
