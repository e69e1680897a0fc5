/* f32 dot product (built with -ffast-math so that the reduction is vectorised). */
#include "common.h"
#define N 16384
static float a[N], b[N];

EXPORT("setup") void setup(void) {
  seed(2);
  for (int i = 0; i < N; i++) { a[i] = rnd_float(); b[i] = rnd_float(); }
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    float s = 0.0f;
    for (int i = 0; i < N; i++) s += a[i] * b[i];
    h = h * 31 + float_bits(s);
    a[r & (N - 1)] += 0.25f;
  }
  return h;
}
