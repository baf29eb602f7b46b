/* Finite-difference gradient checks for graph ops. A check builds the op in a float64 graph,
 * compares the analytic gradient of L = sum(out * w) (w random) with central differences, then
 * rebuilds it in float32 and checks values and gradients against the float64 reference, and
 * checks that rerunning forward/backward on the recorded graph gives identical results. */
#ifndef RLC_TEST_GRADCHECK_H
#define RLC_TEST_GRADCHECK_H

#include "rlc/graph.h"

typedef struct gc_input {
    int ndim;
    int shape[RLC_MAX_DIMS];
    double lo, hi;   /* values drawn uniformly in [lo, hi) */
    int integer;     /* > 0: integer values in [0, integer) and no gradient (indices, labels) */
    int no_grad;     /* 1: input receives no gradient (e.g. a mask or a condition) */
} gc_input;

/* Builds the op under test from the inputs (in the order of the gc_input array). */
typedef rlc_tensor *(*gc_build_fn)(rlc_graph *g, rlc_tensor **in, void *ctx);

/* Runs the checks; fails the current cmocka test with a message naming `name` on any mismatch.
 * tol is the relative tolerance of the float64 finite-difference comparison (1e-6 is typical). */
void gradcheck(const char *name, gc_build_fn build, void *ctx, const gc_input *ins, int nin,
               double tol);

/* Convenience for a 1..4-D shape. */
gc_input gc_in(double lo, double hi, int ndim, int d0, int d1, int d2, int d3);

#endif
