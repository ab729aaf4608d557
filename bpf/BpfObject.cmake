# xt_bpf_object(): compile an XDP program with clang and generate its skeleton with bpftool, as
# libbpf-bootstrap's FindBpfObject.cmake does. Included once from the top CMakeLists, so the tools
# and flags found here are visible to every directory that builds a BPF object (bpf/, bench/,
# tests/gateway/).
find_program(CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

# __TARGET_ARCH_<arch>: bpf_tracing.h and vmlinux.h need the kernel's name of the target
# architecture, which is not CMake's. XT_BPF_ARCH overrides the guess (cross builds, rare CPUs).
set(XT_BPF_ARCH "" CACHE STRING "kernel architecture name for __TARGET_ARCH_ (empty: from CMAKE_SYSTEM_PROCESSOR)")
set(xt_bpf_arch ${XT_BPF_ARCH})
if(NOT xt_bpf_arch)
  string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" xt_processor)
  if(xt_processor MATCHES "^(x86_64|amd64|i.86|x86)$")
    set(xt_bpf_arch x86)
  elseif(xt_processor MATCHES "^(aarch64|arm64)")
    set(xt_bpf_arch arm64)
  elseif(xt_processor MATCHES "^arm")
    set(xt_bpf_arch arm)
  elseif(xt_processor MATCHES "^(ppc|powerpc)")
    set(xt_bpf_arch powerpc)
  elseif(xt_processor MATCHES "^s390")
    set(xt_bpf_arch s390)
  elseif(xt_processor MATCHES "^riscv")
    set(xt_bpf_arch riscv)
  elseif(xt_processor MATCHES "^loongarch")
    set(xt_bpf_arch loongarch)
  elseif(xt_processor MATCHES "^mips")
    set(xt_bpf_arch mips)
  else()
    message(FATAL_ERROR "BPF: no kernel architecture name known for CMAKE_SYSTEM_PROCESSOR "
                        "'${CMAKE_SYSTEM_PROCESSOR}'; set -DXT_BPF_ARCH=<x86|arm64|...>")
  endif()
endif()

# `clang -target bpf` searches no multiarch directory, yet <linux/bpf.h> includes <asm/types.h>,
# which Debian ships under /usr/include/<multiarch>/. CMake knows the multiarch tuple from the C
# compiler (empty on distributions without multiarch, which keep asm/ in /usr/include).
set(xt_bpf_includes "")
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND xt_bpf_includes -isystem /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()
# Then the host's own search list, after everything else (-idirafter), as libbpf-bootstrap does:
# it covers headers installed where a bpf-target clang does not look (/usr/local, the resource dir).
execute_process(
  COMMAND ${CLANG} -v -E -
  INPUT_FILE /dev/null
  OUTPUT_QUIET
  ERROR_VARIABLE xt_clang_verbose
  RESULT_VARIABLE xt_clang_result)
if(NOT xt_clang_result EQUAL 0)
  message(FATAL_ERROR "BPF: '${CLANG} -v -E -' failed (${xt_clang_result}): ${xt_clang_verbose}")
endif()
string(REGEX MATCH "#include <\\.\\.\\.> search starts here:\n(.*)\nEnd of search list\\."
       xt_search_list "${xt_clang_verbose}")
string(REPLACE "\n" ";" xt_search_dirs "${CMAKE_MATCH_1}")
foreach(dir IN LISTS xt_search_dirs)
  string(STRIP "${dir}" dir)
  if(dir)
    list(APPEND xt_bpf_includes -idirafter ${dir})
  endif()
endforeach()

# -g keeps BTF (libxdp and bpftool need it); -mcpu=v3 gives atomics and cmpxchg.
set(XT_BPF_CFLAGS -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_${xt_bpf_arch} -Wall -Werror
    ${xt_bpf_includes})
list(JOIN XT_BPF_CFLAGS " " xt_bpf_cflags_text)
message(STATUS "BPF: ${CLANG} ${xt_bpf_cflags_text}")

# xt_bpf_object(NAME SOURCE OUTPUT_DIR DIR [DEPENDS files...])
#   Compiles SOURCE (relative to the calling directory, whose headers it may include) into
#   DIR/NAME.bpf.o and generates DIR/NAME.skel.h. Makes the INTERFACE library NAME_skel: linking it
#   gives DIR as include directory, builds the skeleton first, and links libbpf. The object's path
#   is the library's XT_BPF_OBJECT property, for code that opens the .bpf.o by path.
function(xt_bpf_object name source)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "DEPENDS" ${ARGN})
  if(NOT ARG_OUTPUT_DIR)
    message(FATAL_ERROR "xt_bpf_object(${name}): OUTPUT_DIR is required")
  endif()
  file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR})
  set(obj ${ARG_OUTPUT_DIR}/${name}.bpf.o)
  set(skel ${ARG_OUTPUT_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG} ${XT_BPF_CFLAGS} -I${CMAKE_CURRENT_SOURCE_DIR}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${ARG_DEPENDS}
    COMMENT "BPF ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel} ${obj})

  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${ARG_OUTPUT_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
  set_target_properties(${name}_skel PROPERTIES XT_BPF_OBJECT ${obj})
endfunction()
