/* Small raster drawing into an RGB buffer (for env renderers): clear, filled rectangles,
 * thick lines, filled circles and filled convex polygons. No anti-aliasing: a pixel is
 * painted when its centre lies inside the shape, so colours stay exact (GIF palettes). */
#ifndef RLC_IO_DRAW_IMPL_H
#define RLC_IO_DRAW_IMPL_H

#include <stdint.h>

/* A target image: w*h pixels of 3 bytes (R, G, B), row-major, top row first. Coordinates are
 * in pixels with x to the right and y down; pixel (i, j) covers [i, i+1) x [j, j+1). */
typedef struct rlc__canvas {
    uint8_t *rgb;
    int w, h;
} rlc__canvas;

/* Colours are 0xRRGGBB. Shapes are clipped to the canvas; shapes with a non-finite
 * coordinate are skipped. */
#define RLC__RGB(r, g, b) ((uint32_t)(r) << 16 | (uint32_t)(g) << 8 | (uint32_t)(b))

void rlc__draw_clear(const rlc__canvas *c, uint32_t color);
/* The pixel at (x, y) (0 when outside). */
uint32_t rlc__draw_get(const rlc__canvas *c, int x, int y);
/* Axis-aligned rectangle [x0, x1) x [y0, y1) (corners in any order). */
void rlc__draw_rect(const rlc__canvas *c, double x0, double y0, double x1, double y1,
                    uint32_t color);
/* Convex polygon with n >= 3 vertices xy[2*n] (x0, y0, x1, y1, ...), either winding. */
void rlc__draw_polygon(const rlc__canvas *c, const double *xy, int n, uint32_t color);
/* Segment from (x0, y0) to (x1, y1), `thickness` pixels wide (at least 1), square ends. */
void rlc__draw_line(const rlc__canvas *c, double x0, double y0, double x1, double y1,
                    double thickness, uint32_t color);
/* Disc of radius r (a radius below 0.5 still paints the centre pixel). */
void rlc__draw_circle(const rlc__canvas *c, double cx, double cy, double r, uint32_t color);

#endif
