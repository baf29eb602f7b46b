/* Classic-control renderers (scene content and where the cart, pole, car and links land), the
 * raster primitives, the PNG and GIF writers (read back with libpng and giflib) and the
 * `rlc env render` command. */
#include "test.h"

#include <dirent.h>
#include <gif_lib.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"
#include "io/draw_impl.h"
#include "rlc/env.h"
#include "rlc/image.h"


typedef rlc_status (*render_fn)(const void *, uint8_t *, int, int);

#define WHITE RLC__RGB(255, 255, 255)
#define BLACK RLC__RGB(0, 0, 0)

static uint32_t pixel(const uint8_t *rgb, int w, int x, int y) {
    const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
    return RLC__RGB(p[0], p[1], p[2]);
}

static long count_not(const uint8_t *rgb, int w, int h, uint32_t color) {
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            n += pixel(rgb, w, x, y) != color;
    return n;
}

/* Makes `id`, sets its state vector and renders it with `fn` (directly on the env's struct,
 * which works whether or not the vtable's render slot is wired yet). */
static void render_state(const char *id, render_fn fn, const double *state, uint8_t *rgb, int w,
                         int h) {
    rlc_env *env;
    assert_int_equal(rlc_env_make(&env, id, NULL), RLC_OK);
    assert_int_equal(rlc_env_set_state_vector(env, state, rlc_env_state_dim(env)), RLC_OK);
    assert_int_equal(fn(env->self, rgb, w, h), RLC_OK);
    if (env->def->render) { /* once wired, the public call must give the same picture */
        uint8_t *again = malloc((size_t)w * h * 3);
        assert_int_equal(rlc_env_render(env, again, w, h), RLC_OK);
        assert_memory_equal(again, rgb, (size_t)w * h * 3);
        free(again);
    }
    rlc_env_destroy(env);
}

static void test_all_envs_render_and_change(void **st) {
    (void)st;
    struct {
        const char *id;
        render_fn fn;
        double a[4], b[4];
    } cases[] = {
        {"CartPole-v1", rlc__render_cartpole, {0, 0, 0, 0}, {0.5, 0, 0.1, 0}},
        {"CartPoleSwingUp-v0", rlc__render_cartpole_swingup, {0, 0, M_PI, 0}, {0, 0, 2.0, 0}},
        {"MountainCar-v0", rlc__render_mountaincar, {-0.5, 0}, {0.2, 0}},
        {"MountainCarContinuous-v0", rlc__render_mountaincar, {-0.5, 0}, {-1.0, 0}},
        {"Pendulum-v1", rlc__render_pendulum, {0, 0}, {1.0, 0}},
        {"Acrobot-v1", rlc__render_acrobot, {0, 0, 0, 0}, {0.5, 1.0, 0, 0}},
    };
    int w = 160, h = 120;
    uint8_t *a = malloc((size_t)w * h * 3), *b = malloc((size_t)w * h * 3);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        render_state(cases[k].id, cases[k].fn, cases[k].a, a, w, h);
        render_state(cases[k].id, cases[k].fn, cases[k].b, b, w, h);
        long ink = count_not(a, w, h, WHITE);
        if (ink < 200 || ink > w * h / 2) fail_msg("%s: %ld non-white pixels", cases[k].id, ink);
        long diff = 0;
        for (int i = 0; i < w * h; i++)
            diff += memcmp(a + 3 * i, b + 3 * i, 3) != 0;
        if (diff < 20) fail_msg("%s: only %ld pixels change with the state", cases[k].id, diff);
    }
    free(a);
    free(b);
}

static void test_cartpole_geometry(void **st) {
    (void)st;
    int w = 600, h = 400;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    /* scale = 600 / 4.8 = 125 px per metre; cart centre at y = 100 from the bottom, 30 high */
    double s0[4] = {0, 0, 0, 0};
    render_state("CartPole-v1", rlc__render_cartpole, s0, rgb, w, h);
    assert_int_equal(pixel(rgb, w, 300 - 20, 292), BLACK);              /* cart body */
    assert_int_equal(pixel(rgb, w, 425 - 20, 292), WHITE);              /* not yet at x = 1 */
    assert_int_equal(pixel(rgb, w, 300, 200), RLC__RGB(202, 152, 101)); /* upright pole */
    assert_int_equal(pixel(rgb, w, 300, 292), RLC__RGB(129, 132, 203)); /* axle */
    assert_int_equal(pixel(rgb, w, 10, 299), BLACK);                    /* track */
    assert_int_equal(pixel(rgb, w, 10, 250), WHITE);
    double s1[4] = {1.0, 0, 0.3, 0};
    render_state("CartPole-v1", rlc__render_cartpole, s1, rgb, w, h);
    assert_int_equal(pixel(rgb, w, 425 - 20, 292), BLACK);
    assert_int_equal(pixel(rgb, w, 300 - 20, 292), WHITE);
    /* the pole leans right by 0.3 rad: 100 px up its axis from the axle (425, 292.5) */
    int px = (int)(425 + 100 * sin(0.3)), py = (int)(292.5 - 100 * cos(0.3));
    assert_int_equal(pixel(rgb, w, px, py), RLC__RGB(202, 152, 101));
    assert_int_equal(pixel(rgb, w, 425, py), WHITE);
    /* scaled down: the same scene at half size */
    render_state("CartPole-v1", rlc__render_cartpole, s1, rgb, 300, 200);
    assert_int_equal(pixel(rgb, 300, (425 - 20) / 2, 146), BLACK);
    free(rgb);
}

static void test_pendulum_acrobot_mountaincar_geometry(void **st) {
    (void)st;
    int w = 500, h = 500;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    uint32_t red = RLC__RGB(204, 77, 77);
    double up[2] = {0, 0}, down[2] = {M_PI, 0};
    render_state("Pendulum-v1", rlc__render_pendulum, up, rgb, w, h);
    assert_int_equal(pixel(rgb, w, 250, 170), red);
    assert_int_equal(pixel(rgb, w, 250, 330), WHITE);
    assert_int_equal(pixel(rgb, w, 250, 250), BLACK); /* pivot */
    render_state("Pendulum-v1", rlc__render_pendulum, down, rgb, w, h);
    assert_int_equal(pixel(rgb, w, 250, 330), red);
    assert_int_equal(pixel(rgb, w, 250, 170), WHITE);

    /* Acrobot hanging straight down: both links below the pivot, joints yellow */
    double hang[4] = {0, 0, 0, 0};
    render_state("Acrobot-v1", rlc__render_acrobot, hang, rgb, w, h);
    double scale = 500 / 4.4;
    assert_int_equal(pixel(rgb, w, 250, (int)(250 + 0.5 * scale)), RLC__RGB(0, 204, 204));
    assert_int_equal(pixel(rgb, w, 250, (int)(250 + 1.5 * scale)), RLC__RGB(0, 204, 204));
    assert_int_equal(pixel(rgb, w, 250, 250), RLC__RGB(204, 204, 0));
    assert_int_equal(pixel(rgb, w, 250, (int)(250 + scale)), RLC__RGB(204, 204, 0));
    assert_int_equal(pixel(rgb, w, 250, (int)(250 - 0.5 * scale)), WHITE);
    assert_int_equal(pixel(rgb, w, 20, (int)(250 - scale)), BLACK); /* goal line */

    /* MountainCar: the car body (black) sits on the hill at its position */
    w = 600;
    h = 400;
    double pos = -0.5, mc[2] = {pos, 0};
    render_state("MountainCar-v0", rlc__render_mountaincar, mc, rgb, w, h);
    double sc = 600 / 1.8, ang = cos(3 * pos), ox = (pos + 1.2) * sc;
    double oy = 10 + (sin(3 * pos) * .45 + .55) * sc;
    double cx = ox - 10 * sin(ang), cy = oy + 10 * cos(ang); /* body centre (0, 10) rotated */
    assert_int_equal(pixel(rgb, w, (int)cx, (int)(400 - cy)), BLACK);
    /* the flag (yellow) near the goal at 0.5 */
    double fx = (0.5 + 1.2) * sc, fy = (sin(1.5) * .45 + .55) * sc + 45;
    assert_int_equal(pixel(rgb, w, (int)(fx + 8), (int)(400 - fy)), RLC__RGB(204, 204, 0));
    free(rgb);
}

static void test_draw_primitives(void **st) {
    (void)st;
    int w = 40, h = 30;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    rlc__canvas c = {rgb, w, h};
    rlc__draw_clear(&c, WHITE);
    rlc__draw_rect(&c, 2, 3, 7, 5, BLACK); /* 5 x 2 pixels */
    assert_int_equal(count_not(rgb, w, h, WHITE), 10);
    assert_int_equal(rlc__draw_get(&c, 2, 3), BLACK);
    assert_int_equal(rlc__draw_get(&c, 6, 4), BLACK);
    assert_int_equal(rlc__draw_get(&c, 7, 4), WHITE);
    rlc__draw_clear(&c, WHITE);
    rlc__draw_circle(&c, 20, 15, 8, BLACK);
    long n = count_not(rgb, w, h, WHITE);
    if (fabs((double)n - M_PI * 64) > 16) fail_msg("disc of radius 8 has %ld pixels", n);
    assert_int_equal(rlc__draw_get(&c, 20, 15), BLACK);
    assert_int_equal(rlc__draw_get(&c, 20, 6), WHITE);
    rlc__draw_clear(&c, WHITE);
    double tri[6] = {0, 0, 20, 0, 0, 20}; /* area 200 */
    rlc__draw_polygon(&c, tri, 3, BLACK);
    n = count_not(rgb, w, h, WHITE);
    if (labs(n - 200) > 21) fail_msg("triangle of area 200 has %ld pixels", n);
    rlc__draw_clear(&c, WHITE);
    rlc__draw_line(&c, 5, 10, 35, 10, 3, BLACK); /* 30 x 3 */
    assert_int_equal(count_not(rgb, w, h, WHITE), 90);
    /* clipping and non-finite input are harmless */
    rlc__draw_circle(&c, -1e300, 1e300, 1e300, BLACK);
    rlc__draw_line(&c, NAN, 0, 1, 1, 2, BLACK);
    rlc__draw_rect(&c, -1e9, -1e9, 1e9, 1e9, RLC__RGB(1, 2, 3));
    assert_int_equal(count_not(rgb, w, h, RLC__RGB(1, 2, 3)), 0);
    free(rgb);
}

/* Fills a test picture: a gradient (> 256 colours) or a few flat colours. */
static void picture(uint8_t *rgb, int w, int h, int gradient, int shift) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (gradient) {
                p[0] = (uint8_t)(x * 255 / (w - 1));
                p[1] = (uint8_t)(y * 255 / (h - 1));
                p[2] = (uint8_t)((x + y + shift) & 255);
            } else {
                int k = ((x + shift) / 8 + y / 8) % 5;
                p[0] = (uint8_t)(k * 50);
                p[1] = (uint8_t)(255 - k * 40);
                p[2] = (uint8_t)(k * 7);
            }
        }
}

/* Entries of directory `dir` (tests check that no temporary file is left behind). */
static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void fresh_dir(char *dir, size_t cap, const char *name) {
    snprintf(dir, cap, "%s/%s", rlc_test_tmpdir(), name);
    mkdir(dir, 0755);
}

static void test_png_roundtrip(void **st) {
    (void)st;
    char dir[400], path[500];
    fresh_dir(dir, sizeof dir, "png");
    snprintf(path, sizeof path, "%s/a.png", dir);
    int w = 37, h = 23;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    picture(rgb, w, h, 1, 0);
    long long live = rlc_alloc_live();
    assert_int_equal(rlc_image_write_png(path, rgb, w, h), RLC_OK);
    assert_int_equal(rlc_alloc_live(), live);
    assert_int_equal(dir_entries(dir), 1);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&img, path));
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    img.format = PNG_FORMAT_RGB;
    uint8_t *back = malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, back, 0, NULL));
    assert_memory_equal(back, rgb, (size_t)w * h * 3);
    free(back);
    /* errors: missing directory, bad size */
    snprintf(path, sizeof path, "%s/no/such/dir/a.png", dir);
    assert_int_equal(rlc_image_write_png(path, rgb, w, h), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "no/such/dir/a.png");
    assert_int_equal(rlc_image_write_png(path, rgb, 0, h), RLC_ERR_INVALID);
    assert_int_equal(rlc_alloc_live(), live);
    free(rgb);
}

/* Reads a GIF back: frame count, size, and frame `k` decoded to RGB into `out` (if given). */
static int read_gif(const char *path, int *w, int *h, int k, uint8_t *out, int *delay) {
    int err;
    GifFileType *g = DGifOpenFileName(path, &err);
    assert_non_null(g);
    assert_int_equal(DGifSlurp(g), GIF_OK);
    *w = g->SWidth;
    *h = g->SHeight;
    int n = g->ImageCount;
    if (out && k < n) {
        SavedImage *im = &g->SavedImages[k];
        ColorMapObject *cm = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : g->SColorMap;
        assert_non_null(cm);
        for (int i = 0; i < im->ImageDesc.Width * im->ImageDesc.Height; i++) {
            GifColorType c = cm->Colors[im->RasterBits[i]];
            out[3 * i] = c.Red;
            out[3 * i + 1] = c.Green;
            out[3 * i + 2] = c.Blue;
        }
        GraphicsControlBlock gcb;
        assert_int_equal(DGifSavedExtensionToGCB(g, k, &gcb), GIF_OK);
        *delay = gcb.DelayTime;
    }
    DGifCloseFile(g, &err);
    return n;
}

static void test_gif_roundtrip(void **st) {
    (void)st;
    char dir[400], path[500];
    fresh_dir(dir, sizeof dir, "gif");
    snprintf(path, sizeof path, "%s/a.gif", dir);
    int w = 64, h = 48;
    uint8_t *rgb = malloc((size_t)w * h * 3), *back = malloc((size_t)w * h * 3);
    long long live = rlc_alloc_live();
    rlc_gif *g;
    assert_int_equal(rlc_image_gif_create(&g, path, w, h, 4), RLC_OK);
    for (int f = 0; f < 3; f++) {
        picture(rgb, w, h, 0, f * 8);
        assert_int_equal(rlc_image_gif_add_frame(g, rgb), RLC_OK);
    }
    picture(rgb, w, h, 1, 0); /* 4th frame: too many colours, median cut */
    assert_int_equal(rlc_image_gif_add_frame(g, rgb), RLC_OK);
    assert_int_equal(rlc_image_gif_frames(g), 4);
    assert_int_equal(dir_entries(dir), 1); /* only the temporary file so far */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rlc_image_gif_close(g), RLC_OK);
    assert_int_equal(rlc_alloc_live(), live);
    assert_int_equal(dir_entries(dir), 1);
    int gw, gh, delay = -1;
    assert_int_equal(read_gif(path, &gw, &gh, 2, back, &delay), 4);
    assert_int_equal(gw, w);
    assert_int_equal(gh, h);
    assert_int_equal(delay, 4);
    picture(rgb, w, h, 0, 16);
    assert_memory_equal(back, rgb, (size_t)w * h * 3); /* few colours: exact */
    read_gif(path, &gw, &gh, 3, back, &delay);
    picture(rgb, w, h, 1, 0);
    double err = 0;
    for (int i = 0; i < w * h * 3; i++)
        err += fabs((double)back[i] - rgb[i]);
    err /= w * h * 3;
    if (err > 6) fail_msg("median cut: mean abs error %.2f per channel", err);

    /* no frame: nothing written; destroy removes the temporary file */
    snprintf(path, sizeof path, "%s/empty.gif", dir);
    assert_int_equal(rlc_image_gif_create(&g, path, w, h, 4), RLC_OK);
    assert_int_equal(rlc_image_gif_close(g), RLC_ERR_STATE);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rlc_image_gif_create(&g, path, w, h, 4), RLC_OK);
    assert_int_equal(rlc_image_gif_add_frame(g, rgb), RLC_OK);
    rlc_image_gif_destroy(g);
    rlc_image_gif_destroy(NULL);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(dir_entries(dir), 1);
    assert_int_equal(rlc_alloc_live(), live);
    assert_int_equal(rlc_image_gif_create(&g, path, w, h, -1), RLC_ERR_RANGE);
    assert_int_equal(rlc_image_gif_create(&g, path, 0, h, 1), RLC_ERR_INVALID);
    snprintf(path, sizeof path, "%s/missing/x.gif", dir);
    assert_int_equal(rlc_image_gif_create(&g, path, w, h, 1), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "missing/x.gif");
    free(rgb);
    free(back);
}

/* Runs the rlc binary with `args`, returns its exit code and its stderr in err. */
static int run_rlc(const char *args, char *err, size_t cap) {
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", rlc_test_rlc_binary(), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(err, 1, cap - 1, p);
    err[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli_env_render(void **st) {
    (void)st;
    char dir[400], path[500], png[500], args[1200], err[2048];
    fresh_dir(dir, sizeof dir, "cli");
    snprintf(path, sizeof path, "%s/cp.gif", dir);
    snprintf(png, sizeof png, "%s/cp.png", dir);
    /* usage errors */
    assert_int_equal(run_rlc("env render --env CartPole-v1", err, sizeof err), 2);
    assert_contains(err, "--gif");
    snprintf(args, sizeof args, "env render --env CartPole-v1 --gif %s --size 10by3", path);
    assert_int_equal(run_rlc(args, err, sizeof err), 2);
    assert_contains(err, "10by3");
    snprintf(args, sizeof args, "env render --env CartPole-v9 --gif %s", path);
    assert_int_equal(run_rlc(args, err, sizeof err), 2);
    assert_contains(err, "CartPole-v1");
    assert_int_not_equal(access(path, F_OK), 0); /* nothing written on failure */
    snprintf(args, sizeof args,
             "env render --env CartPole-v1 --seed 3 --steps 12 --size 120x80 --gif %s --png %s",
             path, png);
    assert_int_equal(run_rlc(args, err, sizeof err), 0);
    int w, h, delay;
    assert_int_equal(read_gif(path, &w, &h, 0, NULL, &delay), 13); /* reset frame + 12 */
    assert_int_equal(w, 120);
    assert_int_equal(h, 80);
    assert_int_equal(access(png, F_OK), 0);
    snprintf(path, sizeof path, "%s/pend.gif", dir);
    snprintf(args, sizeof args, "env render --env Pendulum-v1 --seed 1 --steps 5 --gif %s", path);
    assert_int_equal(run_rlc(args, err, sizeof err), 0);
    assert_int_equal(read_gif(path, &w, &h, 0, NULL, &delay), 6);
    assert_int_equal(w, 500);
    assert_int_equal(h, 500);
}

RLC_TESTS(env_render, cmocka_unit_test(test_all_envs_render_and_change),
          cmocka_unit_test(test_cartpole_geometry),
          cmocka_unit_test(test_pendulum_acrobot_mountaincar_geometry),
          cmocka_unit_test(test_draw_primitives), cmocka_unit_test(test_png_roundtrip),
          cmocka_unit_test(test_gif_roundtrip), cmocka_unit_test(test_cli_env_render))
