/* y = a * x + b * y over f32 arrays: f32x4.mul/add, v128 loads and stores. */
#include "common.h"
#define N 16384
static float x[N], y[N];

EXPORT("setup") void setup(void) {
  seed(1);
  for (int i = 0; i < N; i++) { x[i] = rnd_float(); y[i] = rnd_float(); }
}

EXPORT("run") uint32_t run(int reps) {
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < N; i++) y[i] = 0.75f * x[i] + 0.5f * y[i];
  uint32_t h = 0;
  for (int i = 0; i < N; i++) h = h * 31 + float_bits(y[i]);
  return h;
}
