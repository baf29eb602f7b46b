/* The rlc program: dispatches `rlc <command> ...` to one file per subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/core.h"

static const rlc_cli_command COMMANDS[] = {
    {"version", "print the version", rlc_cli_version},
    {"envs", "list environments, or show one: rlc envs [ID]", rlc_cli_envs},
    {"env", "environment tools: rlc env replay --env ID --actions FILE ...", rlc_cli_env},
    {"train", "train an agent: rlc train --env ID --algo ppo [--steps N] ...", rlc_cli_train},
    {"eval", "evaluate a saved agent: rlc eval --run DIR|--checkpoint FILE [--episodes N]",
     rlc_cli_eval},
    {"experiment", "paper reproductions: rlc experiment --list | NAME [--quick] [--seeds N]",
     rlc_cli_experiment},
    {"export", "export a policy as a C header: rlc export --checkpoint F --c-header out.h",
     rlc_cli_export},
    {"dataset", "offline datasets: rlc dataset collect|info|mix|convert ...", rlc_cli_dataset},
    {"plot", "learning curves: rlc plot RUN_DIR... [--out FILE.svg] [--y KEY]", rlc_cli_plot},
    {"bench", "learning benchmark: rlc bench learn --env ID --algo NAME --seeds N", rlc_cli_bench},
};

static void usage(FILE *f) {
    fprintf(f, "usage: rlc <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(f, "\n`rlc <command> --help` shows a command's options.\n");
}

int rlc_cli_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("rlc %s (%s)\n", RLC_VERSION_STRING, rlc_have_blas() ? "OpenBLAS" : "portable GEMM");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    /* RL networks are small: OpenBLAS's threads only add synchronisation (4x slower IQL
     * updates with 2 threads on a 2-core machine), so one thread unless the user asks */
    if (!getenv("OPENBLAS_NUM_THREADS")) rlc_set_blas_threads(1);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rlc: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
