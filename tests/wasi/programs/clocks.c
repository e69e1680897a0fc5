/* Clocks, sleeping (poll_oneoff) and randomness; prints only what is the same on
 * every run, and exits with 3 if something is wrong. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

static long long ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
    int bad = 0;
    time_t now = time(NULL);
    printf("realtime after 2020: %d\n", now > 1577836800);
    long long t0 = ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * 1000000};
    nanosleep(&req, NULL);
    long long slept = ns(CLOCK_MONOTONIC) - t0;
    printf("slept >= 20ms: %d\n", slept >= 20000000LL);
    bad |= slept < 20000000LL;
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("resolution ok: %d\n", res.tv_sec == 0 && res.tv_nsec > 0);
    unsigned char a[32], b[32];
    getentropy(a, sizeof a);
    getentropy(b, sizeof b);
    int differ = memcmp(a, b, sizeof a) != 0;
    printf("random differs: %d\n", differ);
    bad |= !differ;
    long long cpu = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("cpu clock ok: %d\n", cpu > 0);
    return bad ? 3 : 0;
}
