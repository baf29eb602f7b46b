/* Image files: PNG (libpng) and animated GIF (giflib) writers for RGB frames, e.g. env renders.
 * Every writer writes to a temporary file next to the target and renames it into place, so a
 * failed or interrupted write never leaves a half-written file at the target path. */
#ifndef RLC_IMAGE_H
#define RLC_IMAGE_H

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes `rgb` (width*height*3 bytes, row-major, top row first, 8-bit R,G,B) to `path` as an
 * 8-bit RGB PNG. Errors (nothing at `path` changes): RLC_ERR_INVALID for NULL arguments or a
 * size outside 1..65535, RLC_ERR_IO when the file cannot be written or renamed (the message
 * names the path and the system error), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_image_write_png(const char *path, const uint8_t *rgb, int width, int height);

/* An animated GIF being written. Frames are quantised to 256 colours each: exactly (a local
 * palette of the frame's colours) when a frame has at most 256 distinct colours, as renders
 * of simple scenes do, otherwise by median cut on 5-bit-per-channel colours. The GIF loops
 * forever. */
typedef struct rlc_gif rlc_gif;

/* Starts a GIF of width x height frames (1..65535) for `path`, with `delay_cs` hundredths of
 * a second between frames (0..65535; browsers show 0 and 1 as about 10). The data goes to a
 * temporary file until rlc_image_gif_close. On success *out owns the writer: finish it with
 * rlc_image_gif_close or abandon it with rlc_image_gif_destroy. Errors (out untouched):
 * RLC_ERR_INVALID for NULL arguments or bad sizes, RLC_ERR_RANGE for a bad delay, RLC_ERR_IO,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_image_gif_create(rlc_gif **out, const char *path, int width, int height,
                                        int delay_cs);
/* Appends one frame (width*height*3 bytes, as for PNG). Errors: RLC_ERR_INVALID for NULL
 * arguments, RLC_ERR_IO when writing fails (the writer can then only be destroyed),
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_image_gif_add_frame(rlc_gif *gif, const uint8_t *rgb);
/* Number of frames added so far (0 for NULL). */
RLC_API int rlc_image_gif_frames(const rlc_gif *gif);
/* Finishes the file, renames it to the target path and frees the writer (in every case: do
 * not use `gif` afterwards). A GIF needs at least one frame. Errors: RLC_ERR_STATE for no
 * frame or a writer that failed earlier, RLC_ERR_IO; the temporary file is then removed and
 * the target left as it was. Accepts NULL (RLC_ERR_INVALID). */
RLC_API rlc_status rlc_image_gif_close(rlc_gif *gif);
/* Abandons the GIF: removes the temporary file and frees the writer. Accepts NULL. */
RLC_API void rlc_image_gif_destroy(rlc_gif *gif);

#ifdef __cplusplus
}
#endif
#endif
