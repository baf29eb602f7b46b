/* Configuration tables: an algorithm lists its hyperparameters once as an X-macro, which
 * generates the C struct, a descriptor table, the defaults, key=value parsing, file loading,
 * JSON output and --help text. */
#ifndef RLC_CONFIG_H
#define RLC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Declaring a table                                                                        */
/* ======================================================================================== */

/* An algorithm writes one list; each entry names its type first:
 *
 *   #define PPO_FIELDS(X)                                                                \
 *       X(REAL, lr, 3e-4, 0, 1, "Adam learning rate")                                    \
 *       X(INT, n_steps, 128, 1, 1 << 20, "rollout length per env")                       \
 *       X(BOOL, norm_adv, 1, "normalise advantages per minibatch")                       \
 *       X(STRING, run_name, "", "name shown in logs")                                    \
 *       X(ENUM, activation, "tanh", "tanh|relu|elu", "hidden-layer activation")
 *
 *   RLC_CONFIG_STRUCT(ppo_config, PPO_FIELDS);               // in a header: the struct type
 *   const rlc_config_table *ppo_config_table(void);          // its prototype, same header
 *   RLC_CONFIG_TABLE(ppo_config_table, ppo_config, PPO_FIELDS) // in one .c file
 *
 * Entry forms and the C member each one becomes:
 *   X(REAL,   name, default, lo, hi, doc)   double name;   finite default in [lo, hi]
 *   X(INT,    name, default, lo, hi, doc)   int64_t name;  integral default in [lo, hi]
 *   X(BOOL,   name, default, doc)           int name;      0 or 1
 *   X(STRING, name, default, doc)           char name[RLC_CONFIG_STR_MAX];  NUL-terminated
 *   X(ENUM,   name, default, choices, doc)  int name;      index into "a|b|c" (0-based)
 * Ranges are inclusive and written as doubles (INFINITY from <math.h> is allowed for REAL;
 * INT bounds should stay within +-2^53 to be exact). ENUM defaults are written as the choice
 * name; declare a C enum in the same order as the choices to use the stored index.
 * rlc_config_table_check() verifies a table (unique names, defaults in range); call it from
 * the algorithm's tests. */

/* Longest STRING value, including its terminating NUL. */
#define RLC_CONFIG_STR_MAX 256

typedef enum rlc_config_type {
    RLC_CONFIG_REAL = 0, /* double */
    RLC_CONFIG_INT,      /* int64_t */
    RLC_CONFIG_BOOL,     /* int, 0 or 1 */
    RLC_CONFIG_STRING,   /* char[RLC_CONFIG_STR_MAX] */
    RLC_CONFIG_ENUM      /* int, index into the choices */
} rlc_config_type;

/* One hyperparameter. Plain data, so bindings (Python ctypes) can read it directly. */
typedef struct rlc_config_field {
    const char *name;     /* C identifier, also the key in --set, files and JSON */
    rlc_config_type type; /* storage type, see above */
    size_t offset;        /* offsetof(struct, name) */
    double def;           /* default of REAL, INT and BOOL fields */
    const char *def_str;  /* default of STRING fields and ENUM fields (a choice); else NULL */
    double lo, hi;        /* inclusive range of REAL and INT fields; else 0, 0 */
    const char *choices;  /* ENUM: the choices separated by '|', e.g. "tanh|relu"; else NULL */
    const char *doc;      /* one-line description for --help */
} rlc_config_field;

/* A whole table: the fields in declaration order (the order of --help and of JSON output). */
typedef struct rlc_config_table {
    const char *name;               /* the struct type's name, e.g. "ppo_config" */
    const rlc_config_field *fields; /* n_fields entries */
    int n_fields;
    size_t size; /* sizeof the struct */
} rlc_config_table;

/* Internal expansion helpers of the macros below. */
#define RLC_CONFIG__MEMBER(type, ...) RLC_CONFIG__MEMBER_##type(__VA_ARGS__)
#define RLC_CONFIG__MEMBER_REAL(nm, d, l, h, doc) double nm;
#define RLC_CONFIG__MEMBER_INT(nm, d, l, h, doc) int64_t nm;
#define RLC_CONFIG__MEMBER_BOOL(nm, d, doc) int nm;
#define RLC_CONFIG__MEMBER_STRING(nm, d, doc) char nm[RLC_CONFIG_STR_MAX];
#define RLC_CONFIG__MEMBER_ENUM(nm, d, ch, doc) int nm;

#define RLC_CONFIG__DESC(type, ...) RLC_CONFIG__DESC_##type(__VA_ARGS__)
#define RLC_CONFIG__DESC_REAL(nm, d, l, h, doc)                                                \
    {#nm, RLC_CONFIG_REAL, offsetof(rlc_config__T, nm), (double)(d), NULL, (double)(l),         \
     (double)(h), NULL, doc},
#define RLC_CONFIG__DESC_INT(nm, d, l, h, doc)                                                 \
    {#nm, RLC_CONFIG_INT, offsetof(rlc_config__T, nm), (double)(d), NULL, (double)(l),          \
     (double)(h), NULL, doc},
#define RLC_CONFIG__DESC_BOOL(nm, d, doc)                                                      \
    {#nm, RLC_CONFIG_BOOL, offsetof(rlc_config__T, nm), (double)(d), NULL, 0, 1, NULL, doc},
#define RLC_CONFIG__DESC_STRING(nm, d, doc)                                                    \
    {#nm, RLC_CONFIG_STRING, offsetof(rlc_config__T, nm), 0, d, 0, 0, NULL, doc},
#define RLC_CONFIG__DESC_ENUM(nm, d, ch, doc)                                                  \
    {#nm, RLC_CONFIG_ENUM, offsetof(rlc_config__T, nm), 0, d, 0, 0, ch, doc},

/* `typedef struct T { ...members... } T` from the list FIELDS. */
#define RLC_CONFIG_STRUCT(T, FIELDS)                                                            \
    typedef struct T {                                                                          \
        FIELDS(RLC_CONFIG__MEMBER)                                                              \
    } T

/* Defines `const rlc_config_table *fn(void)` returning the (static, constant) table of struct
 * T built from FIELDS. Prefix with `static` for a file-local table, or with RLC_API to export
 * it (then declare the prototype in a header: -Wmissing-prototypes). A function rather than a
 * variable because the descriptors need offsetof(T, ...) and an X-macro entry cannot name T. */
#define RLC_CONFIG_TABLE(fn, T, FIELDS)                                                         \
    const rlc_config_table *fn(void) {                                                          \
        typedef T rlc_config__T;                                                                \
        static const rlc_config_field fields_[] = {FIELDS(RLC_CONFIG__DESC)};                   \
        static const rlc_config_table table_ = {#T, fields_,                                    \
                                                (int)(sizeof fields_ / sizeof fields_[0]),      \
                                                sizeof(T)};                                     \
        return &table_;                                                                         \
    }

/* ======================================================================================== */
/* Using a table                                                                            */
/* ======================================================================================== */

/* Where several tables are resolved together (the trainer's own options plus an algorithm's),
 * the _n functions take an array of (table, struct) pairs; a key is looked up in array order
 * and the first table that has it wins. */
typedef struct rlc_config_ref {
    const rlc_config_table *table;
    void *cfg; /* a struct of table->size bytes */
} rlc_config_ref;

/* "real", "int", "bool", "string", "enum" ("?" for an invalid value). Never NULL. */
RLC_API const char *rlc_config_type_name(rlc_config_type type);

/* Checks a table: non-NULL fields, names that are C identifiers and unique, offsets inside
 * the struct, lo <= hi, REAL/INT/BOOL defaults in range (INT integral, BOOL 0 or 1), STRING
 * defaults shorter than RLC_CONFIG_STR_MAX, ENUM choices non-empty and unique with the default
 * among them. Errors: RLC_ERR_INVALID naming the table and field. */
RLC_API rlc_status rlc_config_table_check(const rlc_config_table *t);

/* Fills `cfg` (t->size bytes, not NULL) with the table's defaults: zeroes it first, so padding
 * is deterministic and struct copies compare equal with memcmp. An ENUM default that is not a
 * choice (a table that fails rlc_config_table_check) gives index 0. */
RLC_API void rlc_config_defaults(const rlc_config_table *t, void *cfg);

/* The field named `key`, or NULL (no error message) if the table has none. */
RLC_API const rlc_config_field *rlc_config_find(const rlc_config_table *t, const char *key);

/* Sets field `key` from its text `value`:
 *   REAL   a decimal number as strtod reads it ("3e-4", "inf"); NaN is refused
 *   INT    an integer ("128", "-3"), also in exponent form if integral ("1e6")
 *   BOOL   true/false, 1/0, yes/no, on/off (any case)
 *   STRING any text shorter than RLC_CONFIG_STR_MAX bytes
 *   ENUM   one of the choices (exact case)
 * Errors (cfg untouched; rlc_last_error() holds the message):
 *   RLC_ERR_NOT_FOUND  "unknown key 'lrr'; did you mean 'lr'?" (closest key by edit distance,
 *                      when one is close; else "unknown key 'x' (see --help for the keys)")
 *   RLC_ERR_INVALID    "lr expects a number, got 'abc'", "n_steps expects an integer, got
 *                      '1.5'", "norm_adv expects true or false, got 'maybe'", "activation
 *                      expects one of tanh, relu, elu; got 'selu'", "run_name is longer
 *                      than 255 bytes", or NULL arguments
 *   RLC_ERR_RANGE      "clip_range=2 outside [0, 1]" (the value as written) */
RLC_API rlc_status rlc_config_set(const rlc_config_table *t, void *cfg, const char *key,
                                  const char *value);
RLC_API rlc_status rlc_config_set_n(const rlc_config_ref *refs, int n, const char *key,
                                    const char *value);

/* Applies one "key=value" assignment (a --set argument). Spaces around the key and the value
 * are ignored; the value is everything after the first '='. Errors: those of rlc_config_set,
 * and RLC_ERR_INVALID "expected key=value, got 'lr'" when there is no '=' or no key. */
RLC_API rlc_status rlc_config_assign(const rlc_config_table *t, void *cfg,
                                     const char *assignment);
RLC_API rlc_status rlc_config_assign_n(const rlc_config_ref *refs, int n,
                                       const char *assignment);

/* Loads a config file and applies every key in it. Two formats, told apart by the first
 * non-blank character ('{' means JSON):
 *   JSON   one object of key: value (RFC 8259); numbers (read from their text, so large
 *          integers stay exact), true/false and strings ("inf" may be written as a string);
 *          arrays, objects and null are errors. Syntax errors give "path:line: invalid JSON:
 *          what was expected".
 *   text   one "key = value" per line; blank lines and lines starting with '#' are skipped;
 *          a value may be double-quoted to keep spaces; "[section]" lines are errors.
 * All-or-nothing: on any error no struct is changed. Errors: RLC_ERR_IO (cannot read),
 * RLC_ERR_FORMAT (bad JSON, not an object, bad line), RLC_ERR_NOMEM, and those of
 * rlc_config_set, with the message prefixed by "path: " (text files: "path:line: "), e.g.
 * "ppo.json: unknown key 'lrr'; did you mean 'lr'?". */
RLC_API rlc_status rlc_config_load(const rlc_config_table *t, void *cfg, const char *path);
RLC_API rlc_status rlc_config_load_n(const rlc_config_ref *refs, int n, const char *path);

/* Applies tuned per-environment defaults from a data file (e.g. data/defaults/ppo.json):
 *   {"_comment": "...", "CartPole-v1": {"lr": 0.001, "n_steps": 32}, "Pendulum-v1": {...}}
 * The entry whose key equals `env_id` is applied as in rlc_config_load (keys starting with '_'
 * are skipped at both levels, for comments and provenance). A file without an entry for the
 * env changes nothing and succeeds. *applied (may be NULL) receives the number of keys set.
 * Precedence used by rlc train: table defaults < this file < --config file < --set.
 * Errors as rlc_config_load ("ppo.json: CartPole-v1: unknown key ..."); cfg and *applied
 * untouched on failure. */
RLC_API rlc_status rlc_config_apply_env_defaults(const rlc_config_table *t, void *cfg,
                                                 const char *path, const char *env_id,
                                                 int *applied);
RLC_API rlc_status rlc_config_apply_env_defaults_n(const rlc_config_ref *refs, int n,
                                                   const char *path, const char *env_id,
                                                   int *applied);

/* Writes the value of field `key` as text into buf (cap bytes, truncated, NUL-terminated):
 * numbers in shortest round-trip form ("0.0003", "128"), BOOL "true"/"false", ENUM the choice
 * name. Errors: RLC_ERR_NOT_FOUND for an unknown key, RLC_ERR_INVALID for NULL/cap 0. */
RLC_API rlc_status rlc_config_get(const rlc_config_table *t, const void *cfg, const char *key,
                                  char *buf, size_t cap);

/* The config as a JSON object, fields in table order (tables in array order), 2-space
 * indented, one key per line, ending with a newline. Non-finite REAL values are written as
 * the strings "inf", "-inf" (rlc_config_load reads them back). *out is rlc_malloc'd (free
 * with rlc_free). Errors: RLC_ERR_INVALID, RLC_ERR_NOMEM; *out untouched on failure. */
RLC_API rlc_status rlc_config_to_json(const rlc_config_table *t, const void *cfg, char **out);
RLC_API rlc_status rlc_config_to_json_n(const rlc_config_ref *refs, int n, char **out);

/* Writes rlc_config_to_json's text to `path` through a temporary file beside it renamed into
 * place, so the file is either the old one or the complete new one. Errors: RLC_ERR_IO
 * naming the path, RLC_ERR_NOMEM, RLC_ERR_INVALID. */
RLC_API rlc_status rlc_config_save(const rlc_config_table *t, const void *cfg,
                                   const char *path);
RLC_API rlc_status rlc_config_save_n(const rlc_config_ref *refs, int n, const char *path);

/* --help text for a table: one line per field, aligned columns
 *   "  name  type  default  range  doc"
 * where range is "[lo, hi]" for REAL/INT, "{a, b, c}" for ENUM and empty otherwise. The
 * default column shows the values in `cfg` when it is non-NULL (e.g. after per-env defaults),
 * else the table defaults. Lines longer than 100 columns wrap the doc onto indented
 * continuation lines. *out is rlc_malloc'd. Errors: RLC_ERR_INVALID, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_config_help(const rlc_config_table *t, const void *cfg, char **out);

#ifdef __cplusplus
}
#endif
#endif
