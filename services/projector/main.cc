// pilotage-projector: folds the event log into the read models, exactly once;
// see include/pilotage/projector/cli.h and README.md.
#include "pilotage/projector/cli.h"

int main(int argc, char** argv) { return pilotage::projector::RunCli(argc, argv); }
