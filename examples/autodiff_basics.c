/* A complete program using rlc from C: records the MSE of x W against a target as a graph, runs it
 * forward and backward, and prints the value and a gradient. Build against an installed rlc:
 *   cc autodiff_basics.c $(pkg-config --cflags --libs rlc) -o autodiff_basics */
#include <stdio.h>

#include <rlc/rlc.h>

int main(void) {
    float w[3 * 2] = {0.5f, -1.0f, 0.25f, 2.0f, -0.5f, 1.0f}, dw[3 * 2] = {0};
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    if (!g) {
        fprintf(stderr, "error: %s\n", rlc_last_error());
        return 1;
    }
    rlc_tensor *x = rlc_input(g, 2, (int[]){1, 3});
    rlc_tensor *W = rlc_param(g, w, dw, 2, (int[]){3, 2});
    rlc_tensor *y = rlc_matmul(g, x, W, 0, 0);
    rlc_tensor *loss = rlc_mse(g, y, rlc_full(g, 2, (int[]){1, 2}, 1.0));
    if (rlc_graph_status(g) != RLC_OK) {
        fprintf(stderr, "error: %s\n", rlc_graph_error(g));
        rlc_graph_destroy(g);
        return 1;
    }
    float xv[3] = {1.0f, 2.0f, 3.0f};
    rlc_tensor_load_f32(x, xv, 3);
    rlc_graph_forward(g);
    rlc_graph_backward(g, loss);
    /* y = [-0.5, 6]; loss = ((-1.5)^2 + 5^2) / 2 = 13.625; dL/dW[0][0] = (y0 - 1) * x0 = -1.5 */
    printf("loss %.5f dW00 %.5f (rlc %s)\n", rlc_tensor_get(loss, 0), dw[0], RLC_VERSION_STRING);
    rlc_graph_destroy(g);
    return 0;
}
