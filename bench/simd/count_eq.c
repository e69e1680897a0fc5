/* memchr-like: how many bytes equal a given one (i8x16.eq, masks, widening adds). */
#include "common.h"
#define N 65536
static uint8_t buf[N];

EXPORT("setup") void setup(void) {
  seed(5);
  for (int i = 0; i < N; i++) buf[i] = (uint8_t)(rnd() % 40 + 'a');
}

EXPORT("run") uint32_t run(int reps) {
  uint32_t h = 0;
  for (int r = 0; r < reps; r++) {
    uint8_t c = (uint8_t)('a' + r % 40);
    uint32_t n = 0;
    for (int i = 0; i < N; i++) n += buf[i] == c;
    h = h * 31 + n;
  }
  return h;
}
