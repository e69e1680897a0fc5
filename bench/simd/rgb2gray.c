/* Interleaved RGB bytes to gray, (77 r + 150 g + 29 b + 128) >> 8: shuffles to
 * de-interleave, widening multiplies, narrowing. */
#include "common.h"
#define N 32768
static uint8_t rgb[3 * N], gray[N];

EXPORT("setup") void setup(void) {
  seed(7);
  for (int i = 0; i < 3 * N; i++) rgb[i] = (uint8_t)rnd();
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++) {
      uint32_t v = 77u * rgb[3 * i] + 150u * rgb[3 * i + 1] + 29u * rgb[3 * i + 2] + 128u;
      gray[i] = (uint8_t)(v >> 8);
    }
    uint32_t s = 0;
    for (int i = 0; i < N; i++) s += gray[i];
    h = h * 31 + s;
    rgb[(r * 5) % (3 * N)] += 1;
  }
  return h;
}
