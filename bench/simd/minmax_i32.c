/* The minimum and maximum of an int32 array: i32x4.min_s / max_s reductions. */
#include "common.h"
#define N 32768
static int32_t v[N];

EXPORT("setup") void setup(void) {
  seed(8);
  for (int i = 0; i < N; i++) v[i] = (int32_t)rnd();
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    int32_t lo = v[0], hi = v[0];
    for (int i = 1; i < N; i++) {
      lo = v[i] < lo ? v[i] : lo;
      hi = v[i] > hi ? v[i] : hi;
    }
    h = h * 31 + (uint32_t)(hi - lo);
    v[(r * 13) & (N - 1)] = (int32_t)rnd();
  }
  return h;
}
