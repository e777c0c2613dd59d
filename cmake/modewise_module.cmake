# modewise_module(NAME DEPS dep...): a static library modewise_NAME from src/NAME/*.cpp.
# Dependencies flow one way (device <- telemetry/control <- profile/store <- predict/roofline <- optimize/cosched <- cli),
# so each module names only the modules below it.
function(modewise_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
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

# modewise_test(MODULE deps...): one GoogleTest binary test_MODULE from tests/MODULE/*.cpp.
function(modewise_test module)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(test_${module} ${srcs})
  target_link_libraries(test_${module} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(test_${module} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(test_${module} PRIVATE
    MODEWISE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MODEWISE_CLI="$<TARGET_FILE:modewise>")
  add_dependencies(test_${module} modewise)
  gtest_discover_tests(test_${module} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${module})
endfunction()
