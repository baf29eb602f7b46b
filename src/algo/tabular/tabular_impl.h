/* Internals shared by the tabular module's files (src/algo/tabular/) and the experiments that
 * build on it: random variates, policy checks, small dense linear algebra. */
#ifndef RLC_TABULAR_IMPL_H
#define RLC_TABULAR_IMPL_H

#include "rlc/tabular.h"

/* Gamma(shape, 1) variate (Marsaglia-Tsang). */
double rlc__gamma_variate(rlc_rng *r, double shape);
/* Symmetric Dirichlet(alpha) sample into out[n]. */
void rlc__dirichlet(rlc_rng *r, double alpha, int n, double *out);
/* First index of the maximum of q[n]. */
int rlc__argmax(const double *q, int n);
/* Soft value lambda log sum_a ref(a) exp(q(a)/lambda) of one state (actions with ref = 0
 * excluded), and the soft policy into pol[n] when not NULL. */
double rlc__soft_value(const double *q, const double *ref, int n, double lambda, double *pol);
/* RLC_ERR_INVALID unless pi[T*S*A] is a distribution per (h, s) (tolerance 1e-6); the message
 * names `what`, the stage and the state. */
rlc_status rlc__check_policy(const rlc_mdp *m, const double *pi, const char *what);

/* Value of the stochastic policy pi[H*S*A] from mu0 in an episodic MDP by backward induction,
 * with caller scratch V[2*S] (no allocation). */
double rlc__episodic_value(const rlc_mdp *m, const double *pi, double *V);

/* Solves the n x n system A x = b in place by Gaussian elimination with partial pivoting
 * (A is destroyed, b becomes x). Returns -1 if A is singular to working precision. */
int rlc__solve_dense(double *A, double *b, int n);
/* Cholesky factor L (lower, row-major n x n) of the SPD matrix A; -1 if not positive
 * definite. L may alias A. */
int rlc__cholesky(const double *A, double *L, int n);
/* Solves L L^T x = b given the Cholesky factor; b and x may alias. */
void rlc__cholesky_solve(const double *L, const double *b, double *x, int n);

#endif
