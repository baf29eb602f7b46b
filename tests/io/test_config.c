/* Config tables: the X-macro expansion, defaults, key=value parsing and its error messages,
 * JSON and text files, per-env default files, JSON output, --help text, allocation failures. */
#include "test.h"

#include <cJSON.h>
#include <math.h>

#include "rlc/config.h"

#define T_FIELDS(X)                                                                            \
    X(REAL, lr, 3e-4, 0, 1, "Adam learning rate")                                              \
    X(REAL, clip_range, 0.2, 0, 1, "PPO clip range")                                           \
    X(REAL, max_grad_norm, 0.5, 0, INFINITY, "gradient norm clip (inf disables it)")           \
    X(INT, n_steps, 128, 1, 1 << 20, "rollout length per env")                                 \
    X(INT, total_timesteps, 1000000, 1, 1e15, "environment steps to train for")                \
    X(BOOL, norm_adv, 1, "normalise advantages per minibatch")                                 \
    X(STRING, run_name, "", "name shown in logs")                                              \
    X(ENUM, activation, "tanh", "tanh|relu|elu", "hidden-layer activation")

RLC_CONFIG_STRUCT(tcfg, T_FIELDS);
static RLC_CONFIG_TABLE(tcfg_table, tcfg, T_FIELDS)

/* A second table, as the trainer's own options beside an algorithm's. */
#define TRAIN_FIELDS(X)                                                                        \
    X(INT, seed, 0, 0, 4294967295.0, "random seed")                                            \
    X(STRING, env, "CartPole-v1", "environment id")

RLC_CONFIG_STRUCT(train_cfg, TRAIN_FIELDS);
static RLC_CONFIG_TABLE(train_table, train_cfg, TRAIN_FIELDS)

enum { ACT_TANH, ACT_RELU, ACT_ELU };

static char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/%s", rlc_test_tmpdir(), name);
    return p;
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_text(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = 0;
    fclose(fp);
    return s;
}

static void test_config_table(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    assert_string_equal(t->name, "tcfg");
    assert_int_equal(t->n_fields, 8);
    assert_int_equal(t->size, sizeof(tcfg));
    assert_string_equal(t->fields[0].name, "lr");
    assert_int_equal(t->fields[0].type, RLC_CONFIG_REAL);
    assert_int_equal(t->fields[3].offset, offsetof(tcfg, n_steps));
    assert_int_equal(t->fields[6].offset, offsetof(tcfg, run_name));
    assert_string_equal(t->fields[7].choices, "tanh|relu|elu");
    assert_true(isinf(t->fields[2].hi));
    assert_int_equal(rlc_config_table_check(t), RLC_OK);
    assert_int_equal(rlc_config_table_check(train_table()), RLC_OK);
    assert_ptr_equal(rlc_config_find(t, "n_steps"), &t->fields[3]);
    assert_null(rlc_config_find(t, "nope"));
    assert_string_equal(rlc_config_type_name(RLC_CONFIG_ENUM), "enum");

    tcfg c;
    memset(&c, 0x5a, sizeof c);
    rlc_config_defaults(t, &c);
    assert_true(c.lr == 3e-4);
    assert_true(c.clip_range == 0.2);
    assert_int_equal(c.n_steps, 128);
    assert_int_equal(c.total_timesteps, 1000000);
    assert_int_equal(c.norm_adv, 1);
    assert_string_equal(c.run_name, "");
    assert_int_equal(c.activation, ACT_TANH);
    tcfg d;
    memset(&d, 0x33, sizeof d);
    rlc_config_defaults(t, &d);
    assert_memory_equal(&c, &d, sizeof c); /* padding zeroed too */

    /* Broken tables are caught with the table and field named. */
    rlc_config_field f[2] = {t->fields[0], t->fields[1]};
    rlc_config_table bad = {"bad_cfg", f, 2, sizeof(tcfg)};
    f[1].def = 2;
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "bad_cfg.clip_range: default 2 outside [0, 1]");
    f[1] = t->fields[0];
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "field 'lr' appears twice");
    f[1] = t->fields[7];
    f[1].def_str = "gelu";
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "bad_cfg.activation: default 'gelu' is not a choice");
    f[1] = t->fields[7];
    f[1].choices = "tanh|relu|tanh";
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "choice 'tanh' appears twice");
    f[1] = t->fields[3];
    f[1].def = 1.5;
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "not an integer");
    f[1] = t->fields[3];
    f[1].name = "2x";
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "not an identifier");
    f[1] = t->fields[3];
    f[1].offset = sizeof(tcfg);
    assert_int_equal(rlc_config_table_check(&bad), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "offset outside the struct");
}

static void test_config_set_values(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c;
    rlc_config_defaults(t, &c);
    assert_int_equal(rlc_config_set(t, &c, "lr", "1e-3"), RLC_OK);
    assert_true(c.lr == 1e-3);
    assert_int_equal(rlc_config_set(t, &c, "clip_range", "1"), RLC_OK);
    assert_true(c.clip_range == 1.0);
    assert_int_equal(rlc_config_set(t, &c, "max_grad_norm", "inf"), RLC_OK);
    assert_true(isinf(c.max_grad_norm));
    assert_int_equal(rlc_config_set(t, &c, "n_steps", "2048"), RLC_OK);
    assert_int_equal(c.n_steps, 2048);
    assert_int_equal(rlc_config_set(t, &c, "total_timesteps", "1e7"), RLC_OK);
    assert_int_equal(c.total_timesteps, 10000000);
    assert_int_equal(rlc_config_set(t, &c, "total_timesteps", "123456789012"), RLC_OK);
    assert_int_equal(c.total_timesteps, 123456789012LL);
    const char *truthy[] = {"true", "1", "yes", "on", "TRUE", "On"};
    const char *falsy[] = {"false", "0", "no", "off", "False", "NO"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(rlc_config_set(t, &c, "norm_adv", falsy[i]), RLC_OK);
        assert_int_equal(c.norm_adv, 0);
        assert_int_equal(rlc_config_set(t, &c, "norm_adv", truthy[i]), RLC_OK);
        assert_int_equal(c.norm_adv, 1);
    }
    assert_int_equal(rlc_config_set(t, &c, "run_name", "my run, #1"), RLC_OK);
    assert_string_equal(c.run_name, "my run, #1");
    assert_int_equal(rlc_config_set(t, &c, "activation", "elu"), RLC_OK);
    assert_int_equal(c.activation, ACT_ELU);

    char buf[64];
    assert_int_equal(rlc_config_get(t, &c, "lr", buf, sizeof buf), RLC_OK);
    assert_string_equal(buf, "0.001");
    assert_int_equal(rlc_config_get(t, &c, "activation", buf, sizeof buf), RLC_OK);
    assert_string_equal(buf, "elu");
    assert_int_equal(rlc_config_get(t, &c, "norm_adv", buf, sizeof buf), RLC_OK);
    assert_string_equal(buf, "true");
    assert_int_equal(rlc_config_get(t, &c, "max_grad_norm", buf, sizeof buf), RLC_OK);
    assert_string_equal(buf, "inf");
    assert_int_equal(rlc_config_get(t, &c, "lrr", buf, sizeof buf), RLC_ERR_NOT_FOUND);

    /* key=value form. */
    assert_int_equal(rlc_config_assign(t, &c, "  n_steps =  64 "), RLC_OK);
    assert_int_equal(c.n_steps, 64);
    assert_int_equal(rlc_config_assign(t, &c, "run_name=a=b"), RLC_OK);
    assert_string_equal(c.run_name, "a=b");
    assert_int_equal(rlc_config_assign(t, &c, "run_name="), RLC_OK);
    assert_string_equal(c.run_name, "");
}

/* Each bad input: status, exact message, and the struct unchanged. */
static void expect_set_error(const char *key, const char *value, rlc_status want,
                             const char *msg) {
    const rlc_config_table *t = tcfg_table();
    tcfg c, before;
    rlc_config_defaults(t, &c);
    before = c;
    rlc_status s = rlc_config_set(t, &c, key, value);
    if (s != want) fail_msg("%s=%s: status %d, want %d (%s)", key, value, s, want,
                            rlc_last_error());
    assert_string_equal(rlc_last_error(), msg);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config_set_errors(void **st) {
    (void)st;
    expect_set_error("lrr", "0.1", RLC_ERR_NOT_FOUND, "unknown key 'lrr'; did you mean 'lr'?");
    expect_set_error("n-steps", "5", RLC_ERR_NOT_FOUND,
                     "unknown key 'n-steps'; did you mean 'n_steps'?");
    expect_set_error("N_STEP", "5", RLC_ERR_NOT_FOUND,
                     "unknown key 'N_STEP'; did you mean 'n_steps'?");
    expect_set_error("clip_rnage", "0.1", RLC_ERR_NOT_FOUND,
                     "unknown key 'clip_rnage'; did you mean 'clip_range'?");
    expect_set_error("gamma", "0.99", RLC_ERR_NOT_FOUND,
                     "unknown key 'gamma' (see --help for the keys)");
    expect_set_error("lr", "abc", RLC_ERR_INVALID, "lr expects a number, got 'abc'");
    expect_set_error("lr", "", RLC_ERR_INVALID, "lr expects a number, got ''");
    expect_set_error("lr", "0.1x", RLC_ERR_INVALID, "lr expects a number, got '0.1x'");
    expect_set_error("lr", "nan", RLC_ERR_INVALID, "lr expects a number, got 'nan'");
    expect_set_error("clip_range", "2", RLC_ERR_RANGE, "clip_range=2 outside [0, 1]");
    expect_set_error("lr", "-1e-5", RLC_ERR_RANGE, "lr=-1e-5 outside [0, 1]");
    expect_set_error("max_grad_norm", "-inf", RLC_ERR_RANGE,
                     "max_grad_norm=-inf outside [0, inf]");
    expect_set_error("n_steps", "1.5", RLC_ERR_INVALID, "n_steps expects an integer, got '1.5'");
    expect_set_error("n_steps", "ten", RLC_ERR_INVALID, "n_steps expects an integer, got 'ten'");
    expect_set_error("n_steps", "0", RLC_ERR_RANGE, "n_steps=0 outside [1, 1048576]");
    expect_set_error("n_steps", "99999999999999999999", RLC_ERR_RANGE,
                     "n_steps=99999999999999999999 outside [1, 1048576]");
    expect_set_error("total_timesteps", "1e30", RLC_ERR_RANGE,
                     "total_timesteps=1e30 outside [1, 1e+15]");
    expect_set_error("norm_adv", "maybe", RLC_ERR_INVALID,
                     "norm_adv expects true or false, got 'maybe'");
    expect_set_error("activation", "selu", RLC_ERR_INVALID,
                     "activation expects one of tanh, relu, elu; got 'selu'");
    expect_set_error("activation", "TANH", RLC_ERR_INVALID,
                     "activation expects one of tanh, relu, elu; got 'TANH'");
    char longv[300];
    memset(longv, 'x', 299);
    longv[299] = 0;
    expect_set_error("run_name", longv, RLC_ERR_INVALID, "run_name is longer than 255 bytes");

    const rlc_config_table *t = tcfg_table();
    tcfg c;
    rlc_config_defaults(t, &c);
    assert_int_equal(rlc_config_assign(t, &c, "lr"), RLC_ERR_INVALID);
    assert_string_equal(rlc_last_error(), "expected key=value, got 'lr'");
    assert_int_equal(rlc_config_assign(t, &c, " =3"), RLC_ERR_INVALID);
    assert_string_equal(rlc_last_error(), "expected key=value, got ' =3'");
    assert_int_equal(rlc_config_assign(t, &c, "clip_range = 1.5"), RLC_ERR_RANGE);
    assert_string_equal(rlc_last_error(), "clip_range=1.5 outside [0, 1]");
    assert_int_equal(rlc_config_set(NULL, &c, "lr", "1"), RLC_ERR_INVALID);
    assert_int_equal(rlc_config_set(t, &c, NULL, "1"), RLC_ERR_INVALID);
}

static void test_config_load_json(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c, before;
    rlc_config_defaults(t, &c);
    const char *p = tmp_path("cfg.json");
    write_text(p, "{\n  \"lr\": 0.001,\n  \"n_steps\": 256,\n  \"norm_adv\": false,\n"
                  "  \"run_name\": \"x\",\n  \"activation\": \"relu\",\n"
                  "  \"max_grad_norm\": \"inf\",\n  \"total_timesteps\": 2e6\n}\n");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_true(c.lr == 0.001);
    assert_int_equal(c.n_steps, 256);
    assert_int_equal(c.norm_adv, 0);
    assert_string_equal(c.run_name, "x");
    assert_int_equal(c.activation, ACT_RELU);
    assert_true(isinf(c.max_grad_norm));
    assert_int_equal(c.total_timesteps, 2000000);

    /* Errors name the file and key; nothing is applied (lr comes before the bad key). */
    char want[700];
    rlc_config_defaults(t, &c);
    before = c;
    write_text(p, "{\"lr\": 0.5, \"lrr\": 0.1}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_NOT_FOUND);
    snprintf(want, sizeof want, "%s: unknown key 'lrr'; did you mean 'lr'?", p);
    assert_string_equal(rlc_last_error(), want);
    assert_memory_equal(&c, &before, sizeof c);

    write_text(p, "{\"lr\": 0.5, \"clip_range\": 3}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_RANGE);
    snprintf(want, sizeof want, "%s: clip_range=3 outside [0, 1]", p);
    assert_string_equal(rlc_last_error(), want);
    assert_memory_equal(&c, &before, sizeof c);

    write_text(p, "{\"n_steps\": 2.5}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_INVALID);
    snprintf(want, sizeof want, "%s: n_steps expects an integer, got '2.5'", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "{\"lr\": true}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_INVALID);
    snprintf(want, sizeof want, "%s: lr expects a number, got 'true'", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "{\"n_steps\": [1, 2]}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_INVALID);
    snprintf(want, sizeof want, "%s: n_steps expects an integer, got an array", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "{\"activation\": null}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_INVALID);
    snprintf(want, sizeof want, "%s: activation expects one of tanh, relu, elu, got null", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "{\"nope\": {}}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "unknown key 'nope'");

    write_text(p, "{\n\"lr\": 0.1,\n\"n_steps\": 12,,\n}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:3: invalid JSON: syntax error near ','", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "  [1, 2]");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT); /* not '{': text format */
    assert_contains(rlc_last_error(), "sections like '[1, 2]' are not supported");
    assert_memory_equal(&c, &before, sizeof c);

    assert_int_equal(rlc_config_load(t, &c, tmp_path("missing.json")), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "missing.json");
    assert_contains(rlc_last_error(), "No such file");
}

/* JSON through cJSON: escapes, integers up to 2^53, and syntax errors with their line. */
static void test_config_json_reader(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c, before;
    rlc_config_defaults(t, &c);
    const char *p = tmp_path("reader.json");
    write_text(p, "{\"run_name\": \"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\","
                  " \"total_timesteps\": 999999999999999, \"lr\": 1E-3, \"clip_range\": -0.0,"
                  " \"n_steps\": 1e3}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_string_equal(c.run_name, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_int_equal(c.total_timesteps, 999999999999999LL);
    assert_true(c.lr == 1e-3);
    assert_int_equal(c.n_steps, 1000);

    /* cJSON keeps numbers as doubles: an integer is taken from a JSON number up to 2^53 - 1;
     * past that it is refused (it may have been rounded) unless quoted, when its text is read
     * exactly. A number outside the field's range still gets the range message. */
    train_cfg b, b0;
    rlc_config_defaults(train_table(), &b);
    rlc_config_field big = train_table()->fields[0];
    big.hi = 1e19;
    rlc_config_table bt = {"big", &big, 1, sizeof(train_cfg)};
    write_text(p, "{\"seed\": 9007199254740991}");
    assert_int_equal(rlc_config_load(&bt, &b, p), RLC_OK);
    assert_int_equal(b.seed, 9007199254740991LL);
    b0 = b;
    write_text(p, "{\"seed\": 9007199254740993}");
    assert_int_equal(rlc_config_load(&bt, &b, p), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), p);
    assert_contains(rlc_last_error(), "seed=9007199254740992: a JSON number beyond +/-2^53");
    assert_contains(rlc_last_error(), "quote it");
    assert_memory_equal(&b, &b0, sizeof b);
    write_text(p, "{\"seed\": -1e300}");
    assert_int_equal(rlc_config_load(&bt, &b, p), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "seed=-1e+300 outside [0, 1e+19]");
    write_text(p, "{\"seed\": \"9007199254740993\"}");
    assert_int_equal(rlc_config_load(&bt, &b, p), RLC_OK);
    assert_int_equal(b.seed, 9007199254740993LL);

    /* cJSON accepts a few things strict JSON does not: raw control characters in strings,
     * leading zeros and a bare trailing '.' in numbers; \u0000 ends the string. */
    rlc_config_defaults(t, &c);
    write_text(p, "{\"run_name\": \"a\tb\", \"lr\": 01, \"clip_range\": 0.}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_string_equal(c.run_name, "a\tb");
    assert_true(c.lr == 1 && c.clip_range == 0);
    write_text(p, "{\"run_name\": \"ab\\u0000cd\"}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_string_equal(c.run_name, "ab");

    rlc_config_defaults(t, &c);
    before = c;
    struct {
        const char *text, *msg;
    } bad[] = {
        {"{\"lr\": 0.1", ":1: invalid JSON: unexpected end of file"},
        {"{\"lr\" 0.1}", ":1: invalid JSON: syntax error near '0.1}'"},
        {"{\n\n\"run_name\": \"abc}", ":3: invalid JSON: unterminated string"},
        {"{\"run_name\": \"\\x\"}", ":1: invalid JSON: syntax error near '\\x\"}'"},
        {"{\"run_name\": \"\\u12\"}", ":1: invalid JSON: syntax error near '\\u12\"}'"},
        {"{\"run_name\": \"\\ud800x\"}", ":1: invalid JSON: syntax error near '\\ud800x"},
        {"{\"lr\": -}", ":1: invalid JSON: syntax error near '-}'"},
        {"{\"lr\": 1e}", ":1: invalid JSON: syntax error near 'e}'"},
        {"{\"lr\": .5}", ":1: invalid JSON: syntax error near '.5}'"},
        {"{\"lr\": nan}", ":1: invalid JSON: syntax error near 'nan}'"},
        {"{\"lr\": 0.1} x", ":1: invalid JSON: text after the top-level value"},
        {"{\"lr\": 0.1}\n\n  x", ":3: invalid JSON: text after the top-level value"},
        {"{\"lr\": [1, 2,]}", ":1: invalid JSON: syntax error near ']}'"},
        {"{\n  \"lr\": 0.1\n  \"n_steps\": 3\n}", ":3: invalid JSON: syntax error near '\"n_steps"},
        {"{", ":1: invalid JSON: unexpected end of file"},
        {"{}{}", ":1: invalid JSON: text after the top-level value"},
    };
    char want[700];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(p, bad[i].text);
        rlc_status s = rlc_config_load(t, &c, p);
        if (s != RLC_ERR_FORMAT) fail_msg("'%s': status %d (%s)", bad[i].text, s, rlc_last_error());
        snprintf(want, sizeof want, "%s%s", p, bad[i].msg);
        assert_contains(rlc_last_error(), want);
        assert_memory_equal(&c, &before, sizeof c);
    }
    /* Deep nesting is refused at cJSON's limit (CJSON_NESTING_LIMIT, 1000) rather than
     * recursing without bound; shallower unclosed brackets are an unexpected end. */
    char deep[1400];
    size_t k = (size_t)snprintf(deep, sizeof deep, "{\"lr\": ");
    for (int i = 0; i < 1200; i++) deep[k++] = '[';
    deep[k] = 0;
    write_text(p, deep);
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:1: invalid JSON: nested more than 1000 deep", p);
    assert_string_equal(rlc_last_error(), want);
    deep[7 + 100] = 0;
    write_text(p, deep);
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:1: invalid JSON: unexpected end of file", p);
    assert_string_equal(rlc_last_error(), want);
    write_text(p, "{}");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config_load_text(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c, before;
    rlc_config_defaults(t, &c);
    const char *p = tmp_path("cfg.txt");
    write_text(p, "# PPO settings\n\nlr = 2.5e-4\n  n_steps=64  \r\n"
                  "run_name = \"  spaced  \"\nactivation = elu\nnorm_adv = off");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_true(c.lr == 2.5e-4);
    assert_int_equal(c.n_steps, 64);
    assert_string_equal(c.run_name, "  spaced  ");
    assert_int_equal(c.activation, ACT_ELU);
    assert_int_equal(c.norm_adv, 0);

    char want[700];
    rlc_config_defaults(t, &c);
    before = c;
    write_text(p, "lr = 0.5\n# ok\nlearning_rate = 0.1\n");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_NOT_FOUND);
    snprintf(want, sizeof want, "%s:3: unknown key 'learning_rate' (see --help for the keys)", p);
    assert_string_equal(rlc_last_error(), want);
    assert_memory_equal(&c, &before, sizeof c);

    write_text(p, "lr = 0.5\nn_steps 5\n");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:2: expected key = value, got 'n_steps 5'", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "[ppo]\nlr = 0.5\n");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:1: sections like '[ppo]' are not supported", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "\n\nclip_range = -0.1\n");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_ERR_RANGE);
    snprintf(want, sizeof want, "%s:3: clip_range=-0.1 outside [0, 1]", p);
    assert_string_equal(rlc_last_error(), want);
    assert_memory_equal(&c, &before, sizeof c);

    write_text(p, "");
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config_env_defaults(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c, before;
    rlc_config_defaults(t, &c);
    const char *p = tmp_path("defaults.json");
    write_text(p, "{\n  \"_comment\": \"tuned by hand\",\n"
                  "  \"CartPole-v1\": {\"_source\": \"zoo\", \"lr\": 0.001, \"n_steps\": 32},\n"
                  "  \"Pendulum-v1\": {\"n_steps\": 2048, \"activation\": \"relu\"}\n}\n");
    int applied = -1;
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "CartPole-v1", &applied), RLC_OK);
    assert_int_equal(applied, 2);
    assert_true(c.lr == 0.001);
    assert_int_equal(c.n_steps, 32);
    assert_int_equal(c.activation, ACT_TANH);
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "Pendulum-v1", &applied), RLC_OK);
    assert_int_equal(applied, 2);
    assert_int_equal(c.n_steps, 2048);
    assert_int_equal(c.activation, ACT_RELU);

    before = c;
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "Acrobot-v1", &applied), RLC_OK);
    assert_int_equal(applied, 0);
    assert_memory_equal(&c, &before, sizeof c);

    /* A typo in any entry fails every run, naming the file and the entry. */
    write_text(p, "{\"CartPole-v1\": {\"lr\": 0.001}, \"Pendulum-v1\": {\"n_step\": 5}}");
    applied = -1;
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "CartPole-v1", &applied),
                     RLC_ERR_NOT_FOUND);
    char want[700];
    snprintf(want, sizeof want, "%s: Pendulum-v1: unknown key 'n_step'; did you mean 'n_steps'?",
             p);
    assert_string_equal(rlc_last_error(), want);
    assert_int_equal(applied, -1);
    assert_memory_equal(&c, &before, sizeof c);

    write_text(p, "{\"CartPole-v1\": 3}");
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "CartPole-v1", NULL),
                     RLC_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: CartPole-v1: expected an object of key: value", p);
    assert_string_equal(rlc_last_error(), want);

    write_text(p, "lr = 3\n");
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, p, "CartPole-v1", NULL),
                     RLC_ERR_FORMAT);
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, tmp_path("nope.json"), "X", NULL),
                     RLC_ERR_IO);
    assert_memory_equal(&c, &before, sizeof c);
}

static const char k_json_defaults[] = "{\n"
                                      "  \"lr\": 0.0003,\n"
                                      "  \"clip_range\": 0.2,\n"
                                      "  \"max_grad_norm\": 0.5,\n"
                                      "  \"n_steps\": 128,\n"
                                      "  \"total_timesteps\": 1000000,\n"
                                      "  \"norm_adv\": true,\n"
                                      "  \"run_name\": \"\",\n"
                                      "  \"activation\": \"tanh\"\n"
                                      "}\n";

static void test_config_json_output(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    tcfg c;
    rlc_config_defaults(t, &c);
    char *json = NULL;
    assert_int_equal(rlc_config_to_json(t, &c, &json), RLC_OK);
    assert_string_equal(json, k_json_defaults);
    rlc_free(json);

    /* Every type round-trips through a saved file, including inf and awkward strings. */
    assert_int_equal(rlc_config_set(t, &c, "lr", "0.1"), RLC_OK);
    assert_int_equal(rlc_config_set(t, &c, "clip_range", "0.30000000000000004"), RLC_OK);
    assert_int_equal(rlc_config_set(t, &c, "max_grad_norm", "inf"), RLC_OK);
    assert_int_equal(rlc_config_set(t, &c, "run_name", "say \"hi\"\\ \t tab"), RLC_OK);
    assert_int_equal(rlc_config_set(t, &c, "activation", "elu"), RLC_OK);
    assert_int_equal(rlc_config_set(t, &c, "norm_adv", "false"), RLC_OK);
    assert_int_equal(rlc_config_to_json(t, &c, &json), RLC_OK);
    assert_contains(json, "\"clip_range\": 0.30000000000000004,\n");
    assert_contains(json, "\"max_grad_norm\": \"inf\",\n");
    assert_contains(json, "\"run_name\": \"say \\\"hi\\\"\\\\ \\u0009 tab\",\n");
    rlc_free(json);
    const char *p = tmp_path("resolved.json");
    assert_int_equal(rlc_config_save(t, &c, p), RLC_OK);
    tcfg back;
    rlc_config_defaults(t, &back);
    assert_int_equal(rlc_config_load(t, &back, p), RLC_OK);
    assert_memory_equal(&c, &back, sizeof c);

    /* Saving over an existing file replaces it; no temporary file is left behind. */
    rlc_config_defaults(t, &c);
    assert_int_equal(rlc_config_save(t, &c, p), RLC_OK);
    char *text = read_text(p);
    assert_string_equal(text, k_json_defaults);
    free(text);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp >/dev/null", rlc_test_tmpdir());
    assert_int_not_equal(system(cmd), 0);

    assert_int_equal(rlc_config_save(t, &c, tmp_path("no/such/dir/x.json")), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "no/such/dir/x.json");
}

static const char k_help[] =
    "  lr               real    0.0003   [0, 1]             Adam learning rate\n"
    "  clip_range       real    0.2      [0, 1]             PPO clip range\n"
    "  max_grad_norm    real    0.5      [0, inf]           gradient norm clip (inf disables it)\n"
    "  n_steps          int     128      [1, 1048576]       rollout length per env\n"
    "  total_timesteps  int     1000000  [1, 1e+15]         environment steps to train for\n"
    "  norm_adv         bool    true                        normalise advantages per minibatch\n"
    "  run_name         string  \"\"                          name shown in logs\n"
    "  activation       enum    tanh     {tanh, relu, elu}  hidden-layer activation\n";

static void test_config_help(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    char *h = NULL;
    assert_int_equal(rlc_config_help(t, NULL, &h), RLC_OK);
    assert_string_equal(h, k_help);
    rlc_free(h);

    /* With a struct: its current values in the default column. */
    tcfg c;
    rlc_config_defaults(t, &c);
    assert_int_equal(rlc_config_set(t, &c, "n_steps", "2048"), RLC_OK);
    assert_int_equal(rlc_config_help(t, &c, &h), RLC_OK);
    assert_contains(h, "  n_steps          int     2048     [1, 1048576]       rollout");
    rlc_free(h);

    /* Long docs wrap at 100 columns under the doc column. */
    rlc_config_field f = t->fields[0];
    f.doc = "a very long description that goes on and on about the learning rate and how it "
            "is annealed linearly to zero over the course of training";
    rlc_config_table one = {"one", &f, 1, sizeof(tcfg)};
    assert_int_equal(rlc_config_help(&one, NULL, &h), RLC_OK);
    assert_string_equal(h, "  lr  real    0.0003  [0, 1]  a very long description that goes on and "
                           "on about the learning rate\n"
                           "                              and how it is annealed linearly to zero "
                           "over the course of training\n");
    for (char *line = h; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *e = strchr(line, '\n');
        if (!e) break;
        assert_true(e - line <= 100);
    }
    rlc_free(h);
}

static void test_config_multi(void **st) {
    (void)st;
    tcfg a;
    train_cfg b;
    rlc_config_defaults(tcfg_table(), &a);
    rlc_config_defaults(train_table(), &b);
    rlc_config_ref refs[2] = {{train_table(), &b}, {tcfg_table(), &a}};
    assert_int_equal(rlc_config_assign_n(refs, 2, "seed=7"), RLC_OK);
    assert_int_equal(rlc_config_assign_n(refs, 2, "lr=0.01"), RLC_OK);
    assert_int_equal(b.seed, 7);
    assert_true(a.lr == 0.01);
    assert_int_equal(rlc_config_set_n(refs, 2, "sede", "1"), RLC_ERR_NOT_FOUND);
    assert_string_equal(rlc_last_error(), "unknown key 'sede'; did you mean 'seed'?");

    const char *p = tmp_path("multi.json");
    write_text(p, "{\"env\": \"Pendulum-v1\", \"n_steps\": 16, \"seed\": 4294967295}");
    assert_int_equal(rlc_config_load_n(refs, 2, p), RLC_OK);
    assert_string_equal(b.env, "Pendulum-v1");
    assert_int_equal(b.seed, 4294967295LL);
    assert_int_equal(a.n_steps, 16);
    write_text(p, "{\"env\": \"Acrobot-v1\", \"n_steps\": 0}");
    assert_int_equal(rlc_config_load_n(refs, 2, p), RLC_ERR_RANGE);
    assert_string_equal(b.env, "Pendulum-v1"); /* all-or-nothing across tables */

    char *json = NULL;
    assert_int_equal(rlc_config_to_json_n(refs, 2, &json), RLC_OK);
    assert_true(strncmp(json, "{\n  \"seed\": 4294967295,\n  \"env\": \"Pendulum-v1\",\n  \"lr\": "
                              "0.01,\n",
                        60) == 0);
    rlc_free(json);
    const char *q = tmp_path("multi_out.json");
    assert_int_equal(rlc_config_save_n(refs, 2, q), RLC_OK);
    tcfg a2;
    train_cfg b2;
    rlc_config_defaults(tcfg_table(), &a2);
    rlc_config_defaults(train_table(), &b2);
    rlc_config_ref refs2[2] = {{train_table(), &b2}, {tcfg_table(), &a2}};
    assert_int_equal(rlc_config_load_n(refs2, 2, q), RLC_OK);
    assert_memory_equal(&a, &a2, sizeof a);
    assert_memory_equal(&b, &b2, sizeof b);
    assert_int_equal(rlc_config_load_n(refs, 0, q), RLC_ERR_INVALID);
}

/* Every rlc allocation of a file load may fail: the result is NOMEM, the struct unchanged and
 * nothing leaked. (cJSON allocates with malloc, outside the hook: rlc installs no cJSON hooks,
 * which the end of this test checks.) */
static void test_config_alloc_failures(void **st) {
    (void)st;
    const rlc_config_table *t = tcfg_table();
    const char *p = tmp_path("oom.json");
    write_text(p, "{\"lr\": 0.001, \"n_steps\": 256, \"run_name\": \"abc\"}");
    const char *q = tmp_path("oom_env.json");
    write_text(q, "{\"A\": {\"lr\": 0.5}, \"B\": {\"n_steps\": 3}}");
    for (int which = 0; which < 4; which++) {
        int ok = 0, failures = 0;
        for (long n = 1; n < 200 && !ok; n++) {
            tcfg c, before;
            rlc_config_defaults(t, &c);
            before = c;
            long long live = rlc_alloc_live();
            char *out = NULL;
            rlc_alloc_fail_after(n);
            rlc_status s = which == 0   ? rlc_config_load(t, &c, p)
                           : which == 1 ? rlc_config_apply_env_defaults(t, &c, q, "B", NULL)
                           : which == 2 ? rlc_config_to_json(t, &c, &out)
                                        : rlc_config_help(t, &c, &out);
            rlc_alloc_fail_reset();
            if (s == RLC_OK) {
                ok = 1;
                rlc_free(out);
            } else {
                assert_int_equal(s, RLC_ERR_NOMEM);
                assert_memory_equal(&c, &before, sizeof c);
                assert_null(out);
                failures++;
            }
            assert_int_equal(rlc_alloc_live(), live);
        }
        assert_true(ok);
        assert_true(failures >= (which < 2 ? 2 : 1)); /* read_file, scratch copies */
    }
    /* A caller's own cJSON objects still come from malloc after rlc has parsed JSON. */
    tcfg c;
    rlc_config_defaults(t, &c);
    assert_int_equal(rlc_config_load(t, &c, p), RLC_OK);
    long long live = rlc_alloc_live();
    cJSON *mine = cJSON_CreateObject();
    assert_non_null(cJSON_AddNumberToObject(mine, "x", 1));
    assert_int_equal(rlc_alloc_live(), live);
    cJSON_Delete(mine);
}

RLC_TESTS(io_config, cmocka_unit_test(test_config_table), cmocka_unit_test(test_config_set_values),
          cmocka_unit_test(test_config_set_errors), cmocka_unit_test(test_config_load_json),
          cmocka_unit_test(test_config_json_reader), cmocka_unit_test(test_config_load_text),
          cmocka_unit_test(test_config_env_defaults),
          cmocka_unit_test(test_config_json_output), cmocka_unit_test(test_config_help),
          cmocka_unit_test(test_config_multi), cmocka_unit_test(test_config_alloc_failures))
