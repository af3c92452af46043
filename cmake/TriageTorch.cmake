# Finds libtorch from the project's .venv (the torch==2.11.0 wheel ships headers, libs and
# share/cmake/Torch) and defines triage_torch_pch, a precompiled <torch/torch.h> that every
# torch-using target reuses with triage_use_torch(target).
if(NOT Torch_DIR)
  file(GLOB _triage_torch_dirs
       "${CMAKE_SOURCE_DIR}/.venv/lib/python3*/site-packages/torch/share/cmake/Torch")
  if(_triage_torch_dirs)
    list(GET _triage_torch_dirs 0 Torch_DIR)
  endif()
endif()
# The CUDA wheel's TorchConfig otherwise try_run()s a GPU probe to pick architectures,
# which fails on machines without a GPU (CI). Same architectures as CMAKE_CUDA_ARCHITECTURES.
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST} AND NOT TORCH_CUDA_ARCH_LIST)
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
find_package(Torch 2.11 REQUIRED CONFIG)
if(NOT Torch_FOUND)
  message(FATAL_ERROR "libtorch not found: run scripts/setup.sh (creates .venv with torch==2.11.0) "
                      "or pass -DTorch_DIR=<site-packages>/torch/share/cmake/Torch")
endif()
message(STATUS "libtorch ${Torch_VERSION} from ${Torch_DIR}")
get_filename_component(TRIAGE_TORCH_LIB_DIR "${TORCH_LIBRARY}" DIRECTORY)

# The wheel's TORCH_CXX_FLAGS carries -D_GLIBCXX_USE_CXX11_ABI=...; keep it on every target.
separate_arguments(_triage_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")

add_library(triage_torch INTERFACE)
target_link_libraries(triage_torch INTERFACE ${TORCH_LIBRARIES})
# libtorch.so and libtorch_cpu.so export their own copies of std::filesystem (built with the
# wheel's toolchain); listed first in DT_NEEDED they would interpose on libstdc++'s, and
# libtorch's remove_all() jumps through a null pointer when called from our code. Naming
# libstdc++ before any object or library makes the dynamic linker resolve to it first.
target_link_options(triage_torch INTERFACE
  "LINKER:--push-state,--no-as-needed" "-lstdc++" "LINKER:--pop-state")
target_compile_options(triage_torch INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${_triage_torch_flags}>)
# Torch headers are third-party: silence their warnings.
target_include_directories(triage_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})

add_library(triage_torch_pch OBJECT ${CMAKE_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(triage_torch_pch PUBLIC triage_torch)
set_target_properties(triage_torch_pch PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_precompile_headers(triage_torch_pch PRIVATE <torch/torch.h>)

# Links libtorch and reuses the shared precompiled torch header.
function(triage_use_torch target)
  target_link_libraries(${target} PUBLIC triage_torch)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    # GCC rejects a -fPIC precompiled header in a -fPIE compile: build executables'
    # objects with -fPIC too (same code quality for our purposes) so the PCH is used.
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fPIC>)
  else()
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  target_precompile_headers(${target} REUSE_FROM triage_torch_pch)
endfunction()
