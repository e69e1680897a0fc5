/* Shared by the SIMD kernels (bench/simd.py): exports and a seeded generator.
 * Each kernel exports setup() (fills its arrays, not timed) and run(reps) (timed),
 * which returns a checksum both runtimes must agree on. */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

static uint32_t rng_state;

static void seed(uint32_t s) { rng_state = s * 2654435761u + 1; }

static uint32_t rnd(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state ^ (rng_state >> 15);
}

/* a float in [-1, 1) */
static float rnd_float(void) { return (float)(int32_t)(rnd() & 0xFFFFFF) / 8388608.0f - 1.0f; }

static uint32_t float_bits(float f) {
  union { float f; uint32_t u; } v = {f};
  return v.u;
}
