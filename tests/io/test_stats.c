/* Experiment statistics and plots: IQM with scipy trim_mean(0.25) semantics, numpy
 * percentiles, rliable's stratified bootstrap CI, and the SVG line-plot writer. */
#include "test.h"

#include <math.h>

#include "rlc/experiment.h"

static void test_iqm(void **st) {
    (void)st;
    double x8[] = {8, 1, 7, 2, 6, 3, 5, 4}, v;
    assert_int_equal(rlc_stats_iqm(x8, 8, &v), RLC_OK);
    assert_close(v, 4.5, 0); /* mean of 3..6 */
    double x5[] = {100, 2, 3, 4, -50};
    assert_int_equal(rlc_stats_iqm(x5, 5, &v), RLC_OK);
    assert_close(v, 3, 0); /* k = floor(1.25) = 1: mean of 2, 3, 4 */
    double x10[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(rlc_stats_iqm(x10, 10, &v), RLC_OK);
    assert_close(v, 5.5, 1e-15); /* k = 2: mean of 3..8 */
    double x7[] = {1, 2, 3, 4, 5, 6, 100};
    assert_int_equal(rlc_stats_iqm(x7, 7, &v), RLC_OK);
    assert_close(v, 4, 1e-15); /* k = 1: mean of 2..6 */
    double x3[] = {1, 2, 9};
    assert_int_equal(rlc_stats_iqm(x3, 3, &v), RLC_OK);
    assert_close(v, 4, 1e-15); /* k = 0: plain mean */
    assert_int_equal(rlc_stats_iqm(x3, 1, &v), RLC_OK);
    assert_close(v, 1, 0);
    double bad[] = {1, NAN, 3};
    assert_int_equal(rlc_stats_iqm(bad, 3, &v), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "value 1 is NaN");
    assert_int_equal(rlc_stats_iqm(x3, 0, &v), RLC_ERR_INVALID);
    assert_int_equal(rlc_stats_iqm(NULL, 3, &v), RLC_ERR_INVALID);
}

static void test_percentile_and_aggregates(void **st) {
    (void)st;
    double x[] = {4, 1, 3, 2}, v;
    assert_int_equal(rlc_stats_percentile(x, 4, 2.5, &v), RLC_OK);
    assert_close(v, 1.075, 1e-15); /* numpy.percentile([1,2,3,4], 2.5) */
    assert_int_equal(rlc_stats_percentile(x, 4, 97.5, &v), RLC_OK);
    assert_close(v, 3.925, 1e-15);
    assert_int_equal(rlc_stats_percentile(x, 4, 50, &v), RLC_OK);
    assert_close(v, 2.5, 0);
    assert_int_equal(rlc_stats_percentile(x, 4, 100, &v), RLC_OK);
    assert_close(v, 4, 0);
    assert_int_equal(rlc_stats_percentile(x, 4, 0, &v), RLC_OK);
    assert_close(v, 1, 0);
    assert_int_equal(rlc_stats_percentile(x, 4, 101, &v), RLC_ERR_RANGE);
    /* runs x tasks pooled: median of {1..6} = 3.5 */
    double m[] = {1, 4, 2, 5, 3, 6};
    assert_int_equal(rlc_stats_aggregate_of(m, 3, 2, RLC_STATS_MEDIAN, &v), RLC_OK);
    assert_close(v, 3.5, 0);
    assert_int_equal(rlc_stats_aggregate_of(m, 3, 2, RLC_STATS_MEAN, &v), RLC_OK);
    assert_close(v, 3.5, 1e-15);
    assert_int_equal(rlc_stats_aggregate_of(m, 3, 2, RLC_STATS_IQM, &v), RLC_OK);
    assert_close(v, 3.5, 1e-15); /* k = 1: mean of 2..5 */
}

static void test_bootstrap(void **st) {
    (void)st;
    rlc_stats_ci ci;
    /* Stratification: task 0 always scores 0, task 1 always 10. Every replicate draws 3 runs
     * of each task, so the mean is exactly 5 (a pooled resample would spread 0..10). */
    double strat[] = {0, 10, 0, 10, 0, 10};
    assert_int_equal(rlc_stats_bootstrap_ci(strat, 3, 2, RLC_STATS_MEAN, 500, 0.95, 1, &ci),
                     RLC_OK);
    assert_close(ci.point, 5, 0);
    assert_close(ci.lo, 5, 0);
    assert_close(ci.hi, 5, 0);
    /* one task, runs {0, 1}: replicate means are 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4,
     * so the 2.5th and 97.5th percentiles of many replicates are 0 and 1 */
    double two[] = {0, 1};
    assert_int_equal(rlc_stats_bootstrap_ci(two, 2, 1, RLC_STATS_MEAN, 4000, 0.95, 3, &ci), RLC_OK);
    assert_close(ci.point, 0.5, 0);
    assert_close(ci.lo, 0, 0);
    assert_close(ci.hi, 1, 0);
    /* a 40% interval of the same lies inside: 30th and 70th percentiles are both 1/2 */
    assert_int_equal(rlc_stats_bootstrap_ci(two, 2, 1, RLC_STATS_MEAN, 4000, 0.4, 3, &ci), RLC_OK);
    assert_close(ci.lo, 0.5, 0);
    assert_close(ci.hi, 0.5, 0);
    /* IQM of 10 runs: the interval brackets the point, is reproducible, narrows with data */
    double runs[40];
    for (int i = 0; i < 40; i++)
        runs[i] = sin(i * 1.7) + 0.01 * i;
    rlc_stats_ci a, b, c;
    assert_int_equal(rlc_stats_bootstrap_ci(runs, 10, 1, RLC_STATS_IQM, 2000, 0.95, 9, &a), RLC_OK);
    assert_int_equal(rlc_stats_bootstrap_ci(runs, 10, 1, RLC_STATS_IQM, 2000, 0.95, 9, &b), RLC_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.lo <= a.point && a.point <= a.hi && a.lo < a.hi);
    double iq;
    rlc_stats_iqm(runs, 10, &iq);
    assert_close(a.point, iq, 0);
    assert_int_equal(rlc_stats_bootstrap_ci(runs, 40, 1, RLC_STATS_IQM, 2000, 0.95, 9, &c), RLC_OK);
    assert_true(c.hi - c.lo < a.hi - a.lo);
    assert_int_equal(rlc_stats_bootstrap_ci(runs, 10, 1, RLC_STATS_IQM, 100, 1.0, 9, &a),
                     RLC_ERR_RANGE);
    assert_int_equal(rlc_stats_bootstrap_ci(runs, 0, 1, RLC_STATS_IQM, 100, 0.9, 9, &a),
                     RLC_ERR_INVALID);
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    s[n] = 0;
    fclose(f);
    return s;
}

static int count(const char *s, const char *sub) {
    int n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
        n++;
    return n;
}

static void test_svg(void **st) {
    (void)st;
    char path[512];
    snprintf(path, sizeof path, "%s/plot.svg", rlc_test_tmpdir());
    double x[] = {1, 2, 3, 4, 5}, y1[] = {1, 4, 9, 16, 25}, lo[] = {0, 3, 8, 15, 24},
           hi[] = {2, 5, 10, 17, 26}, y2[] = {5, 4, NAN, 2, 1};
    rlc_plot_series s[2] = {{"UCB <&> \"x\"", x, y1, lo, hi, 5}, {"second", x, y2, NULL, NULL, 5}};
    rlc_plot_options o;
    rlc_plot_options_init(&o);
    o.title = "regret";
    o.xlabel = "episode";
    o.ylabel = "cumulative regret";
    assert_int_equal(rlc_plot_write_svg(path, &o, s, 2), RLC_OK);
    char *svg = read_all(path);
    assert_non_null(svg);
    assert_true(!strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 38));
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_contains(svg, "UCB &lt;&amp;&gt; &quot;x&quot;"); /* escaped label */
    assert_contains(svg, ">second</text>");
    assert_contains(svg, ">cumulative regret</text>");
    assert_int_equal(count(svg, "<polygon"), 1);  /* one band */
    assert_int_equal(count(svg, "<polyline"), 3); /* series 1; series 2 broken by its NaN */
    assert_int_equal(count(svg, "<circle"), 0);
    assert_int_equal(count(svg, "<g class=\"series\""), 2);
    assert_int_equal(count(svg, "<g "), count(svg, "</g>"));
    free(svg);
    /* log axes skip non-positive values; a single point is a circle */
    double xl[] = {0, 10, 100}, yl[] = {1, -1, 1000};
    rlc_plot_series sl = {"log", xl, yl, NULL, NULL, 3};
    o.logx = o.logy = 1;
    assert_int_equal(rlc_plot_write_svg(path, &o, &sl, 1), RLC_OK);
    svg = read_all(path);
    assert_int_equal(count(svg, "<circle"), 1);
    assert_contains(svg, ">100</text>");
    free(svg);
    assert_int_equal(rlc_plot_write_svg(NULL, &o, &sl, 1), RLC_ERR_INVALID);
    assert_int_equal(rlc_plot_write_svg("/nonexistent-dir/x.svg", &o, &sl, 1), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "/nonexistent-dir/x.svg");
}

RLC_TESTS(io_stats, cmocka_unit_test(test_iqm), cmocka_unit_test(test_percentile_and_aggregates),
          cmocka_unit_test(test_bootstrap), cmocka_unit_test(test_svg))
