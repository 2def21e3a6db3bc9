// pilotage-penalty-job: proposes the penalties and corrective actions of a
// closed period from the projector's store, and reports them; see
// include/pilotage/penalty_job/cli.h and README.md.
#include "pilotage/penalty_job/cli.h"

int main(int argc, char** argv) { return pilotage::penalty_job::RunCli(argc, argv); }
