/* safetensors checkpoints (Hugging Face's format): a writer that saves named tensors plus string
 * metadata atomically, and a validating reader that loads a whole file into memory. */
#ifndef RLC_SAFETENSORS_H
#define RLC_SAFETENSORS_H

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* File layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON header
 *   {"__metadata__": {"key": "value", ...},
 *    "name": {"dtype": "F32", "shape": [64, 17], "data_offsets": [begin, end]}, ...}
 * padded with spaces so that 8 + N is a multiple of 8, then the data buffer. Offsets are
 * relative to the buffer; tensors are stored row-major, little-endian, and tile the buffer
 * exactly (no gaps, no overlap, nothing after the last one). */

/* Element types. The names are the format's dtype strings. Every type can be written and read
 * as raw bytes (rlc does no dtype conversion). */
typedef enum rlc_st_dtype {
    RLC_ST_F32 = 0,
    RLC_ST_F64,
    RLC_ST_I64,
    RLC_ST_I32,
    RLC_ST_U8,
    RLC_ST_BOOL, /* one byte per element, 0 or 1 */
    RLC_ST_F16,
    RLC_ST_BF16,
    RLC_ST_I8,
    RLC_ST_I16,
    RLC_ST_U16,
    RLC_ST_U32,
    RLC_ST_U64,
    RLC_ST_F8_E4M3,
    RLC_ST_F8_E5M2,
    RLC_ST_DTYPE_COUNT
} rlc_st_dtype;

/* Bytes per element (0 for an invalid value). */
RLC_API size_t rlc_st_dtype_size(rlc_st_dtype dt);
/* The format's name ("F32", "BOOL", ...), or "?" for an invalid value. Never NULL. */
RLC_API const char *rlc_st_dtype_name(rlc_st_dtype dt);
/* Looks a dtype up by its name (case-sensitive). RLC_ERR_NOT_FOUND if unknown; *out untouched
 * on failure. */
RLC_API rlc_status rlc_st_dtype_parse(const char *name, rlc_st_dtype *out);

/* Largest header accepted by the reader (the reference implementation's limit). */
#define RLC_ST_MAX_HEADER 100000000u

/* ======================================================================================== */
/* Writer                                                                                    */
/* ======================================================================================== */

typedef struct rlc_st_writer rlc_st_writer;

/* An empty writer; NULL if out of memory (rlc_last_error() says so). Free with
 * rlc_st_writer_destroy. */
RLC_API rlc_st_writer *rlc_st_writer_create(void);
/* Frees the writer and its copies; accepts NULL. */
RLC_API void rlc_st_writer_destroy(rlc_st_writer *w);

/* Adds tensor `name` (copied) of `ndim` dimensions (0 for a scalar; shape may then be NULL)
 * with `shape[ndim]` (each >= 0) and row-major data of size_of(dt) * prod(shape) bytes.
 * The data is NOT copied: it is referenced and must stay valid and unchanged until the last
 * rlc_st_writer_save() (so a training loop can checkpoint its parameter blocks without a copy).
 * `data` may be NULL only when the tensor has no elements.
 * Errors: RLC_ERR_INVALID for a NULL/empty name, the name "__metadata__", a name already
 * added, an invalid dtype, ndim < 0 or a negative dimension; RLC_ERR_RANGE if the byte size
 * overflows; RLC_ERR_NOMEM. The writer is unchanged on failure. */
RLC_API rlc_status rlc_st_writer_add(rlc_st_writer *w, const char *name, rlc_st_dtype dt, int ndim,
                                     const int64_t *shape, const void *data);
/* As rlc_st_writer_add, but copies the data, so the caller's buffer may go away at once. */
RLC_API rlc_status rlc_st_writer_add_copy(rlc_st_writer *w, const char *name, rlc_st_dtype dt,
                                          int ndim, const int64_t *shape, const void *data);
/* Sets metadata `key` to `value` (both copied; a later call with the same key replaces the
 * value). Errors: RLC_ERR_INVALID for NULL key or value, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_st_writer_set_meta(rlc_st_writer *w, const char *key, const char *value);

/* Writes the file. The header lists "__metadata__" first (if any metadata was set), then the
 * tensors in the order they were added. The data buffer holds the tensors ordered by element
 * size, largest first, keeping the order of addition among equal sizes, so every tensor is
 * aligned to its element size in the file (like the reference implementation does).
 * Atomic: the bytes go to a temporary "path.tmp.XXXXXX" in the same directory, which is
 * fsync'ed and then renamed over `path`, so an existing file is never left half-written.
 * Errors: RLC_ERR_INVALID for a NULL path, RLC_ERR_IO (message names the path and errno
 * text; the temporary is removed), RLC_ERR_NOMEM. The writer can be saved again. */
RLC_API rlc_status rlc_st_writer_save(rlc_st_writer *w, const char *path);

/* ======================================================================================== */
/* Reader                                                                                    */
/* ======================================================================================== */

typedef struct rlc_st_file rlc_st_file;

/* Most dimensions a tensor may have (reader and writer). */
#define RLC_ST_MAX_DIMS 64

/* One tensor of a loaded file; owned by the file, valid until rlc_st_file_destroy. */
typedef struct rlc_st_tensor {
    const char *name;
    rlc_st_dtype dtype;
    int ndim;
    const int64_t *shape; /* ndim entries; a valid pointer even when ndim is 0 */
    int64_t numel;        /* product of the shape (1 for a scalar) */
    size_t nbytes;
    /* The raw little-endian bytes. The buffer itself is 16-byte aligned, so the data is aligned
     * whenever the file's offsets are multiples of the element size (always true for files
     * written by rlc or the reference implementation); use rlc_st_read_into or memcpy when
     * reading files of unknown origin. */
    const void *data;
} rlc_st_tensor;

/* Reads and validates the whole file at `path` (header and data go into memory). On success
 * *out is a new file object (free with rlc_st_file_destroy); on failure *out is untouched and
 * the message names the path and the problem. Everything is checked before success:
 * RLC_ERR_NOT_FOUND if the file does not exist; RLC_ERR_IO for other open/read failures;
 * RLC_ERR_FORMAT for a file shorter than 8 bytes, a header length beyond the file or
 * RLC_ST_MAX_HEADER ("header length ... exceeds"), a header that is not JSON or not an object, a
 * tensor entry without a valid dtype, shape or data_offsets, an unknown dtype, offsets that
 * disagree with shape and dtype, offsets outside the data buffer, tensors that overlap or leave
 * gaps, a truncated file or trailing bytes, a duplicate name, metadata that is not an object of
 * strings; RLC_ERR_RANGE for sizes that overflow; RLC_ERR_NOMEM; RLC_ERR_UNSUPPORTED on a
 * big-endian host. The header is parsed with cJSON using its default allocator:
 * rlc never installs cJSON hooks (cJSON_InitHooks is process-global), so a program may use cJSON
 * itself freely. cJSON's allocations during a load are therefore not made through rlc_malloc
 * (not counted by rlc_alloc_live, not failed by rlc_alloc_fail_after); a malloc failure inside
 * cJSON is still reported as RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_st_load(const char *path, rlc_st_file **out);
/* Frees the file and everything it handed out; accepts NULL. */
RLC_API void rlc_st_file_destroy(rlc_st_file *f);

/* Number of tensors. */
RLC_API int rlc_st_count(const rlc_st_file *f);
/* Tensor `i` (0 <= i < count) in header order, or NULL if out of range. */
RLC_API const rlc_st_tensor *rlc_st_at(const rlc_st_file *f, int i);
/* Tensor called `name`, or NULL if there is none (no error is set). */
RLC_API const rlc_st_tensor *rlc_st_get(const rlc_st_file *f, const char *name);
/* Metadata value of `key`, or NULL if absent. Owned by the file. */
RLC_API const char *rlc_st_meta(const rlc_st_file *f, const char *key);
/* Number of metadata entries, and entry `i` in header order (RLC_ERR_RANGE if out of range;
 * the strings are owned by the file). */
RLC_API int rlc_st_meta_count(const rlc_st_file *f);
RLC_API rlc_status rlc_st_meta_at(const rlc_st_file *f, int i, const char **key,
                                  const char **value);

/* Copies tensor `name` into `dst` (nbytes of it) after checking that it exists
 * (RLC_ERR_NOT_FOUND), has dtype `dt` and exactly the shape `shape[ndim]` (RLC_ERR_FORMAT, e.g.
 * "tensor 'actor.w0': shape [64, 17] in file, expected [64, 18]"). dst is untouched on failure;
 * it may be NULL only for an empty tensor. */
RLC_API rlc_status rlc_st_read_into(const rlc_st_file *f, const char *name, rlc_st_dtype dt,
                                    int ndim, const int64_t *shape, void *dst);

#ifdef __cplusplus
}
#endif
#endif
