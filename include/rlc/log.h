/* Run logging: the run folder, a logger writing progress.csv, progress.jsonl and TensorBoard
 * event files, and the console progress display (an updating line on a terminal). */
#ifndef RLC_LOG_H
#define RLC_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Run folder                                                                                */
/* ======================================================================================== */

/* Makes the run folder `path` (and missing parents, mode 0755). An existing empty folder is
 * fine. An existing non-empty folder is refused unless `force` is non-zero, with
 *   "run folder 'runs/x' already exists and is not empty; use --force to overwrite it or
 *    --resume to continue it"
 * With force nothing is deleted: files rlc writes are replaced, other files stay (an older
 * events.out.tfevents.* file would still be read by TensorBoard). Errors: RLC_ERR_STATE for
 * the refusal, RLC_ERR_IO when the path exists but is not a folder or cannot be created,
 * RLC_ERR_INVALID for NULL/empty path. */
RLC_API rlc_status rlc_run_dir_create(const char *path, int force);

/* ======================================================================================== */
/* Logger                                                                                    */
/* ======================================================================================== */

/* A logger collects a row of scalars with rlc_logger_record and writes it with
 * rlc_logger_dump(step) to:
 *   progress.csv     first column "step", then one column per key in order of first
 *                    appearance; a key missing from a row leaves its cell empty. A key that
 *                    first appears in a later row appends a column: the file is rewritten
 *                    once (through a temporary file) with the longer header and earlier rows
 *                    padded with empty cells, as Stable-Baselines3 does. Keys are quoted
 *                    (RFC 4180) when they contain ',' or '"'.
 *   progress.jsonl   one object per row: {"step": 1000, "key": value, ...} with the keys of
 *                    that row in column order. NaN and infinities are written as NaN,
 *                    Infinity, -Infinity (what Python's json module reads and writes).
 *   events.out.tfevents.<unix time>.<host>  TensorBoard scalars: one Event per row with
 *                    wall_time, step and a Summary holding every value as simple_value
 *                    (float32); the first record is the "brain.Event:2" file_version Event.
 *                    If the name exists, ".1", ".2", ... is appended.
 * Numbers in text are the shortest form that reads back exactly ("0.1", "1000000").
 * Files are opened once (except the CSV rewrite above) and flushed at most every
 * flush_interval seconds, at rlc_logger_flush and at close; every write is checked: a failed
 * write (disk full) makes that call and every later dump/flush/close return the same error
 * (RLC_ERR_IO; RLC_ERR_NOMEM likewise if a dump runs out of memory). Not thread-safe. */
typedef struct rlc_logger rlc_logger;

typedef struct rlc_logger_options {
    int csv;               /* write progress.csv (default 1) */
    int jsonl;             /* write progress.jsonl (default 1) */
    int tensorboard;       /* write an events file (default 1) */
    int append;            /* resume: keep existing progress.csv/jsonl rows and add to them;
                              the CSV's columns come from its header (default 0: start afresh) */
    double flush_interval; /* seconds between flushes (default 5; 0 flushes every row) */
    const char *hostname;  /* host part of the events file name; NULL: gethostname() */
} rlc_logger_options;

/* Fills *o with the defaults above. */
RLC_API void rlc_logger_options_init(rlc_logger_options *o);

/* Opens a logger writing into the existing folder `dir` (see rlc_run_dir_create); opts NULL
 * means defaults. On success *out owns the logger: finish with rlc_logger_close. Errors (out
 * untouched, nothing left open): RLC_ERR_INVALID for NULL out/dir, RLC_ERR_IO naming the file
 * that cannot be opened, RLC_ERR_FORMAT for an unreadable CSV header when appending,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_logger_create(rlc_logger **out, const char *dir,
                                     const rlc_logger_options *opts);

/* Sets `key` to `value` in the current row (a second call with the same key replaces the
 * value). The key is copied the first time it is seen; later calls allocate nothing. Keys are
 * 1..200 bytes without control characters; "step" is reserved. TensorBoard groups tags by
 * the part before '/', e.g. "charts/episodic_return". Errors: RLC_ERR_INVALID for a bad key
 * or NULL logger, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_logger_record(rlc_logger *lg, const char *key, double value);

/* Writes the current row with `step` to every output and starts a new, empty row (the row is
 * cleared on failure too). A row with no values writes nothing. Allocates nothing unless a
 * CSV column is added. Errors: RLC_ERR_IO and RLC_ERR_NOMEM (sticky, see above),
 * RLC_ERR_INVALID for NULL. */
RLC_API rlc_status rlc_logger_dump(rlc_logger *lg, int64_t step);

/* Flushes every file to the operating system. Errors: RLC_ERR_IO, RLC_ERR_INVALID. */
RLC_API rlc_status rlc_logger_flush(rlc_logger *lg);

/* Number of rows written so far (0 for NULL). */
RLC_API int64_t rlc_logger_rows(const rlc_logger *lg);

/* The run folder, and the events file path (NULL when TensorBoard output is off). Owned by
 * the logger. */
RLC_API const char *rlc_logger_dir(const rlc_logger *lg);
RLC_API const char *rlc_logger_events_path(const rlc_logger *lg);

/* Flushes and closes every file and frees the logger (in every case: do not use it after).
 * An unwritten row (records since the last dump) is dropped. Returns the first error of the
 * flushes/closes, or a sticky earlier write error. Accepts NULL (RLC_OK). */
RLC_API rlc_status rlc_logger_close(rlc_logger *lg);

/* As rlc_logger_close, ignoring errors. Accepts NULL. */
RLC_API void rlc_logger_destroy(rlc_logger *lg);

/* ======================================================================================== */
/* Progress display                                                                          */
/* ======================================================================================== */

/* On a terminal: one line redrawn in place ('\r', then "\x1b[K" to clear the rest)
 *   ppo CartPole-v1 [=======>            ]  37% 370k/1M  12.3k steps/s  return 195.2  ETA 51s
 * Elsewhere (a log file, CI): a plain line every `interval` seconds
 *   ppo CartPole-v1 step 370000/1000000 (37%)  12.3k steps/s  return 195.2 (100 ep)
 *   elapsed 30s  ETA 51s                                           (all on one line)
 * The mean return is over the last `window` finished episodes ("-" before the first). */
typedef struct rlc_progress rlc_progress;

typedef struct rlc_progress_options {
    FILE *out;           /* where to draw; NULL: stderr */
    int tty;             /* -1: isatty(out) decides (default); 0: plain lines; 1: one line */
    double interval;     /* plain mode: seconds between lines (default 10) */
    double tty_interval; /* terminal mode: seconds between redraws (default 0.1) */
    int width;           /* terminal mode line width; 0: $COLUMNS or the terminal's, else 80 */
    int window;          /* episodes in the mean return (default 100) */
    int64_t start_step;  /* first step of this process (resumed runs), for steps/s and ETA */
    const char *label;   /* text before the line, e.g. "ppo CartPole-v1" (copied); NULL: none */
} rlc_progress_options;

/* Fills *o with the defaults above. */
RLC_API void rlc_progress_options_init(rlc_progress_options *o);

/* A progress display for a run of `total_steps` steps (<= 0: unknown total, so no bar,
 * percentage or ETA). On success *out owns it (free with rlc_progress_destroy). Errors:
 * RLC_ERR_INVALID for NULL out or window < 1, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_progress_create(rlc_progress **out, int64_t total_steps,
                                       const rlc_progress_options *opts);

/* Records a finished episode's return. Allocates nothing. NULL is ignored. */
RLC_API void rlc_progress_episode(rlc_progress *p, double episode_return);

/* Reports the current step; draws when the interval has passed (cheap otherwise: one clock
 * read). Output errors are ignored (it is a display). NULL is ignored. */
RLC_API void rlc_progress_update(rlc_progress *p, int64_t step);

/* Draws the final state (and ends the terminal line with a newline). NULL is ignored. */
RLC_API void rlc_progress_finish(rlc_progress *p, int64_t step);

/* Frees the display; accepts NULL. Does not close `out`. */
RLC_API void rlc_progress_destroy(rlc_progress *p);

/* The numbers one line shows; rlc_progress_format_line turns them into text. */
typedef struct rlc_progress_stats {
    int64_t step;       /* current step */
    int64_t start_step; /* step when timing started */
    int64_t total;      /* total steps (<= 0: unknown) */
    double elapsed;     /* seconds since timing started */
    double mean_return; /* mean of the recent returns */
    int n_returns;      /* how many returns the mean covers (0: none yet) */
} rlc_progress_stats;

/* Deterministic formatters (all write a NUL-terminated string of at most cap - 1 bytes into
 * buf and return buf; cap must be >= 1):
 *   eta:    "?" (negative or non-finite or above 10^9 s), "0s", "59s", "1m05s", "59m59s",
 *           "1h00m", "23h59m", "1d00h" ... (seconds rounded to nearest, then truncated)
 *   count:  "999", "1.23k", "12.3k", "123k", "1M", "1.5M", "2G" (3 significant digits,
 *           trailing zeros dropped)
 *   line:   the terminal form when tty is non-zero (fitted into width - 1 columns: the bar
 *           shrinks, then disappears, then the text is cut), else the plain form. */
RLC_API char *rlc_progress_format_eta(double seconds, char *buf, size_t cap);
RLC_API char *rlc_progress_format_count(double n, char *buf, size_t cap);
RLC_API char *rlc_progress_format_line(const rlc_progress_stats *s, const char *label, int tty,
                                       int width, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
