# Helpers for blockspec's own targets (tests, header check, examples,
# benchmarks). Nothing here touches global flags or the installed target.

option(BLOCKSPEC_WARNINGS_AS_ERRORS "Treat warnings as errors on blockspec's own targets (CI sets it ON)" OFF)

# blockspec_add_warnings(<target>...)
#   Strict warnings (and -Werror) on targets we compile ourselves, ISO C++20
#   without GNU extensions. Eigen, Boost, xtensor, doctest, benchmark and CLI11
#   come from imported targets or /usr/include, so they are system headers and
#   their warnings are not ours.
function(blockspec_add_warnings)
  foreach(_target IN LISTS ARGN)
    if(MSVC)
      target_compile_options(${_target} PRIVATE /W4 /permissive- $<$<BOOL:${BLOCKSPEC_WARNINGS_AS_ERRORS}>:/WX>)
    else()
      target_compile_options(${_target} PRIVATE -Wall -Wextra -Wpedantic
                             $<$<BOOL:${BLOCKSPEC_WARNINGS_AS_ERRORS}>:-Werror>)
      # GCC 12 false positive on std::string concatenation once inlined at
      # -O2/-O3 (GCC bug 105329, libstdc++ char_traits.h): -Wrestrict off there.
      if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
         AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        target_compile_options(${_target} PRIVATE -Wno-restrict)
      endif()
    endif()
    set_target_properties(${_target} PROPERTIES CXX_EXTENSIONS OFF)
  endforeach()
endfunction()
