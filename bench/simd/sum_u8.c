/* The sum of a byte buffer: widening adds of u8 lanes. */
#include "common.h"
#define N 65536
static uint8_t buf[N];

EXPORT("setup") void setup(void) {
  seed(4);
  for (int i = 0; i < N; i++) buf[i] = (uint8_t)rnd();
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    uint32_t s = 0;
    for (int i = 0; i < N; i++) s += buf[i];
    h = h * 31 + s;
    buf[r & (N - 1)] ^= 0x5A;
  }
  return h;
}
