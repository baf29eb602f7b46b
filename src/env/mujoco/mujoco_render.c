/* Software renderer of the MuJoCo envs (no OpenGL, no display): the model's geoms (planes,
 * spheres, capsules, ellipsoids, cylinders, boxes, meshes) posed by mj_kinematics from the env's
 * current qpos, tessellated into triangles, clipped at the near plane, projected through a
 * pinhole camera and rasterised with a z-buffer and Lambert (Gouraud) shading. Planes get the
 * checker of their material's 2D texture. The camera is the model's tracking camera ("track",
 * else the first camera in track/trackcom mode), else a fixed free camera with <visual><global>
 * azimuth, elevation and fovy that frames the model's non-plane geoms at qpos0. */
#include <math.h>
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

#ifdef RLC_HAVE_MUJOCO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mujoco/mujoco.h>
#pragma GCC diagnostic pop

#define NLON 20 /* meridians of spheres, capsules, ellipsoids and cylinders */
#define NLAT 8  /* latitude bands per hemisphere */
#define AMBIENT 0.35
#define DIFFUSE 0.65

/* A pinhole camera: position, orthonormal axes (x right, y up, forward), focal length in
 * pixels, image centre and clipping distances. */
typedef struct cam {
    double pos[3], right[3], up[3], fwd[3];
    double f, cx, cy, znear, zfar;
} cam;

/* A vertex in camera space (x right, y up, z depth) with its shading attributes: a[0] the
 * light intensity, a[1..2] the texture coordinates of planes (in texture tiles). */
typedef struct vtx {
    double c[3], a[3];
} vtx;

typedef struct raster {
    uint8_t *rgb;
    float *zbuf; /* 1/depth of the nearest surface per pixel (0: none yet) */
    int w, h;
    cam cm;
    double light[3]; /* unit vector towards the light (world) */
    /* the geom being drawn */
    double col[3];       /* base colour, 0..255 */
    const uint8_t *tex;  /* plane texture (tw x th RGB) or NULL */
    int tw, th, checker; /* checker: synthetic 2x2 checker when there is no texture */
    double mean[3];      /* mean texture colour (0..1), shown where texels get too small */
    double texel;        /* texel size in metres (for the distance fade) */
    double csin[NLON + 1], ccos[NLON + 1];
} raster;

static double dot3(const double *a, const double *b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void normalize3(double *v) {
    double n = sqrt(dot3(v, v));
    if (n > 0)
        for (int k = 0; k < 3; k++)
            v[k] /= n;
}

static void cross3(const double *a, const double *b, double *out) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static void to_cam(const cam *cm, const double *p, double *out) {
    double d[3] = {p[0] - cm->pos[0], p[1] - cm->pos[1], p[2] - cm->pos[2]};
    out[0] = dot3(d, cm->right);
    out[1] = dot3(d, cm->up);
    out[2] = dot3(d, cm->fwd);
}

/* The model's tracking camera: the one named "track", else the first in track or trackcom
 * mode; -1 if none. */
static int tracking_camera(const mjModel *m) {
    int c = mj_name2id(m, mjOBJ_CAMERA, "track");
    for (int i = 0; c < 0 && i < m->ncam; i++)
        if (m->cam_mode[i] == mjCAMLIGHT_TRACK || m->cam_mode[i] == mjCAMLIGHT_TRACKCOM) c = i;
    return c;
}

/* Bounding sphere (centre, radius) of the box around the visible non-plane geoms with the model at
 * qpos0, used to frame the free camera. Leaves the data's kinematics at qpos0. */
static void frame_model(const mjModel *m, mjData *d, double *center, double *radius) {
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    memcpy(d->qpos, m->qpos0, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    for (int g = 0; g < m->ngeom; g++) {
        if (m->geom_type[g] == mjGEOM_PLANE || m->geom_group[g] > 2) continue;
        const double *s = m->geom_size + 3 * g, *R = d->geom_xmat + 9 * g;
        double half[3]; /* local half extents */
        switch (m->geom_type[g]) {
        case mjGEOM_SPHERE:
            half[0] = half[1] = half[2] = s[0];
            break;
        case mjGEOM_CAPSULE:
            half[0] = half[1] = s[0];
            half[2] = s[1] + s[0];
            break;
        case mjGEOM_CYLINDER:
            half[0] = half[1] = s[0];
            half[2] = s[1];
            break;
        case mjGEOM_ELLIPSOID:
        case mjGEOM_BOX:
            memcpy(half, s, sizeof half);
            break;
        default:
            half[0] = half[1] = half[2] = m->geom_rbound[g];
        }
        for (int k = 0; k < 3; k++) {
            double e = fabs(R[3 * k]) * half[0] + fabs(R[3 * k + 1]) * half[1] +
                       fabs(R[3 * k + 2]) * half[2];
            lo[k] = fmin(lo[k], d->geom_xpos[3 * g + k] - e);
            hi[k] = fmax(hi[k], d->geom_xpos[3 * g + k] + e);
        }
    }
    if (!(lo[0] <= hi[0])) { /* nothing but planes: MuJoCo's statistics */
        memcpy(center, m->stat.center, 3 * sizeof(double));
        *radius = m->stat.extent > 0 ? m->stat.extent : 1;
        return;
    }
    double r2 = 0;
    for (int k = 0; k < 3; k++) {
        center[k] = 0.5 * (lo[k] + hi[k]);
        r2 += 0.25 * (hi[k] - lo[k]) * (hi[k] - lo[k]);
    }
    *radius = sqrt(r2) > 1e-6 ? sqrt(r2) : 1;
}

/* Chooses the camera (see the file comment) for an image of w x h pixels. The data's
 * kinematics, com positions and camera poses must be current; `center` and `radius` frame the
 * free camera (frame_model). */
static void choose_camera(const mjModel *m, const mjData *d, const double *center, double radius,
                          int w, int h, cam *cm) {
    int c = tracking_camera(m);
    double fovy;
    if (c >= 0) {
        const double *x = d->cam_xmat + 9 * c; /* columns: camera x, y, z (z points back) */
        for (int k = 0; k < 3; k++) {
            cm->pos[k] = d->cam_xpos[3 * c + k];
            cm->right[k] = x[3 * k];
            cm->up[k] = x[3 * k + 1];
            cm->fwd[k] = -x[3 * k + 2];
        }
        fovy = m->cam_fovy[c];
    } else {
        const double deg = M_PI / 180.0;
        double az = m->vis.global.azimuth * deg, el = m->vis.global.elevation * deg;
        fovy = m->vis.global.fovy;
        /* the bounding sphere fills 90% of the image height */
        double dist = radius / sin(0.5 * fovy * deg * 0.9);
        cm->fwd[0] = cos(el) * cos(az);
        cm->fwd[1] = cos(el) * sin(az);
        cm->fwd[2] = sin(el);
        cm->right[0] = sin(az);
        cm->right[1] = -cos(az);
        cm->right[2] = 0;
        cross3(cm->right, cm->fwd, cm->up);
        for (int k = 0; k < 3; k++)
            cm->pos[k] = center[k] - dist * cm->fwd[k];
    }
    cm->f = 0.5 * h / tan(0.5 * fovy * M_PI / 180.0);
    cm->cx = 0.5 * w;
    cm->cy = 0.5 * h;
    cm->znear = m->vis.map.znear * m->stat.extent;
    if (!(cm->znear > 1e-4)) cm->znear = 1e-4;
    cm->zfar = m->vis.map.zfar * m->stat.extent;
    if (!(cm->zfar > 10 * cm->znear)) cm->zfar = 1e4;
}

/* Sky: a vertical gradient by the elevation of each pixel's viewing ray. */
static void draw_sky(raster *r) {
    const cam *cm = &r->cm;
    static const double horizon[3] = {178, 196, 214}, zenith[3] = {64, 96, 140};
    for (int y = 0; y < r->h; y++) {
        double vy = (cm->cy - (y + 0.5)) / cm->f;
        for (int x = 0; x < r->w; x++) {
            double vx = (x + 0.5 - cm->cx) / cm->f, dir[3];
            for (int k = 0; k < 3; k++)
                dir[k] = cm->fwd[k] + vx * cm->right[k] + vy * cm->up[k];
            double t = dir[2] / sqrt(dot3(dir, dir));
            t = t < 0 ? 0 : t;
            uint8_t *p = r->rgb + 3 * ((size_t)y * r->w + x);
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)lrint(horizon[k] + (zenith[k] - horizon[k]) * t);
        }
    }
}

/* Colour of one pixel of the current geom from its interpolated attributes and depth. */
static void shade(const raster *r, const double *a, double depth, uint8_t *p) {
    double c[3] = {r->col[0], r->col[1], r->col[2]};
    if (r->tex || r->checker) {
        double t[3];
        double u = a[1] - floor(a[1]), v = a[2] - floor(a[2]);
        if (r->tex) {
            int i = (int)(u * r->tw), j = (int)(v * r->th);
            i = i < 0 ? 0 : i >= r->tw ? r->tw - 1 : i;
            j = j < 0 ? 0 : j >= r->th ? r->th - 1 : j;
            const uint8_t *s = r->tex + 3 * ((size_t)j * r->tw + i);
            for (int k = 0; k < 3; k++)
                t[k] = s[k] / 255.0;
        } else {
            double s = ((u < 0.5) != (v < 0.5)) ? 0.75 : 1.0;
            t[0] = t[1] = t[2] = s;
        }
        /* Where a pixel covers several texels the pattern would alias: fade to the mean. */
        double fade = (depth / r->cm.f) / r->texel - 0.5;
        fade = fade < 0 ? 0 : fade > 1 ? 1 : fade;
        for (int k = 0; k < 3; k++)
            c[k] *= t[k] + (r->mean[k] - t[k]) * fade;
    }
    double in = a[0];
    for (int k = 0; k < 3; k++) {
        double v = c[k] * in;
        p[k] = (uint8_t)(v >= 255 ? 255 : v <= 0 ? 0 : lrint(v));
    }
}

/* Rasterises a triangle whose vertices all lie in front of the near plane. Pixel centres inside
 * the projected triangle (either winding) pass a depth test on 1/z; attributes are
 * interpolated perspective-correctly. */
static void raster_tri(raster *r, const vtx *v0, const vtx *v1, const vtx *v2) {
    const vtx *v[3] = {v0, v1, v2};
    double sx[3], sy[3], iz[3];
    for (int i = 0; i < 3; i++) {
        iz[i] = 1.0 / v[i]->c[2];
        sx[i] = r->cm.cx + r->cm.f * v[i]->c[0] * iz[i];
        sy[i] = r->cm.cy - r->cm.f * v[i]->c[1] * iz[i];
    }
    double area = (sx[1] - sx[0]) * (sy[2] - sy[0]) - (sx[2] - sx[0]) * (sy[1] - sy[0]);
    if (!(fabs(area) > 1e-12)) return;
    double xmin = fmin(sx[0], fmin(sx[1], sx[2])), xmax = fmax(sx[0], fmax(sx[1], sx[2]));
    double ymin = fmin(sy[0], fmin(sy[1], sy[2])), ymax = fmax(sy[0], fmax(sy[1], sy[2]));
    int x0 = (int)floor(xmin - 0.5), x1 = (int)ceil(xmax - 0.5);
    int y0 = (int)floor(ymin - 0.5), y1 = (int)ceil(ymax - 0.5);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > r->w - 1) x1 = r->w - 1;
    if (y1 > r->h - 1) y1 = r->h - 1;
    if (x0 > x1 || y0 > y1) return;
    double inv = 1.0 / area, izfar = 1.0 / r->cm.zfar;
    double az[3][3]; /* attributes / z */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            az[i][k] = v[i]->a[k] * iz[i];
    for (int y = y0; y <= y1; y++) {
        double py = y + 0.5;
        for (int x = x0; x <= x1; x++) {
            double px = x + 0.5;
            /* barycentric weights of vertices 0, 1, 2 */
            double b0 = ((sx[1] - px) * (sy[2] - py) - (sx[2] - px) * (sy[1] - py)) * inv;
            double b1 = ((sx[2] - px) * (sy[0] - py) - (sx[0] - px) * (sy[2] - py)) * inv;
            double b2 = 1.0 - b0 - b1;
            if (b0 < 0 || b1 < 0 || b2 < 0) continue;
            double z1 = b0 * iz[0] + b1 * iz[1] + b2 * iz[2];
            size_t idx = (size_t)y * r->w + x;
            if (z1 <= r->zbuf[idx] || z1 < izfar) continue;
            r->zbuf[idx] = (float)z1;
            double a[3];
            for (int k = 0; k < 3; k++)
                a[k] = (b0 * az[0][k] + b1 * az[1][k] + b2 * az[2][k]) / z1;
            shade(r, a, 1.0 / z1, r->rgb + 3 * idx);
        }
    }
}

/* Clips a camera-space triangle at z = znear (Sutherland-Hodgman) and rasterises the rest. */
static void draw_tri(raster *r, const vtx *t) {
    vtx out[4];
    int n = 0;
    double zn = r->cm.znear;
    for (int i = 0; i < 3; i++) {
        const vtx *a = &t[i], *b = &t[(i + 1) % 3];
        int ain = a->c[2] >= zn, bin = b->c[2] >= zn;
        if (ain) out[n++] = *a;
        if (ain != bin) {
            double s = (zn - a->c[2]) / (b->c[2] - a->c[2]);
            vtx *o = &out[n++];
            for (int k = 0; k < 3; k++) {
                o->c[k] = a->c[k] + s * (b->c[k] - a->c[k]);
                o->a[k] = a->a[k] + s * (b->a[k] - a->a[k]);
            }
            o->c[2] = zn;
        }
    }
    for (int i = 2; i < n; i++)
        raster_tri(r, &out[0], &out[i - 1], &out[i]);
}

/* A geom's pose: world = pos + R local (R row-major). */
typedef struct pose {
    const double *pos, *R;
} pose;

/* Camera-space vertex of the local point p with local normal n (need not be unit). */
static void make_vtx(const raster *r, const pose *g, const double *p, const double *n, vtx *out) {
    double w[3], nw[3];
    for (int k = 0; k < 3; k++) {
        const double *row = g->R + 3 * k;
        w[k] = g->pos[k] + dot3(row, p);
        nw[k] = dot3(row, n);
    }
    normalize3(nw);
    double l = dot3(nw, r->light);
    to_cam(&r->cm, w, out->c);
    out->a[0] = AMBIENT + DIFFUSE * (l > 0 ? l : 0);
    out->a[1] = out->a[2] = 0;
}

static void quad(raster *r, const vtx *a, const vtx *b, const vtx *c, const vtx *d) {
    vtx t[3] = {*a, *b, *c};
    draw_tri(r, t);
    vtx u[3] = {*a, *c, *d};
    draw_tri(r, u);
}

/* Spheres, ellipsoids (semi-axes ax) and capsules (radius ax[0], cylinder half-length h):
 * latitude rings of the lower hemisphere shifted by -h, then of the upper one by +h. */
static void draw_round(raster *r, const pose *g, const double *ax, double h) {
    vtx ring[2][NLON + 1];
    int nrings = 2 * (NLAT + 1);
    for (int k = 0; k < nrings; k++) {
        int upper = k > NLAT;
        int band = upper ? k - (NLAT + 1) : k; /* 0..NLAT within the hemisphere */
        double lat = upper ? 0.5 * M_PI * band / NLAT : -0.5 * M_PI + 0.5 * M_PI * band / NLAT;
        double cl = cos(lat), sl = sin(lat), off = upper ? h : -h;
        vtx *cur = ring[k & 1];
        for (int j = 0; j <= NLON; j++) {
            double u[3] = {cl * r->ccos[j], cl * r->csin[j], sl};
            double p[3] = {ax[0] * u[0], ax[1] * u[1], ax[2] * u[2] + off};
            double n[3] = {u[0] / ax[0], u[1] / ax[1], u[2] / ax[2]};
            make_vtx(r, g, p, n, &cur[j]);
        }
        if (k == 0 || (k == NLAT + 1 && h <= 0)) continue; /* no band below the first ring */
        const vtx *prev = ring[(k - 1) & 1];
        for (int j = 0; j < NLON; j++)
            quad(r, &prev[j], &prev[j + 1], &cur[j + 1], &cur[j]);
    }
}

static void draw_cylinder(raster *r, const pose *g, double rad, double h) {
    vtx lo[NLON + 1], hi[NLON + 1], c[2];
    double zero[3] = {0, 0, -h}, top[3] = {0, 0, h}, down[3] = {0, 0, -1}, upn[3] = {0, 0, 1};
    for (int j = 0; j <= NLON; j++) {
        double n[3] = {r->ccos[j], r->csin[j], 0};
        double p0[3] = {rad * n[0], rad * n[1], -h}, p1[3] = {rad * n[0], rad * n[1], h};
        make_vtx(r, g, p0, n, &lo[j]);
        make_vtx(r, g, p1, n, &hi[j]);
    }
    for (int j = 0; j < NLON; j++)
        quad(r, &lo[j], &lo[j + 1], &hi[j + 1], &hi[j]);
    make_vtx(r, g, zero, down, &c[0]);
    make_vtx(r, g, top, upn, &c[1]);
    for (int s = 0; s < 2; s++)
        for (int j = 0; j < NLON; j++) {
            double z = s ? h : -h, n[3] = {0, 0, s ? 1 : -1};
            double pa[3] = {rad * r->ccos[j], rad * r->csin[j], z};
            double pb[3] = {rad * r->ccos[j + 1], rad * r->csin[j + 1], z};
            vtx t[3];
            t[0] = c[s];
            make_vtx(r, g, pa, n, &t[1]);
            make_vtx(r, g, pb, n, &t[2]);
            draw_tri(r, t);
        }
}

static void draw_box(raster *r, const pose *g, const double *size) {
    for (int a = 0; a < 3; a++)
        for (int s = -1; s <= 1; s += 2) {
            int u = (a + 1) % 3, w = (a + 2) % 3;
            double n[3] = {0, 0, 0};
            n[a] = s;
            vtx v[4];
            static const int su[4] = {-1, 1, 1, -1}, sw[4] = {-1, -1, 1, 1};
            for (int i = 0; i < 4; i++) {
                double p[3];
                p[a] = s * size[a];
                p[u] = su[i] * size[u];
                p[w] = sw[i] * size[w];
                make_vtx(r, g, p, n, &v[i]);
            }
            quad(r, &v[0], &v[1], &v[2], &v[3]);
        }
}

static void draw_mesh(raster *r, const mjModel *m, const pose *g, int mesh) {
    const float *vert = m->mesh_vert + 3 * (size_t)m->mesh_vertadr[mesh];
    const int *face = m->mesh_face + 3 * (size_t)m->mesh_faceadr[mesh];
    for (int f = 0; f < m->mesh_facenum[mesh]; f++) {
        double p[3][3], e1[3], e2[3], n[3];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++)
                p[i][k] = vert[3 * face[3 * f + i] + k];
        for (int k = 0; k < 3; k++) {
            e1[k] = p[1][k] - p[0][k];
            e2[k] = p[2][k] - p[0][k];
        }
        cross3(e1, e2, n);
        vtx t[3];
        for (int i = 0; i < 3; i++)
            make_vtx(r, g, p[i], n, &t[i]);
        draw_tri(r, t);
    }
}

/* A plane of half extents sx, sy (0: infinite, drawn 100 extents wide) with its material's 2D
 * texture (or a synthetic checker of 1 m cells) repeated as MuJoCo's texrepeat says. */
static void draw_plane(raster *r, const mjModel *m, int gi, const pose *g) {
    double sx = m->geom_size[3 * gi], sy = m->geom_size[3 * gi + 1];
    double big = 100 * (m->stat.extent > 0 ? m->stat.extent : 1);
    double ex = sx > 0 ? sx : big, ey = sy > 0 ? sy : big;
    double tile[2] = {2.0, 2.0}; /* metres per texture repetition */
    int mat = m->geom_matid[gi];
    r->tex = NULL;
    r->checker = 1;
    if (mat >= 0 && m->mat_texid[mat] >= 0 && m->tex_type[m->mat_texid[mat]] == mjTEXTURE_2D) {
        int t = m->mat_texid[mat];
        r->tex = m->tex_rgb + m->tex_adr[t];
        r->tw = m->tex_width[t];
        r->th = m->tex_height[t];
        r->checker = 0;
        for (int k = 0; k < 2; k++) {
            double rep = m->mat_texrepeat[2 * mat + k], ext = k ? sy : sx;
            if (!(rep > 0)) rep = 1;
            tile[k] = (m->mat_texuniform[mat] || ext <= 0) ? 1.0 / rep : 2.0 * ext / rep;
        }
        double sum[3] = {0, 0, 0};
        size_t npx = (size_t)r->tw * r->th;
        for (size_t i = 0; i < npx; i++)
            for (int k = 0; k < 3; k++)
                sum[k] += r->tex[3 * i + k];
        for (int k = 0; k < 3; k++)
            r->mean[k] = npx ? sum[k] / (255.0 * npx) : 1;
        r->texel = fmin(tile[0] / r->tw, tile[1] / r->th);
        /* a builtin checker has 2x2 cells: fade once a cell shrinks below a pixel */
        r->texel = fmax(r->texel, 0.5 * fmin(tile[0], tile[1]) / 2);
    } else {
        r->mean[0] = r->mean[1] = r->mean[2] = 0.875;
        r->texel = 0.5;
    }
    static const double cu[4] = {-1, 1, 1, -1}, cv[4] = {-1, -1, 1, 1};
    double n[3] = {0, 0, 1};
    vtx v[4];
    for (int i = 0; i < 4; i++) {
        double p[3] = {cu[i] * ex, cv[i] * ey, 0};
        make_vtx(r, g, p, n, &v[i]);
        v[i].a[1] = p[0] / tile[0];
        v[i].a[2] = p[1] / tile[1];
    }
    quad(r, &v[0], &v[1], &v[2], &v[3]);
    r->tex = NULL;
    r->checker = 0;
}

/* Poses the model at the env's qpos (kinematics, com, cameras) and sets the camera: only
 * derived mjData fields change, which every step, reset and set_state recomputes, so rendering
 * never alters the trajectory. */
static void pose_model(const rlc__mj_env *e, int w, int h, cam *cm) {
    const mjModel *m = e->model;
    mjData *d = e->data;
    double center[3] = {0, 0, 0}, radius = 1;
    if (tracking_camera(m) < 0) frame_model(m, d, center, &radius);
    memcpy(d->qpos, e->s.qpos, (size_t)e->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_camlight(m, d);
    choose_camera(m, d, center, radius, w, h, cm);
}

static void light_dir(raster *r) {
    /* from above, behind and to the right of the camera */
    for (int k = 0; k < 3; k++)
        r->light[k] = 0.35 * r->cm.right[k] - 0.45 * r->cm.fwd[k] + (k == 2 ? 0.8 : 0.0);
    normalize3(r->light);
}

rlc_status rlc__mj_render(const void *self, uint8_t *rgb, int width, int height) {
    const rlc__mj_env *e = self;
    const mjModel *m = e->model;
    const mjData *d = e->data;
    raster r;
    memset(&r, 0, sizeof r);
    r.rgb = rgb;
    r.w = width;
    r.h = height;
    r.zbuf = rlc_calloc((size_t)width * height, sizeof(float));
    if (!r.zbuf) return RLC_ERR_NOMEM;
    pose_model(e, width, height, &r.cm);
    light_dir(&r);
    for (int j = 0; j <= NLON; j++) {
        double phi = 2 * M_PI * j / NLON;
        r.ccos[j] = cos(phi);
        r.csin[j] = sin(phi);
    }
    draw_sky(&r);
    for (int gi = 0; gi < m->ngeom; gi++) {
        const float *rgba = m->geom_rgba + 4 * gi;
        int mat = m->geom_matid[gi];
        /* MuJoCo: a material's colour wins unless the geom sets its own rgba */
        if (mat >= 0 && rgba[0] == 0.5f && rgba[1] == 0.5f && rgba[2] == 0.5f && rgba[3] == 1.0f)
            rgba = m->mat_rgba + 4 * mat;
        if (m->geom_group[gi] > 2 || rgba[3] <= 0) continue; /* MuJoCo's hidden groups */
        for (int k = 0; k < 3; k++)
            r.col[k] = 255.0 * rgba[k];
        pose g = {d->geom_xpos + 3 * gi, d->geom_xmat + 9 * gi};
        const double *s = m->geom_size + 3 * gi;
        switch (m->geom_type[gi]) {
        case mjGEOM_PLANE:
            draw_plane(&r, m, gi, &g);
            break;
        case mjGEOM_SPHERE: {
            double ax[3] = {s[0], s[0], s[0]};
            draw_round(&r, &g, ax, 0);
            break;
        }
        case mjGEOM_CAPSULE: {
            double ax[3] = {s[0], s[0], s[0]};
            draw_round(&r, &g, ax, s[1]);
            break;
        }
        case mjGEOM_ELLIPSOID:
            draw_round(&r, &g, s, 0);
            break;
        case mjGEOM_CYLINDER:
            draw_cylinder(&r, &g, s[0], s[1]);
            break;
        case mjGEOM_BOX:
            draw_box(&r, &g, s);
            break;
        case mjGEOM_MESH:
            if (m->geom_dataid[gi] >= 0) draw_mesh(&r, m, &g, m->geom_dataid[gi]);
            break;
        default: /* height fields are not drawn */
            break;
        }
    }
    rlc_free(r.zbuf);
    return RLC_OK;
}

rlc_status rlc__mj_project(const rlc_env *env, const double *world, int width, int height,
                           double *px, double *py) {
    if (!rlc__mujoco_is(env) || !world || !px || !py || width <= 0 || height <= 0)
        return rlc_error(RLC_ERR_INVALID, "rlc__mj_project: not a MuJoCo env or bad argument");
    const rlc__mj_env *e = env->self;
    cam cm;
    pose_model(e, width, height, &cm);
    double c[3];
    to_cam(&cm, world, c);
    if (!(c[2] > cm.znear))
        return rlc_error(RLC_ERR_RANGE, "rlc__mj_project: the point is behind the camera");
    *px = cm.cx + cm.f * c[0] / c[2];
    *py = cm.cy - cm.f * c[1] / c[2];
    return RLC_OK;
}

rlc_status rlc__mj_geom_pos(const rlc_env *env, const char *name, double *xyz) {
    if (!rlc__mujoco_is(env) || !name || !xyz)
        return rlc_error(RLC_ERR_INVALID, "rlc__mj_geom_pos: not a MuJoCo env or bad argument");
    const rlc__mj_env *e = env->self;
    int g = mj_name2id(e->model, mjOBJ_GEOM, name);
    if (g < 0) return rlc_error(RLC_ERR_NOT_FOUND, "%s: no geom '%s'", env->spec->id, name);
    cam cm;
    pose_model(e, 1, 1, &cm);
    memcpy(xyz, ((const mjData *)e->data)->geom_xpos + 3 * g, 3 * sizeof(double));
    return RLC_OK;
}

#else /* !RLC_HAVE_MUJOCO: no env can be created, so these are never reached with an env. */

rlc_status rlc__mj_render(const void *self, uint8_t *rgb, int width, int height) {
    (void)self, (void)rgb, (void)width, (void)height;
    return rlc_error(RLC_ERR_UNSUPPORTED, "MuJoCo rendering: rlc was built without libmujoco");
}

rlc_status rlc__mj_project(const rlc_env *env, const double *world, int width, int height,
                           double *px, double *py) {
    (void)env, (void)world, (void)width, (void)height, (void)px, (void)py;
    return rlc_error(RLC_ERR_UNSUPPORTED, "MuJoCo rendering: rlc was built without libmujoco");
}

rlc_status rlc__mj_geom_pos(const rlc_env *env, const char *name, double *xyz) {
    (void)env, (void)name, (void)xyz;
    return rlc_error(RLC_ERR_UNSUPPORTED, "MuJoCo rendering: rlc was built without libmujoco");
}

#endif
