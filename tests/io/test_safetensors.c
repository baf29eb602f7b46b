/* safetensors: round trips, hand-made golden bytes in both directions, every corrupt-file
 * refusal with its message, atomic saves, and allocation-failure sweeps without leaks. */
#include "test.h"

#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rlc/safetensors.h"

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", rlc_test_tmpdir(), name);
    return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Reads a whole file into a malloc'ed buffer. */
static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)len + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* A file from a header text (the 8-byte length is its exact length) and data bytes. */
static void write_st(const char *path, const char *header, const void *data, size_t ndata) {
    size_t hl = strlen(header);
    unsigned char *buf = malloc(8 + hl + ndata + 1);
    assert_non_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    if (ndata) memcpy(buf + 8 + hl, data, ndata);
    write_bytes(path, buf, 8 + hl + ndata);
    free(buf);
}

/* Loading `path` fails with `code` and a message containing `msg`; the output is untouched. */
static void expect_load_error(const char *path, rlc_status code, const char *msg) {
    rlc_st_file *f = (rlc_st_file *)(uintptr_t)0x1;
    long long live = rlc_alloc_live();
    rlc_status s = rlc_st_load(path, &f);
    if (s != code)
        fail_msg("load: status %s, expected %s (%s)", rlc_status_name(s), rlc_status_name(code),
                 rlc_last_error());
    assert_contains(rlc_last_error(), msg);
    assert_ptr_equal(f, (rlc_st_file *)(uintptr_t)0x1);
    assert_int_equal(rlc_alloc_live(), live);
}

static void expect_header_error(const char *header, const void *data, size_t ndata,
                                const char *msg) {
    const char *p = tmp_path("bad.safetensors");
    write_st(p, header, data, ndata);
    expect_load_error(p, RLC_ERR_FORMAT, msg);
}

/* Number of files in the temporary directory whose name contains `part`. */
static int count_files(const char *part) {
    DIR *d = opendir(rlc_test_tmpdir());
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static void test_roundtrip(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    float a[6] = {1.0f, -2.5f, 3.25f, 0.0f, -0.0f, 1e-30f};
    double b[5] = {1.0 / 3.0, -1e300, 2.0, 0.5, 4.9e-324};
    int64_t c = -1234567890123LL;
    int32_t d[4] = {-1, 2, INT32_MIN, INT32_MAX};
    uint8_t e[7] = {0, 1, 2, 254, 255, 7, 9};
    uint8_t bools[3] = {1, 0, 1};
    uint16_t bf[4] = {0x3f80, 0xbf80, 0x0000, 0x7f80};
    const int64_t sa[2] = {2, 3}, sb[1] = {5}, sd[2] = {2, 2}, se[1] = {7}, sbool[1] = {3},
                  sbf[3] = {1, 2, 2}, sempty[2] = {0, 4};
    const char *weird = "quote\" back\\slash\nnewline \xc3\xa9t\xc3\xa9 tab\t";

    rlc_st_writer *w = rlc_st_writer_create();
    assert_non_null(w);
    assert_int_equal(rlc_st_writer_add(w, "actor.w0", RLC_ST_F32, 2, sa, a), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "b", RLC_ST_F64, 1, sb, b), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "scalar", RLC_ST_I64, 0, NULL, &c), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "ints", RLC_ST_I32, 2, sd, d), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "bytes", RLC_ST_U8, 1, se, e), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "mask", RLC_ST_BOOL, 1, sbool, bools), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "empty", RLC_ST_F32, 2, sempty, NULL), RLC_OK);
    uint16_t bf_copy[4];
    memcpy(bf_copy, bf, sizeof bf);
    assert_int_equal(rlc_st_writer_add_copy(w, weird, RLC_ST_BF16, 3, sbf, bf_copy), RLC_OK);
    memset(bf_copy, 0xee, sizeof bf_copy); /* the writer kept its own copy */
    assert_int_equal(rlc_st_writer_set_meta(w, "format", "rlc"), RLC_OK);
    assert_int_equal(rlc_st_writer_set_meta(w, "step", "1"), RLC_OK);
    assert_int_equal(rlc_st_writer_set_meta(w, "step", "12345"), RLC_OK);
    assert_int_equal(rlc_st_writer_set_meta(w, "note", weird), RLC_OK);
    const char *path = tmp_path("rt.safetensors");
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);
    assert_int_equal(count_files(".tmp."), 0);

    /* Header length is a multiple of 8 and the file is exactly 8 + N + data. */
    size_t fsz;
    unsigned char *raw = read_bytes(path, &fsz);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = (hl << 8) | raw[i];
    assert_int_equal(hl % 8, 0);
    size_t data_bytes =
        sizeof a + sizeof b + sizeof c + sizeof d + sizeof e + sizeof bools + sizeof bf;
    assert_int_equal(fsz, 8 + hl + data_bytes);
    assert_int_equal(raw[8], '{');
    free(raw);

    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), 8);
    /* Header order is the order of addition. */
    const char *names[8] = {"actor.w0", "b", "scalar", "ints", "bytes", "mask", "empty", weird};
    for (int i = 0; i < 8; i++) {
        const rlc_st_tensor *t = rlc_st_at(f, i);
        assert_non_null(t);
        assert_string_equal(t->name, names[i]);
        assert_ptr_equal(rlc_st_get(f, names[i]), t);
        size_t es = rlc_st_dtype_size(t->dtype);
        assert_int_equal((uintptr_t)t->data % es, 0); /* aligned to its element size */
    }
    assert_null(rlc_st_at(f, 8));
    assert_null(rlc_st_at(f, -1));
    assert_null(rlc_st_get(f, "nope"));
    assert_null(rlc_st_get(f, "__metadata__"));

    const rlc_st_tensor *t = rlc_st_get(f, "actor.w0");
    assert_int_equal(t->dtype, RLC_ST_F32);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    assert_int_equal(t->numel, 6);
    assert_int_equal(t->nbytes, sizeof a);
    assert_memory_equal(t->data, a, sizeof a);
    assert_memory_equal(rlc_st_get(f, "b")->data, b, sizeof b);
    t = rlc_st_get(f, "scalar");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->numel, 1);
    assert_memory_equal(t->data, &c, sizeof c);
    assert_memory_equal(rlc_st_get(f, "ints")->data, d, sizeof d);
    assert_memory_equal(rlc_st_get(f, "bytes")->data, e, sizeof e);
    assert_memory_equal(rlc_st_get(f, "mask")->data, bools, sizeof bools);
    assert_int_equal(rlc_st_get(f, "mask")->dtype, RLC_ST_BOOL);
    t = rlc_st_get(f, "empty");
    assert_int_equal(t->numel, 0);
    assert_int_equal(t->nbytes, 0);
    t = rlc_st_get(f, weird);
    assert_int_equal(t->dtype, RLC_ST_BF16);
    assert_memory_equal(t->data, bf, sizeof bf);

    assert_int_equal(rlc_st_meta_count(f), 3);
    assert_string_equal(rlc_st_meta(f, "format"), "rlc");
    assert_string_equal(rlc_st_meta(f, "step"), "12345");
    assert_string_equal(rlc_st_meta(f, "note"), weird);
    assert_null(rlc_st_meta(f, "absent"));
    const char *k, *v;
    assert_int_equal(rlc_st_meta_at(f, 1, &k, &v), RLC_OK);
    assert_string_equal(k, "step");
    assert_int_equal(rlc_st_meta_at(f, 3, &k, &v), RLC_ERR_RANGE);

    /* read_into: success, then each mismatch with its message; dst untouched on failure. */
    float got[6];
    assert_int_equal(rlc_st_read_into(f, "actor.w0", RLC_ST_F32, 2, sa, got), RLC_OK);
    assert_memory_equal(got, a, sizeof a);
    memset(got, 0x77, sizeof got);
    const int64_t wrong[2] = {2, 4};
    assert_int_equal(rlc_st_read_into(f, "actor.w0", RLC_ST_F32, 2, wrong, got), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "tensor 'actor.w0': shape [2, 3] in file, expected [2, 4]");
    assert_int_equal(rlc_st_read_into(f, "actor.w0", RLC_ST_F32, 1, sb, got), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "shape [2, 3] in file, expected [5]");
    assert_int_equal(rlc_st_read_into(f, "actor.w0", RLC_ST_F64, 2, sa, got), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "tensor 'actor.w0': dtype F32 in file, expected F64");
    assert_int_equal(rlc_st_read_into(f, "critic", RLC_ST_F32, 2, sa, got), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "no tensor 'critic'");
    for (size_t i = 0; i < sizeof got; i++)
        assert_int_equal(((unsigned char *)got)[i], 0x77);
    int64_t cc = 0;
    assert_int_equal(rlc_st_read_into(f, "scalar", RLC_ST_I64, 0, NULL, &cc), RLC_OK);
    assert_int_equal(cc, c);
    assert_int_equal(rlc_st_read_into(f, "empty", RLC_ST_F32, 2, sempty, NULL), RLC_OK);
    rlc_st_file_destroy(f);
    rlc_st_file_destroy(NULL);
    assert_int_equal(rlc_alloc_live(), live0);
}

/* The exact bytes of a small file, built by hand from the format description. */
static const char k_golden_header[] =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
    "\"b\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[0,8]}}";

static void golden_bytes(unsigned char *buf, size_t *n) {
    size_t hl = strlen(k_golden_header); /* 141 -> padded to 144 */
    size_t padded = (hl + 7) / 8 * 8;
    memset(buf, 0, 8);
    buf[0] = (unsigned char)padded;
    memcpy(buf + 8, k_golden_header, hl);
    memset(buf + 8 + hl, ' ', padded - hl);
    /* b = [[-3]] as int64, then a = [1.0, -2.5] as float32, little-endian */
    static const unsigned char data[16] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0};
    memcpy(buf + 8 + padded, data, sizeof data);
    *n = 8 + padded + sizeof data;
}

static void test_golden_bytes(void **st) {
    (void)st;
    unsigned char want[512];
    size_t nwant;
    golden_bytes(want, &nwant);
    assert_int_equal(strlen(k_golden_header), 141);
    assert_int_equal(nwant, 8 + 144 + 16);

    /* Reader: the hand-made file. */
    const char *path = tmp_path("golden.safetensors");
    write_bytes(path, want, nwant);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), 2);
    assert_string_equal(rlc_st_at(f, 0)->name, "a");
    float a[2];
    int64_t b;
    const int64_t sa[1] = {2}, sb[2] = {1, 1};
    assert_int_equal(rlc_st_read_into(f, "a", RLC_ST_F32, 1, sa, a), RLC_OK);
    assert_true(a[0] == 1.0f && a[1] == -2.5f);
    assert_int_equal(rlc_st_read_into(f, "b", RLC_ST_I64, 2, sb, &b), RLC_OK);
    assert_int_equal(b, -3);
    assert_string_equal(rlc_st_meta(f, "format"), "pt");
    rlc_st_file_destroy(f);

    /* Writer: the same content gives the same bytes (a added first, b's 8-byte elements first
     * in the buffer). */
    rlc_st_writer *w = rlc_st_writer_create();
    const float av[2] = {1.0f, -2.5f};
    const int64_t bv = -3;
    assert_int_equal(rlc_st_writer_add(w, "a", RLC_ST_F32, 1, sa, av), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "b", RLC_ST_I64, 2, sb, &bv), RLC_OK);
    assert_int_equal(rlc_st_writer_set_meta(w, "format", "pt"), RLC_OK);
    const char *out = tmp_path("golden_w.safetensors");
    assert_int_equal(rlc_st_writer_save(w, out), RLC_OK);
    rlc_st_writer_destroy(w);
    size_t ngot;
    unsigned char *got = read_bytes(out, &ngot);
    assert_int_equal(ngot, nwant);
    assert_memory_equal(got, want, nwant);
    free(got);

    /* An empty writer gives "{}" padded to 8 bytes. */
    w = rlc_st_writer_create();
    assert_int_equal(rlc_st_writer_save(w, out), RLC_OK);
    rlc_st_writer_destroy(w);
    got = read_bytes(out, &ngot);
    static const unsigned char empty[16] = {8,   0,   0,   0,   0,   0,   0,   0,
                                            '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    assert_int_equal(ngot, 16);
    assert_memory_equal(got, empty, 16);
    free(got);
    assert_int_equal(rlc_st_load(out, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), 0);
    assert_int_equal(rlc_st_meta_count(f), 0);
    rlc_st_file_destroy(f);
}

#define T8 "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":"

static void test_corrupt_files(void **st) {
    (void)st;
    unsigned char zeros[64] = {0};
    /* Missing file, short file, header length beyond the file or the limit. */
    expect_load_error(tmp_path("does-not-exist.safetensors"), RLC_ERR_NOT_FOUND, "cannot open");
    const char *p = tmp_path("short.safetensors");
    write_bytes(p, "abcde", 5);
    expect_load_error(p, RLC_ERR_FORMAT, "shorter than the 8-byte header length");
    write_bytes(p, "", 0);
    expect_load_error(p, RLC_ERR_FORMAT, "file is 0 bytes");
    unsigned char big[16] = {0xe8, 0x03, 0, 0, 0, 0, 0, 0, '{', '}'}; /* claims 1000 bytes */
    write_bytes(p, big, sizeof big);
    expect_load_error(p, RLC_ERR_FORMAT, "header length 1000 exceeds the file size");
    unsigned char huge[16] = {0, 0, 0, 0x10, 0, 0, 0, 0, '{', '}'}; /* 256 MiB */
    write_bytes(p, huge, sizeof huge);
    expect_load_error(p, RLC_ERR_FORMAT, "header length 268435456 exceeds the limit");
    unsigned char max[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    write_bytes(p, max, sizeof max);
    expect_load_error(p, RLC_ERR_FORMAT, "exceeds");
    expect_load_error(rlc_test_tmpdir(), RLC_ERR_IO, "not a regular file");

    /* Header text. */
    expect_header_error("", NULL, 0, "not valid JSON");
    expect_header_error("{\"a\": ", NULL, 0, "not valid JSON");
    expect_header_error("{} x", NULL, 0, "not valid JSON (data after");
    expect_header_error("{}{}", NULL, 0, "not valid JSON");
    expect_header_error("[1, 2]", NULL, 0, "header is not a JSON object");
    expect_header_error("\"str\"    ", NULL, 0, "header is not a JSON object");
    expect_header_error("{\"a\": 5}", NULL, 0, "tensor 'a': entry is not an object");
    expect_header_error("{\"a\": {\"shape\":[2],\"data_offsets\":[0,8]}}", zeros, 8,
                        "tensor 'a': missing dtype");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", zeros, 8,
                        "tensor 'a': missing shape");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"shape\":[2]}}", zeros, 8,
                        "tensor 'a': missing data_offsets");
    expect_header_error("{\"a\": {\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", zeros, 8,
                        "dtype is not a string");
    expect_header_error("{\"a\": {\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", zeros,
                        8, "tensor 'a': unknown dtype 'F128'");
    expect_header_error("{\"a\": {\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", zeros,
                        8, "unknown dtype 'f32'");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", zeros, 8,
                        "shape is not an array");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", zeros,
                        8, "shape is not an array");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}",
                        zeros, 8, "shape is not an array");
    expect_header_error("{\"a\": {\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}",
                        zeros, 8, "shape is not an array");
    expect_header_error("{\"a\": " T8 "[0]}}", zeros, 8, "data_offsets must be [begin, end]");
    expect_header_error("{\"a\": " T8 "[0,8,9]}}", zeros, 8, "data_offsets must be");
    expect_header_error("{\"a\": " T8 "[8,0]}}", zeros, 8, "data_offsets must be");
    expect_header_error("{\"a\": " T8 "[0,-8]}}", zeros, 8, "data_offsets must be");
    expect_header_error("{\"a\": " T8 "{\"b\":0}}}", zeros, 8, "data_offsets must be");
    /* Offsets that disagree with shape x dtype. */
    expect_header_error("{\"a\": " T8 "[0,12]}}", zeros, 12,
                        "tensor 'a': data_offsets [0, 12] span 12 bytes, but shape [2] of F32 "
                        "needs 8");
    /* A shape whose size overflows. */
    {
        const char *q = tmp_path("ovf.safetensors");
        write_st(q,
                 "{\"a\": {\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                 "\"data_offsets\":[0,8]}}",
                 zeros, 8);
        expect_load_error(q, RLC_ERR_RANGE, "size overflows");
    }
    /* Offsets outside the buffer; overlap; gap; truncation; trailing bytes. */
    expect_header_error("{\"a\": " T8 "[100,108]}}", zeros, 8,
                        "tensor 'a': data_offsets [100, 108] lie outside the data buffer (8 "
                        "bytes)");
    expect_header_error("{\"a\": " T8 "[0,8]}, \"b\": " T8 "[4,12]}}", zeros, 12,
                        "tensors 'a' and 'b' overlap");
    expect_header_error("{\"a\": " T8 "[0,8]}, \"b\": " T8 "[0,8]}}", zeros, 16,
                        "tensors 'a' and 'b' overlap");
    expect_header_error("{\"a\": " T8 "[0,8]}, \"b\": " T8 "[12,20]}}", zeros, 20,
                        "not contiguous: gap of 4 bytes before tensor 'b' at offset 12");
    expect_header_error("{\"a\": " T8 "[4,12]}}", zeros, 12, "gap of 4 bytes before tensor 'a'");
    expect_header_error("{\"a\": " T8 "[0,8]}, \"b\": " T8 "[8,16]}}", zeros, 12,
                        "file is truncated: the header describes 16 bytes of tensor data, only "
                        "12 follow it");
    expect_header_error("{\"a\": " T8 "[0,8]}, \"b\": " T8 "[8,16]}}", zeros, 20,
                        "4 unexpected bytes after the last tensor");
    expect_header_error("{}", zeros, 3, "3 unexpected bytes");
    /* Duplicates. */
    expect_header_error("{\"a\": " T8 "[0,8]}, \"a\": " T8 "[8,16]}}", zeros, 16,
                        "duplicate tensor name 'a'");
    expect_header_error("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", NULL, 0,
                        "duplicate metadata key 'k'");
    expect_header_error("{\"__metadata__\":{},\"__metadata__\":{}}", NULL, 0,
                        "duplicate '__metadata__'");
    /* Metadata: strings only. */
    expect_header_error("{\"__metadata__\":{\"k\":1}}", NULL, 0,
                        "__metadata__ value of 'k' is not a string");
    expect_header_error("{\"__metadata__\":[\"k\"]}", NULL, 0,
                        "__metadata__ is not an object of strings");
    /* Valid edge cases still load: whitespace padding, a zero-size tensor, extra keys. */
    const char *ok = tmp_path("ok.safetensors");
    write_st(ok,
             "{ \"e\": {\"dtype\":\"U8\",\"shape\":[0,3],\"data_offsets\":[8,8], \"x\": 1},"
             "\"a\": " T8 "[0,8]}}  \n ",
             zeros, 8);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(ok, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), 2);
    assert_int_equal(rlc_st_get(f, "e")->nbytes, 0);
    rlc_st_file_destroy(f);
}

static void test_writer_errors(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    rlc_st_writer *w = rlc_st_writer_create();
    float x[4] = {1, 2, 3, 4};
    const int64_t s4[1] = {4}, neg[1] = {-1}, huge[2] = {INT64_MAX / 2, 16};
    assert_int_equal(rlc_st_writer_add(w, "x", RLC_ST_F32, 1, s4, x), RLC_OK);
    assert_int_equal(rlc_st_writer_add(w, "x", RLC_ST_F32, 1, s4, x), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "'x' added twice");
    assert_int_equal(rlc_st_writer_add(w, "__metadata__", RLC_ST_F32, 1, s4, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "", RLC_ST_F32, 1, s4, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, NULL, RLC_ST_F32, 1, s4, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "n", RLC_ST_F32, 1, neg, x), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "dimension 0 is -1");
    assert_int_equal(rlc_st_writer_add(w, "d", (rlc_st_dtype)99, 1, s4, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "d", RLC_ST_F32, -1, s4, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "d", RLC_ST_F32, 1, NULL, x), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "d", RLC_ST_F32, 1, s4, NULL), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(w, "h", RLC_ST_F64, 2, huge, x), RLC_ERR_RANGE);
    assert_int_equal(rlc_st_writer_set_meta(w, NULL, "v"), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_set_meta(w, "k", NULL), RLC_ERR_INVALID);
    assert_int_equal(rlc_st_writer_add(NULL, "y", RLC_ST_F32, 1, s4, x), RLC_ERR_INVALID);
    /* Saving into a missing directory: IO error naming the path, nothing left behind. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_st_writer_save(w, bad), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "no/such/dir/x.safetensors");
    assert_int_equal(rlc_st_writer_save(w, NULL), RLC_ERR_INVALID);
    /* The failed adds left the writer as it was: one tensor. */
    const char *path = tmp_path("werr.safetensors");
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);
    rlc_st_writer_destroy(NULL);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), 1);
    assert_int_equal(rlc_st_meta_count(f), 0);
    rlc_st_file_destroy(f);
    assert_int_equal(rlc_alloc_live(), live0);

    /* dtype helpers */
    rlc_st_dtype dt = RLC_ST_U8;
    assert_int_equal(rlc_st_dtype_parse("BF16", &dt), RLC_OK);
    assert_int_equal(dt, RLC_ST_BF16);
    assert_int_equal(rlc_st_dtype_parse("bf16", &dt), RLC_ERR_NOT_FOUND);
    assert_int_equal(dt, RLC_ST_BF16);
    assert_int_equal(rlc_st_dtype_size(RLC_ST_F64), 8);
    assert_int_equal(rlc_st_dtype_size((rlc_st_dtype)-1), 0);
    assert_string_equal(rlc_st_dtype_name(RLC_ST_BOOL), "BOOL");
    assert_string_equal(rlc_st_dtype_name(RLC_ST_DTYPE_COUNT), "?");
}

/* Saving over an existing file replaces it whole; a failed save leaves it as it was. */
static void test_atomic_save(void **st) {
    (void)st;
    const char *path = tmp_path("atomic.safetensors");
    write_bytes(path, "old contents", 12);
    double v[3] = {1, 2, 3};
    const int64_t s3[1] = {3};
    rlc_st_writer *w = rlc_st_writer_create();
    assert_int_equal(rlc_st_writer_add(w, "v", RLC_ST_F64, 1, s3, v), RLC_OK);
    assert_int_equal(rlc_st_writer_set_meta(w, "k", "v"), RLC_OK);
    long long live = rlc_alloc_live();
    int failures = 0;
    for (long n = 1;; n++) {
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_st_writer_save(w, path);
        rlc_alloc_fail_reset();
        assert_int_equal(rlc_alloc_live(), live);
        if (s == RLC_OK) break;
        assert_int_equal(s, RLC_ERR_NOMEM);
        failures++;
        size_t n_old;
        unsigned char *old = read_bytes(path, &n_old);
        assert_int_equal(n_old, 12);
        assert_memory_equal(old, "old contents", 12);
        free(old);
        assert_int_equal(count_files(".tmp."), 0);
        assert_true(n < 100);
    }
    assert_true(failures >= 1);
    rlc_st_writer_destroy(w);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_memory_equal(rlc_st_get(f, "v")->data, v, sizeof v);
    rlc_st_file_destroy(f);
    assert_int_equal(count_files(".tmp."), 0);
}

/* Every rlc allocation of load, and of create/add/set_meta/save, can fail: each failure returns
 * RLC_ERR_NOMEM and frees everything. cJSON's own allocations use malloc (rlc installs no cJSON
 * hooks) and are outside rlc_alloc_fail_after. */
static void test_alloc_failures(void **st) {
    (void)st;
    float a[6] = {1, 2, 3, 4, 5, 6};
    int64_t b[2] = {7, 8};
    const int64_t sa[2] = {2, 3}, sb[1] = {2};
    const char *path = tmp_path("sweep.safetensors");
    long long live0 = rlc_alloc_live();
    int write_failures = 0;
    for (long n = 1;; n++) {
        assert_true(n < 200);
        rlc_alloc_fail_after(n);
        rlc_status s = RLC_ERR_NOMEM;
        rlc_st_writer *w = rlc_st_writer_create();
        if (w) s = rlc_st_writer_add(w, "a", RLC_ST_F32, 2, sa, a);
        if (w && !s) s = rlc_st_writer_add_copy(w, "b", RLC_ST_I64, 1, sb, b);
        if (w && !s) s = rlc_st_writer_set_meta(w, "step", "42");
        if (w && !s) s = rlc_st_writer_set_meta(w, "step", "43");
        if (w && !s) s = rlc_st_writer_save(w, path);
        rlc_st_writer_destroy(w);
        rlc_alloc_fail_reset();
        assert_int_equal(rlc_alloc_live(), live0);
        if (s == RLC_OK) break;
        assert_int_equal(s, RLC_ERR_NOMEM);
        assert_contains(rlc_last_error(), "out of memory");
        write_failures++;
    }
    assert_true(write_failures >= 5);

    int load_failures = 0;
    for (long n = 1;; n++) {
        assert_true(n < 500);
        rlc_st_file *f = NULL;
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_st_load(path, &f);
        rlc_alloc_fail_reset();
        if (s == RLC_OK) {
            assert_non_null(f);
            assert_string_equal(rlc_st_meta(f, "step"), "43");
            assert_memory_equal(rlc_st_get(f, "b")->data, b, sizeof b);
            rlc_st_file_destroy(f);
            assert_int_equal(rlc_alloc_live(), live0);
            break;
        }
        assert_int_equal(s, RLC_ERR_NOMEM);
        assert_contains(rlc_last_error(), "out of memory");
        assert_null(f);
        assert_int_equal(rlc_alloc_live(), live0);
        load_failures++;
    }
    assert_true(load_failures >= 10); /* header, index arrays, file object and its parts */
}

/* rlc never installs cJSON hooks: a program's own cJSON objects, made before and after a load,
 * are malloc'd and freed by cJSON's default allocator, and loads leave rlc_alloc_live alone. */
static void test_cjson_hooks_untouched(void **st) {
    (void)st;
    const char *path = tmp_path("hooks.safetensors");
    double v[2] = {1, 2};
    const int64_t s2[1] = {2};
    rlc_st_writer *w = rlc_st_writer_create();
    assert_int_equal(rlc_st_writer_add(w, "v", RLC_ST_F64, 1, s2, v), RLC_OK);
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);
    long long live0 = rlc_alloc_live();
    cJSON *before = cJSON_Parse("{\"a\": [1, 2, 3]}");
    assert_non_null(before);
    assert_int_equal(rlc_alloc_live(), live0);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    rlc_st_file_destroy(f);
    assert_int_equal(rlc_alloc_live(), live0);
    cJSON *after = cJSON_CreateString("x");
    assert_int_equal(rlc_alloc_live(), live0);
    cJSON_Delete(before); /* would go through rlc_free if a load had installed hooks */
    cJSON_Delete(after);
    assert_int_equal(rlc_alloc_live(), live0);
}

/* Many tensors: lookup by name and the offset sort at scale. */
static void test_many_tensors(void **st) {
    (void)st;
    enum { N = 3000 };
    static float vals[N];
    rlc_st_writer *w = rlc_st_writer_create();
    char name[32];
    const int64_t s1[1] = {1};
    for (int i = 0; i < N; i++) {
        vals[i] = (float)i * 0.5f;
        snprintf(name, sizeof name, "layer%d.w", (i * 7919) % N);
        assert_int_equal(
            rlc_st_writer_add(w, name, i % 2 ? RLC_ST_F32 : RLC_ST_I32, 1, s1, &vals[i]), RLC_OK);
    }
    const char *path = tmp_path("many.safetensors");
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_st_count(f), N);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "layer%d.w", (i * 7919) % N);
        const rlc_st_tensor *t = rlc_st_get(f, name);
        assert_non_null(t);
        assert_ptr_equal(t, rlc_st_at(f, i));
        assert_memory_equal(t->data, &vals[i], 4);
    }
    rlc_st_file_destroy(f);
}

RLC_TESTS(io_safetensors, cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_golden_bytes),
          cmocka_unit_test(test_corrupt_files), cmocka_unit_test(test_writer_errors),
          cmocka_unit_test(test_atomic_save), cmocka_unit_test(test_alloc_failures),
          cmocka_unit_test(test_many_tensors), cmocka_unit_test(test_cjson_hooks_untouched))
