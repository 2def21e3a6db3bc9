// pilotagectl: the pilots' command line over pilotage's read models.
#include <iostream>

#include "pilotage/pilotagectl/cli.h"

int main(int argc, char** argv) { return pilotage::pilotagectl::RunCli(argc, argv, std::cout); }
