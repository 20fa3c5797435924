// memmem.c: the glibc memmem() baseline for bench/run.js, compiled on the fly with cc.
//
//   memmem FILE START END RUNS HEXNEEDLE...
//
// Maps FILE read-only, touches [START, END) once, then for each needle times
// memmem() over [START, END) RUNS + 1 times (the first run is a warm-up and is
// not reported). Prints one JSON array: [{"pos": offset-in-file or -1, "ns": [...]}].
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int
hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int
main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s FILE START END RUNS HEXNEEDLE...\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    perror("fstat");
    return 1;
  }
  size_t size = (size_t)st.st_size;
  size_t start = strtoull(argv[2], NULL, 10), end = strtoull(argv[3], NULL, 10);
  int runs = atoi(argv[4]);
  if (end > size || start > end || runs < 1) {
    fprintf(stderr, "bad range or runs\n");
    return 2;
  }
  const unsigned char *data = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  volatile unsigned sink = 0;
  for (size_t i = start; i < end; i += 4096)
    sink += data[i];

  printf("[");
  for (int a = 5; a < argc; a++) {
    size_t hl = strlen(argv[a]), k = hl / 2;
    unsigned char *needle = malloc(k + 1);
    for (size_t i = 0; i < k; i++)
      needle[i] = (unsigned char)(hexval(argv[a][2 * i]) * 16 + hexval(argv[a][2 * i + 1]));
    long long pos = -1;
    printf("%s{\"ns\":[", a > 5 ? "," : "");
    for (int r = 0; r <= runs; r++) {
      uint64_t t0 = now_ns();
      const unsigned char *p = memmem(data + start, end - start, needle, k);
      uint64_t t1 = now_ns();
      pos = p == NULL ? -1 : (long long)(p - data);
      if (r > 0) printf("%s%llu", r > 1 ? "," : "", (unsigned long long)(t1 - t0));
    }
    printf("],\"pos\":%lld}", pos);
    free(needle);
  }
  printf("]\n");
  return 0;
}
