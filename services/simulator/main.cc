// pilotage-simulator: see include/pilotage/simulator/cli.h and README.md.
#include "pilotage/simulator/cli.h"

int main(int argc, char** argv) { return pilotage::simulator::RunCli(argc, argv); }
