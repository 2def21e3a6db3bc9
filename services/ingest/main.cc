// pilotage-ingest: the operators' HTTP gateway to pilotage's event log; see
// include/pilotage/ingest/cli.h and README.md.
#include "pilotage/ingest/cli.h"

int main(int argc, char** argv) { return pilotage::ingest::RunCli(argc, argv); }
