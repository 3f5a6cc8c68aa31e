# tensormem_add_js_package(): C++ kernels + the tensormem runtime -> an npm package.
#
#   tensormem_add_js_package(<name>
#     [SOURCES <file>...]          C++ files with TENSORMEM_KERNELS blocks (none: the bare runtime)
#     [TYPES <file.d.ts>...]       declarations appended to the generated index.d.ts
#     [VERSION <x.y.z>]            default: PROJECT_VERSION
#     [DESCRIPTION <text>] [README <file>] [LICENSE <spdx>] [LICENSE_FILE <file>]
#     [OUTPUT_DIRECTORY <dir>]     default: ${CMAKE_CURRENT_BINARY_DIR}/<name>
#     [TARGET <target>])           default: <name> with characters CMake dislikes replaced
#
# Builds the sources with the runtime's exports into a standalone tensormem.wasm
# (every flag the runtime needs comes from tensormem::tensormem and from here),
# then assembles <dir> with package.json, the JavaScript layer and index.d.ts
# whose `Kernels` interface is generated from the registered signatures.
# `npm pack <dir>` makes the tarball. The tensormem package itself is built
# by this function (bindings/js/CMakeLists.txt). Emscripten only.
#
# Needs TENSORMEM_JS_DIR (the JS layer and binding sources), TENSORMEM_JS_LICENSE
# and TENSORMEM_WASM_MAXIMUM_MEMORY: set by tensormemConfig.cmake for an installed
# tensormem, and by tensormem's own CMakeLists.txt in its tree.

# Link flags of a package's module, on top of tensormem::tensormem's usage requirements:
# - STANDALONE_WASM --no-entry: a reactor module with no Emscripten JS glue; the
#   package's loader provides its few imports.
# - A small start (1 MiB, 256 KiB of stack first in memory, so that an overflow traps
#   instead of overwriting data); the heap grows on demand up to the 2 GB maximum.
# - -O2 at link: wasm-opt's size and speed passes.
set(TENSORMEM_JS_LINK_OPTIONS
    -sSTANDALONE_WASM=1 --no-entry -O2
    -sINITIAL_MEMORY=1MB -sTOTAL_STACK=256KB "-Wl,--stack-first"
    -sFILESYSTEM=0)

find_program(TENSORMEM_NODE node NO_CMAKE_FIND_ROOT_PATH
  DOC "node, which assembles npm packages (tensormem_add_js_package)")

function(tensormem_add_js_package name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
    "VERSION;DESCRIPTION;README;LICENSE;LICENSE_FILE;OUTPUT_DIRECTORY;TARGET" "SOURCES;TYPES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tensormem_add_js_package(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT EMSCRIPTEN)
    message(FATAL_ERROR "tensormem_add_js_package(${name}) needs an Emscripten build (emcmake cmake ...)")
  endif()
  if(NOT TARGET tensormem::tensormem)
    message(FATAL_ERROR "tensormem_add_js_package(${name}): no tensormem::tensormem target (find_package(tensormem))")
  endif()
  foreach(var IN ITEMS TENSORMEM_JS_DIR TENSORMEM_JS_LICENSE TENSORMEM_NODE TENSORMEM_WASM_MAXIMUM_MEMORY)
    if(NOT ${var})
      message(FATAL_ERROR "tensormem_add_js_package(${name}): ${var} is not set")
    endif()
  endforeach()
  if(NOT ARG_VERSION)
    set(ARG_VERSION "${PROJECT_VERSION}")
  endif()
  if(NOT ARG_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+")
    message(FATAL_ERROR "tensormem_add_js_package(${name}): VERSION \"${ARG_VERSION}\" is not x.y.z "
      "(set VERSION, or project(... VERSION x.y.z))")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${name}")
  endif()
  if(NOT ARG_TARGET)
    string(MAKE_C_IDENTIFIER "${name}" ARG_TARGET)
  endif()

  # The module: the runtime's exports plus the user's kernels, in one program, so
  # that every static TENSORMEM_KERNELS registration is linked in.
  add_executable(${ARG_TARGET} "${TENSORMEM_JS_DIR}/src/exports.cpp" ${ARG_SOURCES})
  target_include_directories(${ARG_TARGET} PRIVATE "${TENSORMEM_JS_DIR}/src")
  target_link_libraries(${ARG_TARGET} PRIVATE tensormem::tensormem)
  target_compile_definitions(${ARG_TARGET} PRIVATE TENSORMEM_WASM_MAXIMUM_MEMORY=${TENSORMEM_WASM_MAXIMUM_MEMORY})
  target_link_options(${ARG_TARGET} PRIVATE ${TENSORMEM_JS_LINK_OPTIONS})
  set_target_properties(${ARG_TARGET} PROPERTIES
    CXX_EXTENSIONS OFF OUTPUT_NAME "${ARG_TARGET}" SUFFIX ".wasm"
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}.wasm.d")

  set(args --name "${name}" --version "${ARG_VERSION}" --runtime-version "${tensormem_VERSION}"
    --runtime-license "${TENSORMEM_JS_LICENSE}" --wasm "$<TARGET_FILE:${ARG_TARGET}>" --out "${ARG_OUTPUT_DIRECTORY}")
  if(ARG_DESCRIPTION)
    list(APPEND args --description "${ARG_DESCRIPTION}")
  endif()
  foreach(file IN LISTS ARG_TYPES)
    get_filename_component(file "${file}" ABSOLUTE)
    list(APPEND args --types "${file}")
  endforeach()
  foreach(option IN ITEMS README LICENSE_FILE)
    if(ARG_${option})
      get_filename_component(file "${ARG_${option}}" ABSOLUTE)
      string(TOLOWER "${option}" flag)
      string(REPLACE "_" "-" flag "${flag}")
      list(APPEND args --${flag} "${file}")
    endif()
  endforeach()
  if(ARG_LICENSE)
    list(APPEND args --license "${ARG_LICENSE}")
  endif()

  # Re-assembled whenever the module, a TYPES file or the JS layer changes.
  file(GLOB _tm_js_layer CONFIGURE_DEPENDS "${TENSORMEM_JS_DIR}/lib/*.mjs" "${TENSORMEM_JS_DIR}/index.*"
    "${TENSORMEM_JS_DIR}/tools/*.mjs" "${TENSORMEM_JS_DIR}/inspector/*" "${TENSORMEM_JS_DIR}/bin/*")
  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}.package.stamp")
  add_custom_command(OUTPUT "${stamp}"
    COMMAND "${TENSORMEM_NODE}" "${TENSORMEM_JS_DIR}/tools/make-package.mjs" ${args}
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
    DEPENDS ${ARG_TARGET} ${ARG_TYPES} ${_tm_js_layer}
    COMMENT "Assembling npm package ${name} in ${ARG_OUTPUT_DIRECTORY}"
    VERBATIM)
  add_custom_target(${ARG_TARGET}_package ALL DEPENDS "${stamp}")
  set_target_properties(${ARG_TARGET} PROPERTIES TENSORMEM_PACKAGE_DIR "${ARG_OUTPUT_DIRECTORY}")
endfunction()
