// pilotage-query: the pilots' query API and web dashboard over the
// projector's read models; see include/pilotage/query/cli.h and README.md.
#include "pilotage/query/cli.h"

int main(int argc, char** argv) { return pilotage::query::RunCli(argc, argv); }
