/* MuJoCo envs beyond the golden replays: the software renderer (every id, determinism, the
 * tracking camera, a sphere of known geometry), the `xml=PATH` kwarg and its errors, and
 * MuJoCo's unstable-simulation reset turned into a clear error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/mujoco/mujoco_impl.h"
#include "rlc/rlc.h"
#include "test.h"

#define SKIP_WITHOUT_MUJOCO()                                                                      \
    do {                                                                                           \
        if (!rlc__mujoco_available()) {                                                            \
            print_message("  skipped: rlc was built without libmujoco (RLC_HAVE_MUJOCO unset)\n"); \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static const char *const IDS[] = {"HalfCheetah-v4",
                                  "HalfCheetah-v5",
                                  "Hopper-v4",
                                  "Hopper-v5",
                                  "Walker2d-v4",
                                  "Walker2d-v5",
                                  "Ant-v4",
                                  "Ant-v5",
                                  "InvertedPendulum-v4",
                                  "InvertedPendulum-v5",
                                  "InvertedDoublePendulum-v4",
                                  "InvertedDoublePendulum-v5",
                                  "Reacher-v4",
                                  "Reacher-v5",
                                  "Swimmer-v4",
                                  "Swimmer-v5",
                                  "Humanoid-v4",
                                  "Humanoid-v5"};
#define NIDS ((int)(sizeof IDS / sizeof IDS[0]))

/* A fixed action pattern in [-0.4, 0.4] (inside every env's action space). */
static void pattern_action(float *a, int n, int t) {
    for (int i = 0; i < n; i++)
        a[i] = 0.4f * (float)sin(0.3 * t + 1.7 * i);
}

static int act_dim(const rlc_env *env) {
    return (int)rlc_env_action_space(env)->size;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Sky pixels: the renderer's gradient is bluish (b > g > r); the bundled models' bodies are
 * orange-brown (r > g > b) or other non-sky colours. */
static int is_sky(const uint8_t *p) {
    return p[2] > p[1] && p[1] > p[0];
}

/* Every id renders: state required first, deterministic frames, frames change as it moves, and
 * the picture is not blank. */
static void test_render_all_ids(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { W = 96, H = 64 };
    static uint8_t a[W * H * 3], b[W * H * 3], c[W * H * 3];
    for (int k = 0; k < NIDS; k++) {
        rlc_env *env = NULL, *env2 = NULL;
        assert_int_equal(rlc_env_make(&env, IDS[k], NULL), RLC_OK);
        assert_int_equal(rlc_env_make(&env2, IDS[k], NULL), RLC_OK);
        assert_int_equal(rlc_env_render(env, a, W, H), RLC_ERR_STATE);
        assert_int_equal(rlc_env_reset(env, 3, NULL), RLC_OK);
        assert_int_equal(rlc_env_reset(env2, 3, NULL), RLC_OK);
        assert_int_equal(rlc_env_render(env, a, W, H), RLC_OK);
        assert_int_equal(rlc_env_render(env, b, W, H), RLC_OK);
        assert_memory_equal(a, b, sizeof a); /* same state, same frame */
        assert_int_equal(rlc_env_render(env2, c, W, H), RLC_OK);
        assert_memory_equal(a, c, sizeof a); /* same seed in another env */
        int sky = 0;
        for (int i = 0; i < W * H; i++)
            sky += is_sky(a + 3 * i);
        if (sky == W * H) fail_msg("%s: the frame is all sky", IDS[k]);
        int varied = 0; /* not a flat fill */
        for (int i = 1; i < W * H && !varied; i++)
            varied = memcmp(a, a + 3 * i, 3) != 0;
        assert_true(varied);
        float act[32];
        rlc_step_result r;
        for (int t = 0; t < 15; t++) {
            pattern_action(act, act_dim(env), t);
            assert_int_equal(rlc_env_step(env, act, NULL, &r), RLC_OK);
            if (r.terminated || r.truncated) break;
        }
        assert_int_equal(rlc_env_render(env, b, W, H), RLC_OK);
        if (!memcmp(a, b, sizeof a)) fail_msg("%s: the frame did not change after steps", IDS[k]);
        rlc_env_destroy(env);
        rlc_env_destroy(env2);
    }
}

/* The tracking camera keeps the body in view: the pixel where the torso geom's centre projects
 * shows the torso's colour, and the middle third of the image is mostly not sky. */
static void test_render_tracking_camera(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { W = 240, H = 160 };
    static uint8_t img[W * H * 3];
    static const struct {
        const char *id, *geom;
        int steps;
    } cases[] = {{"Hopper-v4", "torso_geom", 0},
                 {"Walker2d-v5", "torso_geom", 5},
                 {"HalfCheetah-v4", "torso", 60}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rlc_env *env = NULL;
        assert_int_equal(rlc_env_make(&env, cases[k].id, NULL), RLC_OK);
        assert_int_equal(rlc_env_reset(env, 0, NULL), RLC_OK);
        float act[8];
        rlc_step_result r;
        for (int t = 0; t < cases[k].steps; t++) {
            pattern_action(act, act_dim(env), t);
            assert_int_equal(rlc_env_step(env, act, NULL, &r), RLC_OK);
        }
        double xyz[3], px, py;
        assert_int_equal(rlc__mj_geom_pos(env, cases[k].geom, xyz), RLC_OK);
        assert_int_equal(rlc__mj_project(env, xyz, W, H, &px, &py), RLC_OK);
        assert_true(px >= 0 && px < W && py >= 0 && py < H);
        assert_int_equal(rlc_env_render(env, img, W, H), RLC_OK);
        const uint8_t *p = img + 3 * ((size_t)(int)py * W + (int)px);
        /* rgba 0.8 0.6 0.4 under Lambert shading keeps r > g > b */
        if (!(p[0] > p[1] && p[1] > p[2]))
            fail_msg("%s: pixel (%d, %d) over %s is %d,%d,%d", cases[k].id, (int)px, (int)py,
                     cases[k].geom, p[0], p[1], p[2]);
        /* the body is in the middle of the frame: after many steps the camera has followed */
        assert_true(fabs(px - W / 2.0) < W / 6.0);
        assert_int_equal(rlc__mj_geom_pos(env, "no_such_geom", xyz), RLC_ERR_NOT_FOUND);
        rlc_env_destroy(env);
    }
}

/* An InvertedPendulum-shaped model (slider + hinge, one actuator) whose bodies are invisible
 * (alpha 0) and hang far below, a red sphere of radius 0.5 at (1, 0, 0.5) and a fixed camera
 * "track" at (0, -5, 0) looking along +y with MuJoCo's default 45 degree fovy. */
static const char *SPHERE_XML =
    "<mujoco model='probe'>\n"
    "  <worldbody>\n"
    "    <camera name='track' pos='0 -5 0' xyaxes='1 0 0 0 0 1'/>\n"
    "    <geom name='ball' type='sphere' pos='1 0 0.5' size='0.5' rgba='1 0 0 1' contype='0'\n"
    "          conaffinity='0'/>\n"
    "    <body name='cart' pos='0 0 -50'>\n"
    "      <joint name='slider' type='slide' axis='1 0 0'/>\n"
    "      <geom type='box' size='0.1 0.1 0.1' rgba='0 0 1 0' contype='0' conaffinity='0'/>\n"
    "      <body name='pole'>\n"
    "        <joint name='hinge' type='hinge' axis='0 1 0'/>\n"
    "        <geom type='capsule' fromto='0 0 0 0 0 0.6' size='0.05' rgba='0 0 1 0'\n"
    "              contype='0' conaffinity='0'/>\n"
    "      </body>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <actuator><motor joint='slider' ctrllimited='true' ctrlrange='-3 3'/></actuator>\n"
    "</mujoco>\n";

/* Known geometry: the sphere's centre projects to (W/2 + f x / d, H/2 - f z / d) with
 * f = (H/2) / tan(22.5 deg) and depth d = 5; it covers a disc of about f 0.5 / 5 pixels. */
static void test_render_known_sphere(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { W = 200, H = 200 };
    static uint8_t img[W * H * 3];
    char path[512], kw[600];
    snprintf(path, sizeof path, "%s/probe_sphere.xml", rlc_test_tmpdir());
    write_file(path, SPHERE_XML);
    snprintf(kw, sizeof kw, "xml=%s", path);
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "InvertedPendulum-v4", kw), RLC_OK);
    assert_int_equal(rlc_env_reset(env, 0, NULL), RLC_OK);
    assert_int_equal(rlc_env_render(env, img, W, H), RLC_OK);
    double f = (H / 2.0) / tan(22.5 * M_PI / 180.0);
    double cx = W / 2.0 + f * 1.0 / 5.0, cy = H / 2.0 - f * 0.5 / 5.0, rad = f * 0.5 / 5.0;
    double ball[3] = {1, 0, 0.5}, px, py;
    assert_int_equal(rlc__mj_project(env, ball, W, H, &px, &py), RLC_OK);
    assert_close(px, cx, 1e-9);
    assert_close(py, cy, 1e-9);
    /* inside: pure red shaded (g = b = 0); outside the disc: sky */
    for (int dx = -1; dx <= 1; dx++)
        for (int dy = -1; dy <= 1; dy++) {
            int x = (int)(cx + 0.8 * rad * dx), y = (int)(cy + 0.8 * rad * dy * (dx == 0));
            const uint8_t *p = img + 3 * ((size_t)y * W + x);
            if (!(p[0] > 50 && p[1] == 0 && p[2] == 0))
                fail_msg("pixel (%d, %d) inside the sphere is %d,%d,%d", x, y, p[0], p[1], p[2]);
        }
    static const int out[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (int i = 0; i < 4; i++) {
        int x = (int)(cx + 1.25 * rad * out[i][0]), y = (int)(cy + 1.25 * rad * out[i][1]);
        assert_true(is_sky(img + 3 * ((size_t)y * W + x)));
    }
    /* the mirror position (x = -1) is empty, and the lit side faces the light (up and right) */
    assert_true(is_sky(img + 3 * ((size_t)(int)cy * W + (int)(W - cx))));
    const uint8_t *top = img + 3 * ((size_t)(int)(cy - 0.7 * rad) * W + (int)cx);
    const uint8_t *bottom = img + 3 * ((size_t)(int)(cy + 0.7 * rad) * W + (int)cx);
    assert_true(top[0] > bottom[0]);
    rlc_env_destroy(env);
}

/* Rendering reads the state but never changes the trajectory, and a restored snapshot renders
 * as the original. */
static void test_render_keeps_trajectory(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { W = 64, H = 48 };
    static uint8_t a[W * H * 3], b[W * H * 3];
    const char *ids[] = {"Ant-v4", "Humanoid-v5", "Reacher-v4"};
    for (int k = 0; k < 3; k++) {
        rlc_env *e1 = NULL, *e2 = NULL;
        assert_int_equal(rlc_env_make(&e1, ids[k], NULL), RLC_OK);
        assert_int_equal(rlc_env_make(&e2, ids[k], NULL), RLC_OK);
        int D = (int)rlc_env_obs_space(e1)->size;
        double *o1 = calloc((size_t)D, sizeof(double)), *o2 = calloc((size_t)D, sizeof(double));
        assert_int_equal(rlc_env_reset(e1, 7, o1), RLC_OK);
        assert_int_equal(rlc_env_reset(e2, 7, o2), RLC_OK);
        float act[32];
        rlc_step_result r1, r2;
        for (int t = 0; t < 25; t++) {
            assert_int_equal(rlc_env_render(e1, a, W, H), RLC_OK);
            pattern_action(act, act_dim(e1), t);
            assert_int_equal(rlc_env_step(e1, act, o1, &r1), RLC_OK);
            assert_int_equal(rlc_env_step(e2, act, o2, &r2), RLC_OK);
            assert_memory_equal(o1, o2, (size_t)D * sizeof(double));
            assert_memory_equal(&r1.reward, &r2.reward, sizeof(double));
            if (r1.terminated || r1.truncated) break;
        }
        /* snapshot e1 into e2 (which then diverges first): the frames agree */
        size_t n = rlc_env_state_size(e1);
        void *snap = malloc(n);
        assert_int_equal(rlc_env_get_state(e1, snap, n), RLC_OK);
        assert_int_equal(rlc_env_reset(e2, 99, NULL), RLC_OK);
        assert_int_equal(rlc_env_set_state(e2, snap, n), RLC_OK);
        assert_int_equal(rlc_env_render(e1, a, W, H), RLC_OK);
        assert_int_equal(rlc_env_render(e2, b, W, H), RLC_OK);
        assert_memory_equal(a, b, sizeof a);
        free(snap);
        free(o1);
        free(o2);
        rlc_env_destroy(e1);
        rlc_env_destroy(e2);
    }
}

/* xml=PATH with rlc's own model file gives the bundled env's trajectory bit for bit. */
static void test_xml_same_trajectory(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    static const struct {
        const char *id, *file;
    } cases[] = {
        {"Hopper-v4", "hopper.xml"}, {"Walker2d-v5", "walker2d_v5.xml"}, {"Ant-v5", "ant.xml"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[1024], kw[1100];
        snprintf(path, sizeof path, "mujoco/%s", cases[k].file);
        char found[1024];
        assert_int_equal(rlc_data_find(path, found, sizeof found), RLC_OK);
        snprintf(kw, sizeof kw, "xml=%s, ctrl_cost_weight=0.002", found);
        rlc_env *e1 = NULL, *e2 = NULL;
        assert_int_equal(rlc_env_make(&e1, cases[k].id, "ctrl_cost_weight=0.002"), RLC_OK);
        assert_int_equal(rlc_env_make(&e2, cases[k].id, kw), RLC_OK);
        int D = (int)rlc_env_obs_space(e1)->size;
        double *o1 = calloc((size_t)D, sizeof(double)), *o2 = calloc((size_t)D, sizeof(double));
        assert_int_equal(rlc_env_reset(e1, 11, o1), RLC_OK);
        assert_int_equal(rlc_env_reset(e2, 11, o2), RLC_OK);
        assert_memory_equal(o1, o2, (size_t)D * sizeof(double));
        float act[8];
        rlc_step_result r1, r2;
        for (int t = 0; t < 200; t++) {
            pattern_action(act, act_dim(e1), t);
            assert_int_equal(rlc_env_step(e1, act, o1, &r1), RLC_OK);
            assert_int_equal(rlc_env_step(e2, act, o2, &r2), RLC_OK);
            assert_memory_equal(o1, o2, (size_t)D * sizeof(double));
            assert_memory_equal(&r1.reward, &r2.reward, sizeof(double));
            assert_int_equal(r1.terminated, r2.terminated);
            if (r1.terminated) break;
        }
        free(o1);
        free(o2);
        rlc_env_destroy(e1);
        rlc_env_destroy(e2);
    }
}

/* The errors of xml=: each names the problem. */
static void test_xml_errors(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    const char *dir = rlc_test_tmpdir();
    char path[512], kw[1100];
    rlc_env *env = NULL;
    /* missing file */
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "xml=/nonexistent/dir/model.xml"),
                     RLC_ERR_NOT_FOUND);
    assert_null(env);
    assert_contains(rlc_last_error(), "'/nonexistent/dir/model.xml' not found");
    /* malformed XML: MuJoCo's own message, on one line */
    snprintf(path, sizeof path, "%s/broken.xml", dir);
    write_file(path, "<mujoco>\n<worldbody>\n<geom type='nonsense'/>\n</worldbody>\n</mujoco>\n");
    snprintf(kw, sizeof kw, "xml=%s", path);
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", kw), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "cannot load MuJoCo model");
    assert_contains(rlc_last_error(), "invalid keyword: 'nonsense'");
    assert_contains(rlc_last_error(), "line 3");
    assert_null(strchr(rlc_last_error(), '\n'));
    /* not XML at all */
    write_file(path, "this is not a model\n");
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", kw), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "XML");
    /* the wrong number of qpos/qvel: a Walker2d model for the Hopper */
    char found[1024];
    assert_int_equal(rlc_data_find("mujoco/walker2d.xml", found, sizeof found), RLC_OK);
    snprintf(kw, sizeof kw, "xml=%s", found);
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", kw), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "nq + nv = 9 + 9 = 18");
    assert_contains(rlc_last_error(), "has 12 values");
    /* the wrong number of actuators: the probe model with a second motor */
    snprintf(path, sizeof path, "%s/two_motors.xml", dir);
    char xml[2048];
    snprintf(xml, sizeof xml, "%s", SPHERE_XML);
    char *act = strstr(xml, "</actuator>");
    assert_non_null(act);
    snprintf(act, sizeof xml - (size_t)(act - xml),
             "<motor joint='hinge' ctrllimited='true' ctrlrange='-1 1'/></actuator>\n"
             "</mujoco>\n");
    write_file(path, xml);
    snprintf(kw, sizeof kw, "xml=%s", path);
    assert_int_equal(rlc_env_make(&env, "InvertedPendulum-v5", kw), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "has 2 actuators (nu); this env drives 1");
    /* a model without the site InvertedDoublePendulum reads */
    snprintf(path, sizeof path, "%s/no_site.xml", dir);
    write_file(path, "<mujoco><worldbody><body><joint type='slide' axis='1 0 0'/>"
                     "<geom size='0.1'/><body><joint axis='0 1 0'/><geom size='0.1'/><body>"
                     "<joint axis='0 1 0'/><geom size='0.1'/></body></body></body></worldbody>"
                     "<actuator><motor joint='0'/></actuator></mujoco>\n");
    snprintf(kw, sizeof kw, "xml=%s", path);
    rlc_status s = rlc_env_make(&env, "InvertedDoublePendulum-v4", kw);
    assert_int_equal(s, RLC_ERR_FORMAT);
    /* (the unnamed joint reference fails in MuJoCo's parser, or the site check fires) */
    assert_true(strstr(rlc_last_error(), "site") || strstr(rlc_last_error(), "XML"));
    write_file(path, "<mujoco><worldbody><body><joint name='s' type='slide' axis='1 0 0'/>"
                     "<geom size='0.1'/><body><joint axis='0 1 0'/><geom size='0.1'/><body>"
                     "<joint axis='0 1 0'/><geom size='0.1'/></body></body></body></worldbody>"
                     "<actuator><motor joint='s'/></actuator></mujoco>\n");
    assert_int_equal(rlc_env_make(&env, "InvertedDoublePendulum-v4", kw), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "has no site");
    /* kwargs parsing: bad keys still name the key; empty and repeated values are refused */
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "xmll=model.xml"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "unknown keyword 'xmll'");
    assert_contains(rlc_last_error(), "did you mean 'xml'?");
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "xml="), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "empty value for keyword 'xml' of Hopper-v4");
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "xml=a.xml,xml=b.xml"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "keyword 'xml' given twice");
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "gravity=/tmp/x.xml"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "bad value '/tmp/x.xml' for keyword 'gravity'");
    /* a non-MuJoCo env has no xml keyword */
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "xml=a.xml"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "unknown keyword 'xml' for CartPole-v1");
    assert_null(env);
    /* the spec lists it as a string */
    const rlc_env_spec *spec = rlc_env_registry_find("Hopper-v4");
    assert_non_null(spec);
    int found_xml = 0;
    for (int i = 0; i < spec->nparams; i++)
        if (!strcmp(spec->params[i].name, "xml")) {
            found_xml = 1;
            assert_int_equal(spec->params[i].type, RLC_PARAM_STRING);
        }
    assert_true(found_xml);
}

/* NaN physics: MuJoCo's bad-state check resets its data with a warning; rlc refuses the step
 * with MuJoCo's text, keeps the last good state, ends the episode, and a reset recovers. */
static void test_unstable_simulation(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "Hopper-v4", "terminate_when_unhealthy=false"), RLC_OK);
    double obs[11], before[11], v[12];
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    assert_int_equal(rlc_env_get_state_vector(env, v), RLC_OK);
    for (int i = 6; i < 12; i++)
        v[i] = 1e30; /* finite, accepted; MuJoCo finds qvel "huge" */
    assert_int_equal(rlc_env_set_state_vector(env, v, 12), RLC_OK);
    assert_int_equal(rlc_env_observe(env, before), RLC_OK);
    float act[3] = {0.1f, 0.2f, 0.3f};
    rlc_step_result r;
    assert_int_equal(rlc_env_step(env, act, obs, &r), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "Hopper-v4: MuJoCo's simulation became unstable");
    assert_contains(rlc_last_error(), "Nan, Inf or huge value in QVEL");
    assert_contains(rlc_last_error(), "reset the env");
    /* the step was not applied: the state is the one before it, finite */
    assert_int_equal(rlc_env_observe(env, obs), RLC_OK);
    assert_memory_equal(obs, before, sizeof obs);
    /* the episode is over */
    assert_int_equal(rlc_env_step(env, act, obs, &r), RLC_ERR_STATE);
    /* a reset recovers */
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    for (int t = 0; t < 20; t++) {
        assert_int_equal(rlc_env_step(env, act, obs, &r), RLC_OK);
        for (int i = 0; i < 11; i++)
            assert_true(isfinite(obs[i]));
    }
    rlc_env_destroy(env);

    /* a model that blows up by itself: HalfCheetah under a huge gravity diverges in its first
     * step (QACC); the observation stays finite. */
    assert_int_equal(rlc_env_make(&env, "HalfCheetah-v5", "gravity=-1000000"), RLC_OK);
    double o[17];
    float a6[6] = {1, -1, 1, -1, 1, -1};
    assert_int_equal(rlc_env_reset(env, 0, o), RLC_OK);
    int failed = 0;
    for (int t = 0; t < 300 && !failed; t++) {
        rlc_status s = rlc_env_step(env, a6, o, &r);
        if (s) {
            assert_int_equal(s, RLC_ERR_RANGE);
            assert_contains(rlc_last_error(), "unstable");
            assert_contains(rlc_last_error(), "QACC");
            failed = 1;
        }
        for (int i = 0; i < 17; i++)
            assert_true(isfinite(o[i]));
    }
    assert_true(failed);
    rlc_env_destroy(env);
}

/* The vectorised path (which steps envs directly) sees the failed step as a termination and
 * resets the env; nothing non-finite leaks out. */
static void test_unstable_terminates(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "Swimmer-v4", NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(env, 1, NULL), RLC_OK);
    double v[10];
    assert_int_equal(rlc_env_get_state_vector(env, v), RLC_OK);
    v[0] = 1e300;
    assert_int_equal(rlc_env_set_state_vector(env, v, 10), RLC_OK);
    /* call the env's own step as vec envs do */
    const rlc__env_def *def = env->def;
    double obs[8], reward = NAN;
    int term = 0;
    float act[2] = {0.5f, -0.5f};
    def->step(env->self, &env->rt.rng, act, obs, &reward, &term);
    assert_int_equal(term, 1);
    assert_true(isfinite(reward));
    assert_int_equal(def->step_status(env->self, "Swimmer-v4"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "QPOS");
    assert_int_equal(rlc_env_reset(env, 1, NULL), RLC_OK);
    assert_int_equal(def->step_status(env->self, "Swimmer-v4"), RLC_OK);
    rlc_env_destroy(env);
}

/* `rlc env render` writes a GIF of a MuJoCo env; `rlc envs` lists the xml keyword. */
static void test_cli_render_gif(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    char gif[512], cmd[2048];
    snprintf(gif, sizeof gif, "%s/hopper.gif", rlc_test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "%s env render --env Hopper-v4 --seed 0 --steps 4 --size 120x80 --gif '%s' "
             ">/dev/null 2>&1",
             rlc_test_rlc_binary(), gif);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(gif, "rb");
    assert_non_null(f);
    char head[6] = {0};
    assert_int_equal(fread(head, 1, 6, f), 6);
    fclose(f);
    assert_memory_equal(head, "GIF89a", 6);
    snprintf(cmd, sizeof cmd, "%s envs Walker2d-v5 2>&1 | grep -q '^ *xml  *- '",
             rlc_test_rlc_binary());
    assert_int_equal(system(cmd), 0);
}

RLC_TESTS(env_mujoco_extra, cmocka_unit_test(test_render_all_ids),
          cmocka_unit_test(test_render_tracking_camera), cmocka_unit_test(test_render_known_sphere),
          cmocka_unit_test(test_render_keeps_trajectory),
          cmocka_unit_test(test_xml_same_trajectory), cmocka_unit_test(test_xml_errors),
          cmocka_unit_test(test_unstable_simulation), cmocka_unit_test(test_unstable_terminates),
          cmocka_unit_test(test_cli_render_gif))
