/* `rlc env render`: plays one random-policy episode of an env and writes it as an animated GIF
 * (and optionally the last frame as a PNG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/env.h"
#include "rlc/image.h"

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: rlc env render --env ID --gif OUT.gif [--seed S] [--steps N]\n"
        "                      [--kwargs key=value,...] [--size WxH] [--fps F] [--png OUT.png]\n\n"
        "Resets ID with seed S (default 0; any non-negative integer) and plays one episode\n"
        "with uniformly random actions (drawn from a generator seeded with S), writing every\n"
        "frame, the reset one included, to an animated GIF. The episode stops when it\n"
        "terminates or is truncated, or after N steps (default: the env's time limit, or\n"
        "1000 without one). --size defaults to the env's Gymnasium screen (600x400 or\n"
        "500x500), --fps to its render_fps. --png also writes the last frame as a PNG.\n");
}

/* Gymnasium's screen size and render_fps per family (by id prefix). */
static void defaults_for(const char *id, int *w, int *h, int *fps) {
    *w = 600;
    *h = 400;
    *fps = 30;
    if (!strncmp(id, "CartPole", 8))
        *fps = 50;
    else if (!strncmp(id, "Pendulum", 8))
        *w = *h = 500;
    else if (!strncmp(id, "Acrobot", 7)) {
        *w = *h = 500;
        *fps = 15;
    }
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int rlc__cli_env_render(int argc, char **argv) {
    const char *id = NULL, *seed = "0", *kwargs = NULL, *gif_path = NULL, *png_path = NULL;
    long steps = -1, fps = -1;
    int w = -1, h = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        /* --opt value or --opt=value */
        char key[32];
        const char *eq = strchr(a, '=');
        if (!strncmp(a, "--", 2) && eq && (size_t)(eq - a) < sizeof key) {
            memcpy(key, a, (size_t)(eq - a));
            key[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(key, sizeof key, "%s", a);
            if (i + 1 < argc) val = argv[++i];
        }
        if (!val) {
            fprintf(stderr, "rlc env render: %s needs a value\n", key);
            return 2;
        }
        if (!strcmp(key, "--env"))
            id = val;
        else if (!strcmp(key, "--seed"))
            seed = val;
        else if (!strcmp(key, "--kwargs"))
            kwargs = val;
        else if (!strcmp(key, "--gif"))
            gif_path = val;
        else if (!strcmp(key, "--png"))
            png_path = val;
        else if (!strcmp(key, "--steps")) {
            if (parse_int(val, 0, 10000000, &steps)) {
                fprintf(stderr,
                        "rlc env render: --steps needs an integer in 0..10000000, got '%s'\n", val);
                return 2;
            }
        } else if (!strcmp(key, "--fps")) {
            if (parse_int(val, 1, 100, &fps)) {
                fprintf(stderr, "rlc env render: --fps needs an integer in 1..100, got '%s'\n",
                        val);
                return 2;
            }
        } else if (!strcmp(key, "--size")) {
            char *x;
            long ww = strtol(val, &x, 10), hh = 0;
            if (x != val && (*x == 'x' || *x == 'X')) hh = strtol(x + 1, &x, 10);
            if (*x || ww < 1 || hh < 1 || ww > 4096 || hh > 4096) {
                fprintf(stderr, "rlc env render: --size needs WxH with 1..4096 each, got '%s'\n",
                        val);
                return 2;
            }
            w = (int)ww;
            h = (int)hh;
        } else {
            fprintf(stderr, "rlc env render: unknown option '%s' (see --help)\n", key);
            return 2;
        }
    }
    if (!id || !gif_path) {
        fprintf(stderr, "rlc env render: --env and --gif are required\n");
        usage(stderr);
        return 2;
    }
    int dw, dh, dfps;
    defaults_for(id, &dw, &dh, &dfps);
    if (w < 0) {
        w = dw;
        h = dh;
    }
    if (fps < 0) fps = dfps;

    rlc_env *env = NULL;
    rlc_gif *gif = NULL;
    uint8_t *frame = NULL;
    void *action = NULL;
    int rc = 1;
    rlc_rng rng;
    rlc_status st = rlc_env_make(&env, id, kwargs);
    if (!st) st = rlc_env_seed_str(env, seed);
    if (!st) st = rlc_rng_seed_str(&rng, seed);
    if (st) {
        fprintf(stderr, "rlc env render: %s\n", rlc_last_error());
        rlc_env_destroy(env);
        return st == RLC_ERR_NOMEM || st == RLC_ERR_IO ? 1 : 2;
    }
    if (steps < 0)
        steps = rlc_env_max_episode_steps(env) > 0 ? rlc_env_max_episode_steps(env) : 1000;
    frame = rlc_malloc((size_t)w * (size_t)h * 3);
    action = rlc_calloc(1, rlc_space_bytes(rlc_env_action_space(env)) + 8);
    if (!frame || !action) {
        fprintf(stderr, "rlc env render: out of memory\n");
        goto done;
    }
    if ((st = rlc_env_reset(env, RLC_ENV_NO_SEED, NULL)) ||
        (st = rlc_env_render(env, frame, w, h)) ||
        (st = rlc_image_gif_create(&gif, gif_path, w, h, (int)((100 + fps / 2) / fps))) ||
        (st = rlc_image_gif_add_frame(gif, frame)))
        goto fail;
    double ret = 0;
    long t = 0;
    int term = 0, trunc = 0;
    while (t < steps && !term && !trunc) {
        rlc_step_result r;
        rlc_space_sample(rlc_env_action_space(env), &rng, action);
        if ((st = rlc_env_step(env, action, NULL, &r)) || (st = rlc_env_render(env, frame, w, h)) ||
            (st = rlc_image_gif_add_frame(gif, frame)))
            goto fail;
        ret += r.reward;
        term = r.terminated;
        trunc = r.truncated;
        t++;
    }
    int frames = rlc_image_gif_frames(gif);
    st = rlc_image_gif_close(gif);
    gif = NULL;
    if (st) goto fail;
    if (png_path && (st = rlc_image_write_png(png_path, frame, w, h))) goto fail;
    printf("wrote %s: %d frames of %dx%d at %ld fps; %ld steps, return %.6g%s\n", gif_path, frames,
           w, h, fps, t, ret,
           term    ? " (terminated)"
           : trunc ? " (truncated)"
                   : "");
    if (png_path) printf("wrote %s: last frame\n", png_path);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "rlc env render: %s\n", rlc_last_error());
done:
    rlc_image_gif_destroy(gif);
    rlc_free(frame);
    rlc_free(action);
    rlc_env_destroy(env);
    return rc;
}
