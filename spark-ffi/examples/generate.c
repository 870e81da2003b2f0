/*
 * Generates Unity scripts for a prompt through the C ABI, streaming the reply to stderr, then prints
 * each file and the diagnostics. Providers and keys come from the environment (ANTHROPIC_API_KEY,
 * OPENAI_API_KEY, SPARK_*); with none set it uses the offline scaffold.
 *
 *   cargo build -p spark-ffi --release
 *   gcc -std=c11 -Ispark-ffi/include spark-ffi/examples/generate.c -Ltarget/release -lspark_ffi \
 *       -Wl,-rpath,"$PWD/target/release" -o target/generate && target/generate "a door that opens" [out.zip]
 */
#include <stdio.h>
#include <string.h>

#include "spark.h"

static int32_t on_event(const uint8_t *json, size_t len, void *user_data) {
  (void)user_data;
  /* Each event is one JSON object; a real host would parse it. Show deltas' progress only. */
  if (strncmp((const char *)json, "{\"type\":\"delta\"", 15) == 0) fputc('.', stderr);
  else fprintf(stderr, "\n%.*s\n", (int)(len > 120 ? 120 : len), (const char *)json);
  return 0; /* non-zero would cancel */
}

static int fail(spark_error_t *err) {
  fprintf(stderr, "error %s (%u): %s\n", spark_error_code(err), spark_error_code_number(err), spark_error_message(err));
  spark_error_free(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *prompt = argc > 1 ? argv[1] : "a rotating pickup that plays a sound";
  printf("spark %s\n", spark_version());

  spark_client_t *client = NULL;
  spark_error_t *err = spark_client_new(NULL, 0, &client); /* defaults + environment */
  if (err) return fail(err);

  /* Requests are JSON; build it with a JSON library in real code (the prompt needs escaping). */
  char request[1024];
  snprintf(request, sizeof request, "{\"prompt\":\"%s\",\"caller\":\"example\"}", prompt);
  spark_buf_t result = {0};
  err = spark_generate_stream(client, (const uint8_t *)request, strlen(request), on_event, NULL, NULL, &result);
  if (err) {
    spark_client_free(client);
    return fail(err);
  }
  printf("%s\n", (const char *)result.data); /* files, diagnostics, usage, cost, provider... */

  if (argc > 2) { /* export: "zip", "upm" or "unitypackage" */
    spark_buf_t zip = {0};
    err = spark_export(client, result.data, result.len, (const uint8_t *)"zip", 3, &zip);
    if (err) return fail(err);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(zip.data, 1, zip.len, f) != zip.len) perror(argv[2]);
    else printf("wrote %s (%zu bytes): unzip it at the root of a Unity project\n", argv[2], zip.len);
    if (f) fclose(f);
    spark_buf_free(&zip);
  }
  spark_buf_free(&result);
  spark_client_free(client);
  return 0;
}
