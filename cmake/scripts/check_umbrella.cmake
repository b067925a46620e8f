# cmake -DINCLUDE_DIR=<repo>/include -DHEADERS_FILE=<list> -P check_umbrella.cmake
#
# Checks that include/blockspec/blockspec.hpp reaches, directly or through
# other blockspec headers, every public header listed in HEADERS_FILE (one
# path relative to include/ per line: the self-containment list, i.e. no
# detail/ and no adapters/). Follows #include <blockspec/...> and
# #include "..." lines textually (conditional includes count as included).
# It also checks the other direction: the umbrella is the core, so it must not
# reach a header of an optional component (io/, lab/, operator/xtensor.hpp,
# adapters/), whose dependencies a core-only consumer does not have.
cmake_minimum_required(VERSION 3.21)
set(_umbrella "blockspec/blockspec.hpp")
if(NOT EXISTS "${INCLUDE_DIR}/${_umbrella}")
  message("SKIP: ${INCLUDE_DIR}/${_umbrella} not found (yet)")
  return()
endif()

file(STRINGS "${HEADERS_FILE}" _expected)
set(_seen "")
set(_queue "${_umbrella}")
while(_queue)
  list(POP_FRONT _queue _rel)
  if(_rel IN_LIST _seen)
    continue()
  endif()
  list(APPEND _seen "${_rel}")
  file(STRINGS "${INCLUDE_DIR}/${_rel}" _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"][^>\"]+[>\"]")
  get_filename_component(_dir "${_rel}" DIRECTORY)
  foreach(_line IN LISTS _lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" _inc "${_line}")
    if(_line MATCHES "\"" AND EXISTS "${INCLUDE_DIR}/${_dir}/${_inc}")
      get_filename_component(_abs "${INCLUDE_DIR}/${_dir}/${_inc}" ABSOLUTE)
      file(RELATIVE_PATH _inc "${INCLUDE_DIR}" "${_abs}")
    endif()
    if(_inc MATCHES "^blockspec/" AND EXISTS "${INCLUDE_DIR}/${_inc}")
      list(APPEND _queue "${_inc}")
    endif()
  endforeach()
endwhile()

set(_component_regex "^blockspec/(io/|lab/|adapters/|operator/xtensor\\.hpp$)")
set(_missing "")
foreach(_h IN LISTS _expected)
  if(_h MATCHES "${_component_regex}")
    continue()  # a component header: the umbrella must NOT reach it (checked below)
  endif()
  if(NOT _h STREQUAL _umbrella AND NOT _h IN_LIST _seen)
    list(APPEND _missing "${_h}")
  endif()
endforeach()
if(_missing)
  list(JOIN _missing "\n  " _text)
  message(FATAL_ERROR "<${_umbrella}> does not include (even indirectly):\n  ${_text}\n"
          "Include them from the umbrella, or list them in blockspec_umbrella_exclude in tests/CMakeLists.txt.")
endif()
set(_leaks "")
foreach(_h IN LISTS _seen)
  if(_h MATCHES "${_component_regex}")
    list(APPEND _leaks "${_h}")
  endif()
endforeach()
if(_leaks)
  list(JOIN _leaks "\n  " _text)
  message(FATAL_ERROR "<${_umbrella}> is the core but reaches component headers:\n  ${_text}")
endif()
list(LENGTH _seen _n)
message("OK: <${_umbrella}> reaches ${_n} blockspec header(s)")
