// scan-test.c: the split scans of src/scan.c (findAsync / rfindAsync / countAsync) against the
// naive reference: random data over small alphabets and periodic runs, needles from the data and
// longer than the chunk size asked for, every thread count and tiny chunks, the workers run at
// once on pthreads. Built twice: with ASan/UBSan (reads stay inside the range) and with
// ThreadSanitizer (the workers share only what they share atomically).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scan.h"
#include "reference.h"

static unsigned long failures = 0, checks = 0;
static unsigned rng = 4242;

static unsigned
next(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 16;
}

typedef struct {
  mm_scan_t *s;
  size_t index;
} worker_t;

static void *
run_part(void *arg) {
  worker_t *w = arg;
  (void)mm_scan_part(w->s, w->index);
  return NULL;
}

static void
check(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k, size_t threads,
      size_t min_part, size_t chunk) {
  for (int kind = MM_SCAN_FIND; kind <= MM_SCAN_COUNT; kind++) {
    mm_scan_t s;
    memset(&s, 0, sizeof(s));
    mm_scan_part_t parts[16];
    s.kind = kind;
    s.hay = hay;
    s.n = n;
    s.needle = needle;
    s.k = k;
    s.chunk = chunk;
    s.parts = parts;
    if (mm_scan_plan(&s, threads, min_part) < 0) abort();
    pthread_t ids[16];
    worker_t workers[16];
    for (size_t i = 0; i < s.part_count; i++) {
      workers[i].s = &s;
      workers[i].index = i;
      pthread_create(&ids[i], NULL, run_part, &workers[i]);
    }
    for (size_t i = 0; i < s.part_count; i++)
      pthread_join(ids[i], NULL);
    int64_t found;
    uint64_t count;
    int stopped = mm_scan_merge(&s, &found, &count);
    mm_scan_free(&s);
    checks++;
    int ok;
    if (kind == MM_SCAN_COUNT)
      ok = count == naive_count(hay, n, needle, k);
    else if (k == 0)
      ok = found == (kind == MM_SCAN_FIND ? 0 : (int64_t)n);
    else
      ok = found ==
           (kind == MM_SCAN_FIND ? naive_find(hay, n, needle, k) : naive_rfind(hay, n, needle, k));
    if (stopped || !ok) {
      if (failures++ < 10)
        fprintf(stderr, "kind %d n %zu k %zu threads %zu part %zu chunk %zu: got %lld / %llu\n",
                kind, n, k, threads, min_part, chunk, (long long)found, (unsigned long long)count);
    }
  }
}

int
main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1000;
  for (int round = 0; round < rounds; round++) {
    size_t n = next() % 700;
    uint8_t *hay = malloc(n == 0 ? 1 : n);
    unsigned alphabet = 1 + next() % 3;
    int periodic = next() % 4 == 0;
    for (size_t i = 0; i < n; i++)
      hay[i] = (uint8_t)('a' + (periodic ? i % alphabet : next() % alphabet));
    for (int q = 0; q < 6; q++) {
      size_t k = next() % 4 == 0 ? next() % 120 : next() % 6;
      uint8_t needle[128];
      if (n > 0 && next() % 3 != 0) {
        size_t at = next() % n;
        if (k > n - at) k = n - at;
        memcpy(needle, hay + at, k);
      } else {
        for (size_t i = 0; i < k; i++)
          needle[i] = 'a';
      }
      check(hay, n, needle, k, 1 + next() % 16, 1 + next() % 40, 1 + next() % 30);
    }
    free(hay);
  }
  printf("scan-test: %lu checks, %lu failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
