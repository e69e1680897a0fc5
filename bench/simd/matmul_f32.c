/* f32 matrix multiply, 64 x 64, i-k-j order: splat and multiply-add rows. */
#include "common.h"
#define M 64
static float a[M][M], b[M][M], c[M][M];

EXPORT("setup") void setup(void) {
  seed(6);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) { a[i][j] = rnd_float(); b[i][j] = rnd_float(); }
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < M; i++) {
      float ai0 = a[i][0];
      for (int j = 0; j < M; j++) c[i][j] = ai0 * b[0][j];
      for (int k = 1; k < M; k++) {
        float aik = a[i][k];
        for (int j = 0; j < M; j++) c[i][j] += aik * b[k][j];
      }
    }
    h = h * 31 + float_bits(c[r % M][(r * 7) % M]);
    a[r % M][(r * 3) % M] += 0.125f;
  }
  return h;
}
