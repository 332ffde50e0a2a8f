# The libFuzzer harnesses, one list for both their uses: tests/CMakeLists.txt replays each over its
# seed corpus and regression inputs in every build (fuzz/driver.c stands in for libFuzzer), and
# with -DHEATBENCH_FUZZ=ON (clang; fuzz/run.sh) each is built as fuzz_<name> against the same
# libraries the program links, so no source list is kept anywhere else.
set(HB_FUZZ_HARNESSES reading level topic scenario room_ctl state statefile household trace weather
                      serve simclock)
# What the harnesses link: everything a parser under test may need.
set(HB_FUZZ_LIBS hb_scenario hb_daemon hb_mqtt hb_serve)

if(HEATBENCH_FUZZ)
  # cJSON instrumented too when its source is given (fuzz/run.sh fetches Debian's, the version
  # installed): its definitions in the executable take precedence over the shared library's.
  set(HB_FUZZ_CJSON_SOURCE "" CACHE PATH "Folder holding cJSON.c to compile in, instrumented")
  set(hb_cjson)
  if(HB_FUZZ_CJSON_SOURCE)
    set(hb_cjson ${HB_FUZZ_CJSON_SOURCE}/cJSON.c)
    set_source_files_properties(${hb_cjson} PROPERTIES COMPILE_OPTIONS -w)
  endif()
  foreach(h ${HB_FUZZ_HARNESSES})
    add_executable(fuzz_${h} ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${h}.c ${hb_cjson})
    target_link_libraries(fuzz_${h} PRIVATE ${HB_FUZZ_LIBS})
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer)
  endforeach()
  list(TRANSFORM HB_FUZZ_HARNESSES PREPEND fuzz_ OUTPUT_VARIABLE hb_fuzz_targets)
  add_custom_target(fuzz DEPENDS ${hb_fuzz_targets})
  # fuzz/run.sh reads the names from here.
  string(REPLACE ";" "\n" hb_fuzz_lines "${HB_FUZZ_HARNESSES}")
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz-harnesses.txt "${hb_fuzz_lines}\n")
endif()
