# One helper registers every test with ctest and its labels:
#   unit        fast C++ tests, no data beyond the repo
#   integration binaries run end to end
#   python      parity against the Python oracles in .venv
#   data        needs ../shared (skips with a message when it is absent)
#   gpu         needs a CUDA device; CI runs everything except this label
#   multiproc   several processes (c10d)
include_guard(GLOBAL)
set(TRIAGE_SHARED_DIR "${CMAKE_SOURCE_DIR}/../shared" CACHE PATH "The shared datasets and fixtures")
set(TRIAGE_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python with the test oracles")

# triage_add_gtest(NAME SOURCES a.cpp b.cpp LIBS lib... LABELS unit ...)
function(triage_add_gtest name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  find_package(GTest REQUIRED)
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    TRIAGE_SOURCE_DIR="${CMAKE_SOURCE_DIR}" TRIAGE_SHARED_DIR="${TRIAGE_SHARED_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "TRIAGE_SOURCE_DIR=${CMAKE_SOURCE_DIR};TRIAGE_SHARED_DIR=${TRIAGE_SHARED_DIR};TRIAGE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;TRIAGE_PYTHON=${TRIAGE_PYTHON}"
    SKIP_RETURN_CODE 77)
endfunction()

# triage_add_script_test(NAME COMMAND cmd args... LABELS ...): a script run as a test;
# exit 77 means skipped (for example ../shared absent), any other non-zero is a failure.
function(triage_add_script_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND ${T_COMMAND} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 900)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "TRIAGE_SOURCE_DIR=${CMAKE_SOURCE_DIR};TRIAGE_SHARED_DIR=${TRIAGE_SHARED_DIR};TRIAGE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;TRIAGE_TEST_BIN_DIR=${CMAKE_BINARY_DIR}/tests;TRIAGE_PYTHON=${TRIAGE_PYTHON}"
    SKIP_RETURN_CODE 77)
endfunction()
