# The version is defined once, in include/tensormem/version.hpp; CMake reads it from there.

# tensormem_read_version(<header> <out_var>): sets <out_var> to "MAJOR.MINOR.PATCH".
function(tensormem_read_version header out_var)
  file(STRINGS "${header}" defines REGEX "^#define TENSORMEM_VERSION_")
  foreach(part IN ITEMS MAJOR MINOR PATCH)
    if(NOT defines MATCHES "#define TENSORMEM_VERSION_${part} +([0-9]+)")
      message(FATAL_ERROR "TENSORMEM_VERSION_${part} not found in ${header}")
    endif()
    set(${part} "${CMAKE_MATCH_1}")
  endforeach()
  set(version "${MAJOR}.${MINOR}.${PATCH}")
  # Catch a bumped number with a stale string (the string is what users print).
  if(defines MATCHES "#define TENSORMEM_VERSION_STRING +\"([^\"]*)\""
     AND NOT CMAKE_MATCH_1 STREQUAL version)
    message(FATAL_ERROR "${header}: TENSORMEM_VERSION_STRING \"${CMAKE_MATCH_1}\" "
                        "does not match ${version}")
  endif()
  # Re-run CMake when the header changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${header}")
  set(${out_var} "${version}" PARENT_SCOPE)
endfunction()
