/* `rlc plot RUN_DIR... [--out FILE.svg] [--x step] [--y KEY]`: learning curves of runs from
 * their progress.csv (one line per run, labelled with the folder name) as an SVG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/experiment.h"

static void usage(FILE *f) {
    fprintf(f, "usage: rlc plot RUN_DIR... [--out FILE.svg] [--x step] [--y return_mean]\n"
               "                [--title TEXT]\n\n"
               "Draws column Y against column X of each run's progress.csv (one line per run,\n"
               "labelled with the folder name) into FILE.svg (default: curve.svg in the first\n"
               "run folder). Empty cells break the line.\n");
}

/* Splits one CSV line in place at commas (no quoted commas: rlc's keys have none unless
 * quoted, which we strip). Returns the number of fields (at most cap). */
static int split_csv(char *line, char **fields, int cap) {
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    while (n < cap) {
        char *q = p;
        int quoted = *q == '"';
        if (quoted) {
            q++;
            p++;
            while (*q && *q != '"')
                q++;
            if (*q) *q++ = 0;
        } else {
            while (*q && *q != ',')
                q++;
        }
        fields[n++] = p;
        if (*q != ',') {
            if (!quoted) *q = 0;
            break;
        }
        *q = 0;
        p = q + 1;
    }
    return n;
}

int rlc__cli_read_curve(const char *dir, const char *xkey, const char *ykey, double **xs,
                        double **ys, int *n_out) {
    char path[1200];
    snprintf(path, sizeof path, "%s/progress.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    enum { MAXF = 256 };
    static char line[1 << 16];
    char *fields[MAXF];
    int xc = -1, yc = -1, n = 0, cap = 0, rc = 0;
    double *x = NULL, *y = NULL;
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "%s is empty\n", path);
        fclose(f);
        return 1;
    }
    int nf = split_csv(line, fields, MAXF);
    for (int i = 0; i < nf; i++) {
        if (!strcmp(fields[i], xkey)) xc = i;
        if (!strcmp(fields[i], ykey)) yc = i;
    }
    if (xc < 0 || yc < 0) {
        fprintf(stderr, "%s has no column '%s'\n", path, xc < 0 ? xkey : ykey);
        fclose(f);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        nf = split_csv(line, fields, MAXF);
        if (nf <= xc) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *nx = realloc(x, sizeof(double) * (size_t)cap);
            double *ny = nx ? realloc(y, sizeof(double) * (size_t)cap) : NULL;
            if (nx) x = nx;
            if (!nx || !ny) {
                rc = 1;
                break;
            }
            y = ny;
        }
        char *end;
        x[n] = strtod(fields[xc], &end);
        if (end == fields[xc]) x[n] = NAN;
        y[n] = NAN;
        if (yc < nf && *fields[yc]) {
            y[n] = strtod(fields[yc], &end);
            if (end == fields[yc]) y[n] = NAN;
        }
        n++;
    }
    fclose(f);
    if (rc) {
        free(x);
        free(y);
        fprintf(stderr, "out of memory reading %s\n", path);
        return 1;
    }
    *xs = x;
    *ys = y;
    *n_out = n;
    return 0;
}

/* The last path component of dir (trailing slashes ignored), into buf. */
static const char *base_name(const char *dir, char *buf, size_t cap) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t s = len;
    while (s > 0 && dir[s - 1] != '/')
        s--;
    snprintf(buf, cap, "%.*s", (int)(len - s), dir + s);
    return buf;
}

int rlc_cli_plot(int argc, char **argv) {
    const char *out = NULL, *xkey = "step", *ykey = "return_mean", *title = NULL;
    enum { MAX_RUNS = 64 };
    const char *runs[MAX_RUNS];
    int nruns = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (has && !strcmp(a, "--out")) {
            out = argv[++i];
        } else if (has && !strcmp(a, "--x")) {
            xkey = argv[++i];
        } else if (has && !strcmp(a, "--y")) {
            ykey = argv[++i];
        } else if (has && !strcmp(a, "--title")) {
            title = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rlc plot: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (nruns == MAX_RUNS) {
            fprintf(stderr, "rlc plot: more than %d runs\n", MAX_RUNS);
            return 2;
        } else {
            runs[nruns++] = a;
        }
    }
    if (!nruns) {
        fprintf(stderr, "rlc plot: give at least one RUN_DIR\n");
        usage(stderr);
        return 2;
    }
    char def_out[1200];
    if (!out) {
        snprintf(def_out, sizeof def_out, "%s/curve.svg", runs[0]);
        out = def_out;
    }
    rlc_plot_series ser[MAX_RUNS];
    char labels[MAX_RUNS][256];
    double *xs[MAX_RUNS] = {0}, *ys[MAX_RUNS] = {0};
    int rc = 0;
    for (int i = 0; i < nruns && !rc; i++) {
        int n = 0;
        if (rlc__cli_read_curve(runs[i], xkey, ykey, &xs[i], &ys[i], &n)) {
            fprintf(stderr, "rlc plot: cannot read the curve of %s\n", runs[i]);
            rc = 1;
            break;
        }
        ser[i] = (rlc_plot_series){.label = base_name(runs[i], labels[i], sizeof labels[i]),
                                   .x = xs[i],
                                   .y = ys[i],
                                   .n = n};
    }
    if (!rc) {
        rlc_plot_options po;
        rlc_plot_options_init(&po);
        po.title = title;
        po.xlabel = xkey;
        po.ylabel = ykey;
        if (rlc_plot_write_svg(out, &po, ser, nruns)) {
            fprintf(stderr, "rlc plot: %s\n", rlc_last_error());
            rc = 1;
        } else {
            printf("wrote %s (%d run%s)\n", out, nruns, nruns == 1 ? "" : "s");
        }
    }
    for (int i = 0; i < nruns; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    return rc;
}
