// Rank 1 throws inside run_or_abort while rank 0 waits in a collective: run_or_abort must print
// "blockspec::mpi: rank 1 failed: <what>" and MPI_Abort the job (the CTest test checks the message
// under a TIMEOUT; without the abort rank 0 would wait forever).
#include <blockspec/adapters/mpi.hpp>

#include <mpi.h>

#include <stdexcept>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  blockspec::mpi::run_or_abort([] {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 1) throw blockspec::invalid_argument("rank 1 throws on purpose");
    double x = 1.0;
    MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);  // never completes
  });
  MPI_Finalize();
  return 0;
}
