# modewise_module(NAME DEPS dep... [EXCLUDE pattern...]): a static library modewise_NAME from src/NAME/*.cpp, less
# the files matching the EXCLUDE globs (sources of an optional component that is off, see src/CMakeLists.txt).
# Dependencies flow one way (device <- telemetry/control <- profile/store <- predict/roofline <- optimize/cosched <- cli),
# so each module names only the modules below it.
function(modewise_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;EXCLUDE" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  foreach(pattern IN LISTS ARG_EXCLUDE)
    file(GLOB excluded CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/${pattern})
    if(excluded)
      list(REMOVE_ITEM srcs ${excluded})
    endif()
  endforeach()
  if(NOT srcs)  # a module not written yet: headers only
    add_library(modewise_${name} INTERFACE)
    target_include_directories(modewise_${name} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
    target_link_libraries(modewise_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(modewise_${name} STATIC ${srcs})
  target_include_directories(modewise_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(modewise_${name} PUBLIC ${ARG_DEPS})
  target_compile_definitions(modewise_${name} PRIVATE MODEWISE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

# modewise_test(MODULE deps... [EXCLUDE pattern...]): one GoogleTest binary test_MODULE from tests/MODULE/*.cpp,
# less the files matching the EXCLUDE globs. MODEWISE_CLI is the command that starts the built CLI (MODEWISE_CLI_COMMAND, see
# tests/CMakeLists.txt: the binary itself, or a wrapper that runs it under the cross-compiling emulator);
# MODEWISE_HAVE_ONNX is 1 or 0 (tests/build_features.h).
function(modewise_test module)
  cmake_parse_arguments(ARG "" "" "EXCLUDE" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/*.cpp)
  foreach(pattern IN LISTS ARG_EXCLUDE)
    file(GLOB excluded CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/${pattern})
    if(excluded)
      list(REMOVE_ITEM srcs ${excluded})
    endif()
  endforeach()
  if(NOT srcs)
    return()
  endif()
  if(MODEWISE_HAVE_ONNX)
    set(have_onnx 1)
  else()
    set(have_onnx 0)
  endif()
  add_executable(test_${module} ${srcs})
  target_link_libraries(test_${module} PRIVATE ${ARG_UNPARSED_ARGUMENTS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(test_${module} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(test_${module} PRIVATE
    MODEWISE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MODEWISE_CLI="${MODEWISE_CLI_COMMAND}"
    MODEWISE_HAVE_ONNX=${have_onnx})
  add_dependencies(test_${module} modewise)
  gtest_discover_tests(test_${module} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${module})
endfunction()
