# zcnas_add_library(<folder-name> [TORCH] DEPS ...)
#   One static library per folder: sources are <folder>/src/*.cpp, public headers
#   <folder>/include/zcnas/<folder>/*.hpp. TORCH adds the libtorch precompiled header.
function(zcnas_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(ZCNAS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ZCNAS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

function(zcnas_torch_pch target)
  # libtorch headers cost ~20 s per translation unit; one PCH per target brings that to ~2 s.
  target_precompile_headers(${target} PRIVATE <torch/torch.h>)
endfunction()

function(zcnas_add_library name)
  cmake_parse_arguments(ARG "TORCH" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(NOT _srcs)
    message(FATAL_ERROR "zcnas_add_library(${name}): no sources in ${CMAKE_CURRENT_SOURCE_DIR}/src")
  endif()
  add_library(zcnas_${name} STATIC ${_srcs})
  add_library(zcnas::${name} ALIAS zcnas_${name})
  target_include_directories(zcnas_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(zcnas_${name} PUBLIC ${ARG_DEPS})
  set_target_properties(zcnas_${name} PROPERTIES EXPORT_NAME ${name})
  zcnas_warnings(zcnas_${name})
  if(ARG_TORCH)
    zcnas_torch_pch(zcnas_${name})
  endif()
  set_property(GLOBAL APPEND PROPERTY ZCNAS_LIBRARIES zcnas_${name})
endfunction()
