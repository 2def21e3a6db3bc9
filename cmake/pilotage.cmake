# Build helpers shared by every pilotage target.

include(GNUInstallDirs)

# Warnings for our own code only (never for generated protobuf code).
add_library(pilotage_warnings INTERFACE)
target_compile_options(pilotage_warnings INTERFACE -Wall -Wextra -Werror -Wno-unused-parameter
  -Wno-missing-field-initializers)  # designated initializers of options structs

# Sanitizers apply to the whole build, as an INTERFACE every target links.
add_library(pilotage_sanitizers INTERFACE)
if(PILOTAGE_SANITIZE)
  target_compile_options(pilotage_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(pilotage_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
if(PILOTAGE_FUZZ)
  target_compile_options(pilotage_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(pilotage_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
if(PILOTAGE_TSAN)
  target_compile_options(pilotage_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(pilotage_sanitizers INTERFACE -fsanitize=thread)
endif()

# pilotage_library(NAME store SRCS a.cc PUBLIC_DEPS x PRIVATE_DEPS y)
# Makes target pilotage_<NAME> with alias pilotage::<NAME>; headers under
# include/ are public, everything under src/ is private.
function(pilotage_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target pilotage_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(pilotage::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target}
    PUBLIC ${ARG_PUBLIC_DEPS} pilotage_sanitizers
    PRIVATE ${ARG_PRIVATE_DEPS} pilotage_warnings)
endfunction()

# pilotage_test(NAME store_test SRCS a_test.cc DEPS pilotage::store LABELS unit
#               [FIXTURES kafka])
# One gtest binary, each test discovered individually. FIXTURES names ctest
# fixtures the tests require (kafka: a real broker started for the run).
# Call it (and whatever else belongs to tests) only when PILOTAGE_BUILD_TESTS is
# ON: inside `if(PILOTAGE_BUILD_TESTS)`, or from a tests/ folder added by
# pilotage_tests_subdirectory().
function(pilotage_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS;FIXTURES" ${ARGN})
  if(NOT PILOTAGE_BUILD_TESTS)
    message(FATAL_ERROR "pilotage_test(NAME ${ARG_NAME}) with PILOTAGE_BUILD_TESTS=OFF: "
      "declare it in a tests/ folder added by pilotage_tests_subdirectory(), or under "
      "if(PILOTAGE_BUILD_TESTS)")
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
    pilotage_warnings pilotage_sanitizers)
  set(props LABELS "${ARG_LABELS}")
  if(ARG_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${ARG_FIXTURES}" RESOURCE_LOCK kafka_broker)
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${props}
      ENVIRONMENT "PILOTAGE_KAFKA_BOOTSTRAP_FILE=${PILOTAGE_KAFKA_DIR}/bootstrap")
endfunction()

# pilotage_tests_subdirectory(tests): add_subdirectory(tests) when
# PILOTAGE_BUILD_TESTS is ON, nothing otherwise.
macro(pilotage_tests_subdirectory dir)
  if(PILOTAGE_BUILD_TESTS)
    add_subdirectory(${dir})
  endif()
endmacro()

# pilotage_executable(NAME pilotage-projector SRCS main.cc DEPS ... [NO_INSTALL])
# Installed into ${CMAKE_INSTALL_BINDIR} by `cmake --install` unless NO_INSTALL
# (benchmarks, tools for developers).
function(pilotage_executable)
  cmake_parse_arguments(ARG "NO_INSTALL" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} pilotage_warnings pilotage_sanitizers)
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${ARG_NAME} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endfunction()

set(PILOTAGE_KAFKA_DIR ${CMAKE_BINARY_DIR}/kafka)
set(PILOTAGE_KAFKA_SECURE_DIR ${CMAKE_BINARY_DIR}/kafka-secure)
