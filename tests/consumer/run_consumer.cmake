# ctest test consumer_find_package: install the current build into a prefix, then
# configure, build and run tests/consumer against it in a fresh directory.
# Run with cmake -P; the -D variables come from tests/CMakeLists.txt.
cmake_minimum_required(VERSION 3.21)

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${prefix}" "${build}")

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

function(run)
  message(STATUS "run: ${ARGN}")
  execute_process(COMMAND ${ARGN} COMMAND_ERROR_IS_FATAL ANY)
endfunction()

run("${CMAKE_COMMAND}" --install "${TENSORMEM_BINARY_DIR}" --prefix "${prefix}" ${config_args})

set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CONFIG)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
run("${CMAKE_COMMAND}" ${configure_args})
run("${CMAKE_COMMAND}" --build "${build}" ${config_args})

# Single-config generators put it in the build dir, multi-config ones in <config>/.
foreach(candidate "${build}/consumer" "${build}/${CONFIG}/consumer")
  if(EXISTS "${candidate}")
    run("${candidate}")
    return()
  endif()
endforeach()
message(FATAL_ERROR "consumer executable not found in ${build}")
