// fleetload's entry point: everything lives in fleetload_cli so tests can drive it.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return fleetload::cli::fleetload_main(argc, argv); }
