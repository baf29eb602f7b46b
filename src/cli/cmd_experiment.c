/* `rlc experiment --list` and `rlc experiment NAME [--quick] [--seeds N] [--out DIR]`: runs a
 * paper reproduction (method and baselines over seeds), prints the IQM / 95% CI table and
 * whether the paper's claim held, and writes results.csv, figures and summary.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/experiment.h"

static void usage(FILE *f) {
    fprintf(f, "usage: rlc experiment --list\n"
               "       rlc experiment NAME [--quick] [--seeds N] [--out DIR]\n\n"
               "Runs the reproduction of a paper (roadmap row): the method and its baselines over\n"
               "several seeds. Prints a table (IQM and 95%% stratified-bootstrap CI per method)\n"
               "and a final line \"claim held: yes/no (reason)\"; writes results.csv, figures\n"
               "(SVG) and summary.md into DIR (default runs/experiments/NAME, or\n"
               "runs/experiments/NAME-quick with --quick; existing files are replaced).\n"
               "--quick runs a seconds-long version (used by the tests). --list shows every\n"
               "experiment with its roadmap row and the status of its last recorded full run\n"
               "(docs/experiments/NAME.md). Exit status 0 whether or not the claim held, 1 on\n"
               "error, 2 on a usage error.\n");
}

static int list(void) {
    printf("%-26s %4s  %-15s %s\n", "name", "row", "status", "title");
    for (int i = 0; i < rlc_experiment_count(); i++) {
        const rlc_experiment *e = rlc_experiment_get(i);
        printf("%-26s %4d  %-15s %s\n", e->name, e->row, e->status, e->title);
    }
    return 0;
}

int rlc_cli_experiment(int argc, char **argv) {
    const char *name = NULL, *out = NULL;
    int quick = 0, do_list = 0;
    long seeds = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            do_list = 1;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--seeds") && i + 1 < argc) {
            char *end;
            errno = 0;
            seeds = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || seeds < 1 || seeds > 100000) {
                fprintf(stderr, "rlc experiment: --seeds expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--seeds") || !strcmp(a, "--out")) {
            fprintf(stderr, "rlc experiment: %s needs a value\n", a);
            return 2;
        } else if (a[0] == '-') {
            fprintf(stderr, "rlc experiment: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!name) {
            name = a;
        } else {
            fprintf(stderr, "rlc experiment: more than one experiment name ('%s', '%s')\n", name,
                    a);
            return 2;
        }
    }
    if (do_list) return list();
    if (!name) {
        usage(stderr);
        return 2;
    }
    const rlc_experiment *e = rlc_experiment_find(name);
    if (!e) {
        fprintf(stderr, "rlc experiment: unknown experiment '%s' (rlc experiment --list)\n", name);
        return 2;
    }
    char dir[1024];
    if (!out) {
        snprintf(dir, sizeof dir, "runs/experiments/%s%s", e->name, quick ? "-quick" : "");
        out = dir;
    }
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = quick;
    o.seeds = (int)seeds;
    o.out_dir = out;
    o.log = stdout;
    rlc_experiment_result r;
    rlc_status st = rlc_experiment_run(e, &o, &r);
    fflush(stdout);
    if (st) {
        fprintf(stderr, "rlc experiment: %s\n", rlc_last_error());
        return 1;
    }
    return 0;
}
