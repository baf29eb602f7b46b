/* Finding rlc's data files (MuJoCo models, tuned defaults): one search order for every module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rlc/core.h"

rlc_status rlc_data_find(const char *rel, char *out, size_t cap) {
    if (!rel || !*rel || !out || !cap)
        return rlc_error(RLC_ERR_INVALID, "rlc_data_find: empty path or buffer");
    const char *dirs[6];
    int n = 0;
    const char *env = getenv("RLC_DATA_DIR");
    if (env && *env) dirs[n++] = env;
#ifdef RLC_DATA_DIR
    dirs[n++] = RLC_DATA_DIR; /* $(PREFIX)/share/rlc of the build */
#endif
    dirs[n++] = "data";
#ifdef RLC_SOURCE_DATA_DIR
    dirs[n++] = RLC_SOURCE_DATA_DIR; /* the source tree this library was built from */
#endif
    dirs[n++] = "/usr/local/share/rlc";
    dirs[n++] = "/usr/share/rlc";
    char tried[2048];
    size_t len = 0;
    tried[0] = 0;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= !strcmp(dirs[i], dirs[j]);
        if (dup) continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dirs[i], rel) >= sizeof path) continue;
        if (access(path, R_OK) == 0) {
            if ((size_t)snprintf(out, cap, "%s", path) >= cap)
                return rlc_error(RLC_ERR_INVALID, "data path too long: %s", path);
            return RLC_OK;
        }
        int k = snprintf(tried + len, sizeof tried - len, "%s%s", len ? ", " : "", path);
        if (k > 0 && (size_t)k < sizeof tried - len) len += (size_t)k;
    }
    return rlc_error(RLC_ERR_NOT_FOUND,
                     "data file '%s' not found; tried %s (set RLC_DATA_DIR to the directory "
                     "that holds %s)",
                     rel, tried, rel);
}
