/* Internal: CRC-32C, TFRecord framing and a hand-written protobuf encoder for TensorBoard scalar
 * event files (used by the run logger in log.c; tests include it to check the pieces). */
#ifndef RLC_IO_TFEVENTS_IMPL_H
#define RLC_IO_TFEVENTS_IMPL_H

#include <stdint.h>
#include <stdio.h>

#include "rlc/core.h"

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from `crc` (start with 0):
 * rlc__crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t rlc__crc32c(uint32_t crc, const void *data, size_t n);
/* TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8 of the CRC-32C of data. */
uint32_t rlc__crc32c_masked(const void *data, size_t n);

/* Event encoders. Each writes the protobuf bytes into *buf (grown with rlc_realloc; *cap its
 * size) and returns the length, or 0 when out of memory (rlc_last_error set).
 *   file_version: Event{wall_time=1 (double), file_version=3 (string)}
 *   scalars:      Event{wall_time=1, step=2 (int64), summary=5 {value=1 (repeated)
 *                 {tag=1 (string), simple_value=2 (float)}}} */
size_t rlc__tfevents_encode_version(uint8_t **buf, size_t *cap, double wall_time,
                                    const char *version);
size_t rlc__tfevents_encode_scalars(uint8_t **buf, size_t *cap, double wall_time, int64_t step,
                                    int n, const char *const *tags, const double *values);

/* Writes one TFRecord (u64 length LE, masked CRC of the length, data, masked CRC of the data)
 * to fp. Returns 0 on success, -1 when a write fails (errno set). */
int rlc__tfrecord_write(FILE *fp, const void *data, size_t n);

/* An events file being written. */
typedef struct rlc__tfevents rlc__tfevents;

/* Creates "<dir>/events.out.tfevents.<time>.<host>" (exclusively; ".1", ".2", ... appended if
 * the name is taken) and writes the file_version record. Errors: RLC_ERR_IO, RLC_ERR_NOMEM. */
rlc_status rlc__tfevents_open(rlc__tfevents **out, const char *dir, const char *host,
                              double wall_time);
/* Appends one scalars Event. Errors: RLC_ERR_IO (disk full etc.), RLC_ERR_NOMEM. */
rlc_status rlc__tfevents_scalars(rlc__tfevents *w, double wall_time, int64_t step, int n,
                                 const char *const *tags, const double *values);
rlc_status rlc__tfevents_flush(rlc__tfevents *w);
const char *rlc__tfevents_path(const rlc__tfevents *w);
/* Flushes, closes and frees (always); returns the first error. Accepts NULL. */
rlc_status rlc__tfevents_close(rlc__tfevents *w);

/* Wall-clock time (seconds since 1970, with fraction) for Event.wall_time. */
double rlc__wall_time(void);

#endif
