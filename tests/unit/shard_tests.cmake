# Sharding: the partition of the fleet (disjoint, covering, stable, ids and rates) and the
# shard taken from the environment (FLEETLOAD_SHARD, JOB_COMPLETION_INDEX + FLEETLOAD_SHARDS).
if(TARGET fleetload_exporter)
  fleetload_add_gtest(NAME shard_partition_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/shard_partition_test.cpp
    LIBS fleetload_exporter fleetload_engine_core fleetload_device fleetload_scenario)
endif()
fleetload_add_gtest(NAME shard_env_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/shard_env_test.cpp ${PROJECT_SOURCE_DIR}/src/cli/args.cpp
          ${PROJECT_SOURCE_DIR}/src/cli/quick_args.cpp
  LIBS fleetload_scenario Threads::Threads)
