/* Minimum-snap trajectories through waypoints with fixed segment times: per axis, piecewise
 * 7th-order polynomials solved from the boundary, waypoint and C^6 continuity conditions. */
#include <math.h>
#include <string.h>

#include "rlc/quadrotor.h"

struct rlc_minsnap {
    int nseg;
    double *dur;   /* [nseg] */
    double *start; /* [nseg] segment start times */
    double *coef;  /* [nseg][3][8] coefficients in the local time tau = (t - start) / dur */
    double total;
};

/* d^r/dtau^r of tau^j at tau: j!/(j-r)! tau^(j-r) */
static double dpow(int j, int r, double tau) {
    if (r > j) return 0;
    double c = 1;
    for (int k = 0; k < r; k++)
        c *= j - k;
    return c * (j - r == 0 ? 1 : pow(tau, j - r));
}

void rlc_minsnap_destroy(rlc_minsnap *m) {
    if (!m) return;
    rlc_free(m->dur);
    rlc_free(m->start);
    rlc_free(m->coef);
    rlc_free(m);
}

rlc_status rlc_minsnap_create(rlc_minsnap **out, const double *wp, int n, const double *dur) {
    if (!out || !wp || !dur || n < 2 || n > 1000)
        return rlc_error(RLC_ERR_INVALID, "minsnap: need 2..1000 waypoints and durations");
    for (int i = 0; i < 3 * n; i++)
        if (!isfinite(wp[i])) return rlc_error(RLC_ERR_INVALID, "minsnap: non-finite waypoint");
    for (int i = 0; i < n - 1; i++)
        if (!(dur[i] > 0) || !isfinite(dur[i]))
            return rlc_error(RLC_ERR_INVALID, "minsnap: duration %d must be > 0", i);
    int M = n - 1, N = 8 * M, W = N + 3; /* augmented with 3 right-hand sides */
    rlc_minsnap *m = rlc_calloc(1, sizeof *m);
    double *A = rlc_calloc((size_t)N * (size_t)W, sizeof(double));
    if (m) {
        m->dur = rlc_malloc(sizeof(double) * (size_t)M);
        m->start = rlc_malloc(sizeof(double) * (size_t)M);
        m->coef = rlc_malloc(sizeof(double) * (size_t)M * 24);
    }
    if (!m || !A || !m->dur || !m->start || !m->coef) {
        rlc_free(A);
        rlc_minsnap_destroy(m);
        return RLC_ERR_NOMEM;
    }
    m->nseg = M;
    double t = 0;
    for (int k = 0; k < M; k++) {
        m->dur[k] = dur[k];
        m->start[k] = t;
        t += dur[k];
    }
    m->total = t;
    /* rows: derivative r of segment k at tau (scaled to real time by dur^-r) */
    int row = 0;
#define ROW_SET(k, r, tau, sign)                                                                   \
    for (int j = 0; j < 8; j++)                                                                    \
        A[(size_t)row * W + 8 * (k) + j] += (sign)*dpow(j, r, tau) / pow(dur[k], r);
    for (int r = 0; r < 4; r++) { /* start at rest at waypoint 0 */
        ROW_SET(0, r, 0.0, 1.0);
        for (int a = 0; a < 3; a++)
            A[(size_t)row * W + N + a] = r == 0 ? wp[a] : 0;
        row++;
    }
    for (int r = 0; r < 4; r++) { /* end at rest at the last waypoint */
        ROW_SET(M - 1, r, 1.0, 1.0);
        for (int a = 0; a < 3; a++)
            A[(size_t)row * W + N + a] = r == 0 ? wp[3 * M + a] : 0;
        row++;
    }
    for (int k = 1; k < M; k++) { /* interior waypoint k: both sides pass, C^6 */
        ROW_SET(k - 1, 0, 1.0, 1.0);
        for (int a = 0; a < 3; a++)
            A[(size_t)row * W + N + a] = wp[3 * k + a];
        row++;
        ROW_SET(k, 0, 0.0, 1.0);
        for (int a = 0; a < 3; a++)
            A[(size_t)row * W + N + a] = wp[3 * k + a];
        row++;
        for (int r = 1; r <= 6; r++) {
            ROW_SET(k - 1, r, 1.0, 1.0);
            ROW_SET(k, r, 0.0, -1.0);
            row++;
        }
    }
#undef ROW_SET
    /* Gaussian elimination with partial pivoting */
    for (int c = 0; c < N; c++) {
        int piv = c;
        for (int r = c + 1; r < N; r++)
            if (fabs(A[(size_t)r * W + c]) > fabs(A[(size_t)piv * W + c])) piv = r;
        if (fabs(A[(size_t)piv * W + c]) < 1e-300) {
            rlc_free(A);
            rlc_minsnap_destroy(m);
            return rlc_error(RLC_ERR_INVALID, "minsnap: singular system");
        }
        if (piv != c)
            for (int j = 0; j < W; j++) {
                double tmp = A[(size_t)c * W + j];
                A[(size_t)c * W + j] = A[(size_t)piv * W + j];
                A[(size_t)piv * W + j] = tmp;
            }
        for (int r = c + 1; r < N; r++) {
            double f = A[(size_t)r * W + c] / A[(size_t)c * W + c];
            if (f == 0) continue;
            for (int j = c; j < W; j++)
                A[(size_t)r * W + j] -= f * A[(size_t)c * W + j];
        }
    }
    for (int a = 0; a < 3; a++)
        for (int c = N - 1; c >= 0; c--) {
            double v = A[(size_t)c * W + N + a];
            for (int j = c + 1; j < N; j++)
                v -= A[(size_t)c * W + j] * m->coef[(j / 8) * 24 + a * 8 + j % 8];
            m->coef[(c / 8) * 24 + a * 8 + c % 8] = v / A[(size_t)c * W + c];
        }
    rlc_free(A);
    *out = m;
    return RLC_OK;
}

double rlc_minsnap_duration(const rlc_minsnap *m) {
    return m->total;
}

void rlc_minsnap_eval(const rlc_minsnap *m, double t, int order, double out[3]) {
    if (!(t > 0)) t = 0;
    if (t > m->total) t = m->total;
    int k = 0;
    while (k + 1 < m->nseg && t >= m->start[k + 1])
        k++;
    double tau = (t - m->start[k]) / m->dur[k], sc = pow(m->dur[k], -order);
    for (int a = 0; a < 3; a++) {
        double v = 0;
        for (int j = 0; j < 8; j++)
            v += m->coef[k * 24 + a * 8 + j] * dpow(j, order, tau);
        out[a] = v * sc;
    }
}
