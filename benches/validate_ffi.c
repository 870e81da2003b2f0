/*
 * C ABI leg of the cross-language validate benchmark (the runner is benches/bindings.sh; the Rust
 * baseline is benches/validate_rust.rs).
 *
 * Same protocol in every language: validate tests/fixtures/bench/ThirdPersonCharacter.cs (300 lines)
 * through spark_validate on an offline client (each call includes the JSON of the diagnostics and
 * spark_buf_free), warm up 200 calls, then 30 batches of 200 calls; the figure is the median over
 * batches of the per-call mean. Prints one JSON line.
 *
 * Build and run with the release library: bash benches/validate_ffi.sh
 * (by hand: cargo build -p spark-ffi --release &&
 *  gcc -O2 -std=c11 -Ispark-ffi/include benches/validate_ffi.c -Ltarget/release -lspark_ffi \
 *      -Wl,-rpath,target/release -o validate_ffi && ./validate_ffi tests/fixtures/bench/ThirdPersonCharacter.cs)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spark.h"

enum { WARMUP = 200, BATCHES = 30, BATCH = 200 };

static const char FILE_NAME[] = "ThirdPersonCharacter.cs";

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One validation through the C ABI, as an embedder would call it; exits on any error. */
static size_t validate(spark_client_t *client, const char *source, size_t len) {
  spark_buf_t out = {0};
  spark_error_t *err =
      spark_validate(client, (const uint8_t *)source, len, (const uint8_t *)FILE_NAME, strlen(FILE_NAME), &out);
  if (err) {
    fprintf(stderr, "spark_validate: %s\n", spark_error_message(err));
    exit(1);
  }
  size_t n = out.len;
  spark_buf_free(&out);
  return n;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "tests/fixtures/bench/ThirdPersonCharacter.cs";
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *source = malloc((size_t)size + 1);
  if (!source || fread(source, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  fclose(f);
  source[size] = 0;

  const char *config = "{\"providers\":{\"order\":[\"offline\"]}}";
  spark_client_t *client = NULL;
  spark_error_t *err = spark_client_new((const uint8_t *)config, strlen(config), &client);
  if (err) {
    fprintf(stderr, "spark_client_new: %s\n", spark_error_message(err));
    return 1;
  }

  volatile size_t sink = 0; /* keeps the calls observable */
  for (int i = 0; i < WARMUP; i++) sink += validate(client, source, (size_t)size);
  double per_call_us[BATCHES];
  for (int b = 0; b < BATCHES; b++) {
    double start = now_us();
    for (int i = 0; i < BATCH; i++) sink += validate(client, source, (size_t)size);
    per_call_us[b] = (now_us() - start) / BATCH;
  }
  qsort(per_call_us, BATCHES, sizeof per_call_us[0], cmp_double);
  double median = (per_call_us[BATCHES / 2 - 1] + per_call_us[BATCHES / 2]) / 2.0;
  printf("{\"lang\":\"c\",\"median_us\":%.2f,\"batches\":%d,\"batch\":%d}\n", median, BATCHES, BATCH);

  spark_client_free(client);
  free(source);
  return sink == 0; /* an empty diagnostics array is still "[]": sink > 0 */
}
