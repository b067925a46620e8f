# CLI11::CLI11, the command-line parser of the examples and of tests/fuzz/fuzz_cli.cpp (Debian:
# libcli11-dev). Debian's package ships the header only, with no CMake config, so fall back to
# an interface target over the header's directory.
if(NOT TARGET CLI11::CLI11)
  find_package(CLI11 CONFIG QUIET)
endif()
if(NOT TARGET CLI11::CLI11)
  find_path(BLOCKSPEC_CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(blockspec_cli11 INTERFACE)
  target_include_directories(blockspec_cli11 SYSTEM INTERFACE "${BLOCKSPEC_CLI11_INCLUDE_DIR}")
  add_library(CLI11::CLI11 ALIAS blockspec_cli11)
endif()
