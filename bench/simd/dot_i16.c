/* int16 dot product into int32: extending multiplies (or i32x4.dot_i16x8_s). */
#include "common.h"
#define N 32768
static int16_t a[N], b[N];

EXPORT("setup") void setup(void) {
  seed(3);
  for (int i = 0; i < N; i++) { a[i] = (int16_t)rnd(); b[i] = (int16_t)rnd(); }
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    int32_t s = 0;
    for (int i = 0; i < N; i++) s += (int32_t)a[i] * b[i];
    h = h * 31 + (uint32_t)s;
    a[r & (N - 1)] += 1;
  }
  return h;
}
