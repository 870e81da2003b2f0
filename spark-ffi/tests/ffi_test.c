/*
 * C test of the SPARK C ABI, compiled with gcc against include/spark.h and run (under valgrind in CI)
 * by scripts/test-ffi.sh. Prints "N passed, N failed" and exits non-zero on any failure.
 *
 * With SPARK_MOCK_URL=http://127.0.0.1:PORT/v1 (tests/mock_openai.py) it also generates against a
 * loopback OpenAI-compatible server.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spark.h"

static int passed = 0, failed = 0;

#define CHECK(cond, ...)                                                                                    \
  do {                                                                                                      \
    if (cond) {                                                                                             \
      passed++;                                                                                             \
    } else {                                                                                                \
      failed++;                                                                                             \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                       \
      fprintf(stderr, __VA_ARGS__);                                                                         \
      fputc('\n', stderr);                                                                                  \
    }                                                                                                       \
  } while (0)

#define S(str) (const uint8_t *)(str), strlen(str)

static const char *OFFLINE = "{\"providers\":{\"order\":[\"offline\"]}}";

/* Returns the error's code and frees it (0 for success). */
static uint32_t code_of(spark_error_t *err) {
  uint32_t code = spark_error_code_number(err);
  spark_error_free(err);
  return code;
}

static spark_client_t *new_client(const char *config) {
  spark_client_t *client = NULL;
  spark_error_t *err = spark_client_new(S(config), &client);
  if (err) {
    fprintf(stderr, "spark_client_new(%s): %s\n", config, spark_error_message(err));
    spark_error_free(err);
    return NULL;
  }
  return client;
}

static void test_version(void) {
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", SPARK_VERSION_MAJOR, SPARK_VERSION_MINOR, SPARK_VERSION_PATCH);
  CHECK(strcmp(spark_version(), expect) == 0, "spark_version() = %s, header says %s", spark_version(), expect);
  CHECK(strcmp(spark_version(), SPARK_VERSION_STRING) == 0, "%s", spark_version());
  CHECK(strcmp(spark_code_name(SPARK_ERROR_RATE_LIMITED), "rate_limited") == 0, "code name");
  CHECK(strcmp(spark_code_name(SPARK_ERROR_INVALID_ARGUMENT), "invalid_argument") == 0, "code name");
  CHECK(spark_code_name(0) == NULL && spark_code_name(999) == NULL, "unknown codes have no name");
  for (uint32_t c = 1; c <= SPARK_ERROR_INTERNAL; c++) CHECK(spark_code_name(c) != NULL, "code %u has a name", c);
}

static void test_generate_offline(spark_client_t *client) {
  spark_buf_t info = {0};
  CHECK(code_of(spark_client_info(client, &info)) == 0, "info");
  CHECK(info.data && strstr((char *)info.data, "\"offline\":true") && strstr((char *)info.data, "\"offline\"]"),
        "info: %s", info.data ? (char *)info.data : "(null)");
  spark_buf_free(&info);

  spark_buf_t status = {0};
  CHECK(code_of(spark_client_status(client, &status)) == 0, "status");
  CHECK(status.data && strstr((char *)status.data, "\"providers\":[{") &&
            strstr((char *)status.data, "\"name\":\"offline\"") && strstr((char *)status.data, "\"cache\":{") &&
            strstr((char *)status.data, "\"hits\":0"),
        "status: %s", status.data ? (char *)status.data : "(null)");
  spark_buf_free(&status);
  CHECK(code_of(spark_client_status(client, NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL status out");
  CHECK(code_of(spark_client_status(NULL, &status)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL status client");

  spark_buf_t out = {0};
  spark_error_t *err = spark_generate(client, S("{\"prompt\":\"a rotating pickup that plays a sound\"}"), &out);
  CHECK(err == NULL, "generate: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(out.data != NULL && out.len > 100 && out.data[out.len] == 0, "result buffer %zu bytes", out.len);
  if (out.data) {
    CHECK(strstr((char *)out.data, "\"files\":[{\"path\":\"") != NULL, "files in %.200s", out.data);
    CHECK(strstr((char *)out.data, ".cs\"") != NULL, "a .cs file");
    CHECK(strstr((char *)out.data, "MonoBehaviour") != NULL, "a MonoBehaviour");
    CHECK(strstr((char *)out.data, "\"offline\":true") != NULL, "offline flag");

    /* Export the result: a ZIP starts with the local file header magic. */
    spark_buf_t zip = {0};
    err = spark_export(client, out.data, out.len, S("zip"), &zip);
    CHECK(err == NULL, "export: %s", spark_error_message(err));
    spark_error_free(err);
    CHECK(zip.len > 22 && memcmp(zip.data, "PK\x03\x04", 4) == 0, "zip magic (%zu bytes)", zip.len);
    spark_buf_free(&zip);
    CHECK(zip.data == NULL && zip.len == 0, "spark_buf_free resets the buffer");
    spark_buf_free(&zip); /* freeing the same struct again is harmless */

    /* UPM tarball and .unitypackage: gzip streams; format names are case-insensitive. */
    const char *gz_formats[] = {"upm", "unitypackage", " UnityPackage "};
    for (size_t i = 0; i < sizeof gz_formats / sizeof gz_formats[0]; i++) {
      spark_buf_t gz = {0};
      err = spark_export(client, out.data, out.len, S(gz_formats[i]), &gz);
      CHECK(err == NULL, "export %s: %s", gz_formats[i], spark_error_message(err));
      spark_error_free(err);
      CHECK(gz.len > 18 && gz.data[0] == 0x1f && gz.data[1] == 0x8b, "%s: gzip magic (%zu bytes)", gz_formats[i],
            gz.len);
      spark_buf_free(&gz);
    }

    err = spark_export(client, out.data, out.len, S("tarball"), &zip);
    CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "unknown format: %u", spark_error_code_number(err));
    CHECK(err && strstr(spark_error_message(err), "zip") && strstr(spark_error_message(err), "unitypackage"),
          "message lists formats: %s", spark_error_message(err));
    CHECK(zip.data == NULL, "no buffer on failure");
    spark_error_free(err);

    err = spark_export(client, S("{\"files\": 3}"), S("zip"), &zip);
    CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "bad result json: %u", spark_error_code_number(err));
    spark_error_free(err);
  }
  spark_buf_free(&out);
}

/* ---- streaming ---- */

typedef struct {
  char types[1024][16];
  int count;
  char *done_result; /* copy of the done event's result object */
  int cancel_after;  /* return non-zero at this event index; -1 never */
  spark_cancel_t *cancel_from_thread; /* cancel from another thread at the first event */
} events_t;

static void *cancel_thread(void *arg) {
  spark_error_t *err = spark_cancel_cancel((spark_cancel_t *)arg);
  return (void *)(uintptr_t)code_of(err);
}

static int32_t on_event(const uint8_t *json, size_t len, void *user_data) {
  events_t *ev = (events_t *)user_data;
  const char *text = (const char *)json;
  if (json[len] != 0 || strlen(text) != len) return 99; /* NUL-terminated with the right length */
  const char *t = strstr(text, "\"type\":\"");
  if (ev->count < 1024 && t) {
    t += 8;
    size_t n = strcspn(t, "\"");
    if (n > 15) n = 15;
    memcpy(ev->types[ev->count], t, n);
    ev->types[ev->count][n] = 0;
  }
  const char *prefix = "{\"type\":\"done\",\"result\":";
  if (strncmp(text, prefix, strlen(prefix)) == 0) {
    size_t rlen = len - strlen(prefix) - 1; /* drop the closing brace of the event */
    ev->done_result = malloc(rlen + 1);
    memcpy(ev->done_result, text + strlen(prefix), rlen);
    ev->done_result[rlen] = 0;
  }
  int index = ev->count++;
  if (ev->cancel_from_thread && index == 0) {
    /* Cancel from another thread and wait for it, so the cancellation is seen deterministically. */
    pthread_t th;
    void *rc = NULL;
    pthread_create(&th, NULL, cancel_thread, ev->cancel_from_thread);
    pthread_join(th, &rc);
    if ((uintptr_t)rc != 0) return 98;
  }
  return index == ev->cancel_after ? 1 : 0;
}

static void test_stream(spark_client_t *client) {
  events_t ev = {.cancel_after = -1};
  spark_buf_t out = {0};
  const char *req = "{\"prompt\":\"a third-person controller with double jump\",\"caller\":\"stream\"}";
  spark_error_t *err = spark_generate_stream(client, S(req), on_event, &ev, NULL, &out);
  CHECK(err == NULL, "stream: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(ev.count >= 4, "%d events", ev.count);
  CHECK(strcmp(ev.types[0], "started") == 0, "first event %s", ev.types[0]);
  CHECK(strcmp(ev.types[1], "delta") == 0, "second event %s", ev.types[1]);
  CHECK(ev.count >= 2 && strcmp(ev.types[ev.count - 2], "diagnostics") == 0, "next to last %s",
        ev.types[ev.count - 2]);
  CHECK(ev.count >= 1 && strcmp(ev.types[ev.count - 1], "done") == 0, "last %s", ev.types[ev.count - 1]);
  int deltas = 0, after_delta_other = 0;
  for (int i = 1; i < ev.count - 2; i++) {
    if (strcmp(ev.types[i], "delta") == 0) {
      deltas++;
      if (after_delta_other) break;
    } else if (strcmp(ev.types[i], "repairing") != 0) {
      after_delta_other = 1;
    }
  }
  CHECK(deltas >= 2, "%d deltas", deltas);
  CHECK(ev.done_result && out.data && strcmp(ev.done_result, (char *)out.data) == 0,
        "the out buffer holds the done event's result");
  free(ev.done_result);
  spark_buf_free(&out);

  /* Cancel from the callback. */
  events_t ev2 = {.cancel_after = 1};
  err = spark_generate_stream(client, S(req), on_event, &ev2, NULL, &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_CANCELLED, "callback cancel: %u %s", spark_error_code_number(err),
        spark_error_message(err));
  CHECK(err && strcmp(spark_error_code(err), "cancelled") == 0, "cancelled name");
  spark_error_free(err);
  CHECK(ev2.count == 2, "no event after the cancelling one (%d)", ev2.count);
  CHECK(out.data == NULL && out.len == 0, "no result after cancel");
  free(ev2.done_result);

  /* Cancel from another thread. */
  spark_cancel_t *cancel = spark_cancel_new();
  CHECK(cancel != NULL, "spark_cancel_new");
  events_t ev3 = {.cancel_after = -1, .cancel_from_thread = cancel};
  err = spark_generate_stream(client, S(req), on_event, &ev3, cancel, &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_CANCELLED, "thread cancel: %u %s", spark_error_code_number(err),
        spark_error_message(err));
  spark_error_free(err);
  CHECK(ev3.count == 1, "cancelled right after the first event (%d)", ev3.count);
  free(ev3.done_result);

  /* An already cancelled flag stops the call before any event; NULL callback is allowed. */
  err = spark_generate_stream(client, S(req), NULL, NULL, cancel, &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_CANCELLED, "pre-cancelled: %u", spark_error_code_number(err));
  spark_error_free(err);
  spark_cancel_free(cancel);
  CHECK(code_of(spark_cancel_cancel(cancel)) == SPARK_ERROR_INVALID_ARGUMENT, "cancel after free");
  spark_cancel_free(cancel); /* double free ignored */
  err = spark_generate_stream(client, S(req), NULL, NULL, cancel, &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "freed cancel handle: %u", spark_error_code_number(err));
  spark_error_free(err);

  /* Streaming without a callback still returns the result. */
  err = spark_generate_stream(client, S(req), NULL, NULL, NULL, &out);
  CHECK(err == NULL && out.data && strstr((char *)out.data, "\"files\""), "stream without callback");
  spark_error_free(err);
  spark_buf_free(&out);
}

/* ---- calls into SPARK from inside a stream callback ---- */

typedef struct {
  spark_client_t *client;
  int events;
  uint32_t generate_code, stream_code, validate_code, info_code;
  int free_client; /* free the client from the first callback */
} reentry_t;

static int32_t on_event_reenter(const uint8_t *json, size_t len, void *user_data) {
  (void)json;
  (void)len;
  reentry_t *r = user_data;
  if (r->events++ > 0) return 0;
  spark_buf_t out = {0};
  r->generate_code = code_of(spark_generate(r->client, S("{\"prompt\":\"a door\"}"), &out));
  spark_buf_free(&out);
  r->stream_code = code_of(spark_generate_stream(r->client, S("{\"prompt\":\"a door\"}"), NULL, NULL, NULL, &out));
  spark_buf_free(&out);
  r->validate_code = code_of(spark_validate(r->client, S("class A {}"), S("A.cs"), &out));
  spark_buf_free(&out);
  r->info_code = code_of(spark_client_info(r->client, &out));
  spark_buf_free(&out);
  if (r->free_client) spark_client_free(r->client);
  return 0;
}

static void test_reentry(void) {
  reentry_t r = {.client = new_client(OFFLINE)};
  spark_buf_t out = {0};
  spark_error_t *err = spark_generate_stream(r.client, S("{\"prompt\":\"a lamp\"}"), on_event_reenter, &r, NULL, &out);
  CHECK(err == NULL && out.data, "the outer stream completes: %s", spark_error_message(err));
  spark_error_free(err);
  spark_buf_free(&out);
  CHECK(r.generate_code == SPARK_ERROR_INVALID_ARGUMENT, "spark_generate in a callback: %u", r.generate_code);
  CHECK(r.stream_code == SPARK_ERROR_INVALID_ARGUMENT, "spark_generate_stream in a callback: %u", r.stream_code);
  CHECK(r.validate_code == 0 && r.info_code == 0, "validate/info in a callback: %u %u", r.validate_code, r.info_code);
  /* The flag is cleared after the callback: the same thread may generate again. */
  CHECK(code_of(spark_generate(r.client, S("{\"prompt\":\"a lamp\"}"), &out)) == 0, "generate after the stream");
  spark_buf_free(&out);

  /* Freeing the streaming client from its own callback: the stream still completes. */
  r = (reentry_t){.client = r.client, .free_client = 1};
  err = spark_generate_stream(r.client, S("{\"prompt\":\"a lamp\",\"no_cache\":true}"), on_event_reenter, &r, NULL,
                              &out);
  CHECK(err == NULL && out.data && r.events > 1, "stream outlives spark_client_free: %s", spark_error_message(err));
  spark_error_free(err);
  spark_buf_free(&out);
  CHECK(code_of(spark_client_info(r.client, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "the client is freed afterwards");
}

/* ---- validate ---- */

static void test_validate(spark_client_t *client) {
  const char *clean =
      "using UnityEngine;\n"
      "\n"
      "public class Spinner : MonoBehaviour\n"
      "{\n"
      "    [SerializeField] private float speed = 90f;\n"
      "\n"
      "    private void Update()\n"
      "    {\n"
      "        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n"
      "    }\n"
      "}\n";
  spark_buf_t out = {0};
  spark_error_t *err = spark_validate(client, S(clean), S("Spinner.cs"), &out);
  CHECK(err == NULL, "validate: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(out.data && strcmp((char *)out.data, "[]") == 0, "clean script: %s", out.data ? (char *)out.data : "");
  spark_buf_free(&out);

  const char *broken =
      "using UnityEngine;\n"
      "\n"
      "public class Broken : MonoBehaviour\n"
      "{\n"
      "    void Update()\n"
      "    {\n"
      "        int x = ;\n"
      "    }\n"
      "}\n";
  err = spark_validate(client, S(broken), S("Broken.cs"), &out);
  CHECK(err == NULL, "validate broken: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(out.data && strstr((char *)out.data, "\"severity\":\"error\""), "an error: %s",
        out.data ? (char *)out.data : "");
  CHECK(out.data && strstr((char *)out.data, "\"line\":7"), "on line 7: %s", out.data ? (char *)out.data : "");
  CHECK(out.data && strstr((char *)out.data, "\"file\":\"Broken.cs\""), "file name");
  CHECK(out.data && strstr((char *)out.data, "\"rule\":\"SPK"), "a rule id");
  spark_buf_free(&out);

  /* Non-ASCII source is fine; invalid UTF-8 is not. */
  err = spark_validate(client, S("// \xc3\xa9t\xc3\xa9\npublic class A {}\n"), S("A.cs"), &out);
  CHECK(err == NULL, "utf-8 source: %s", spark_error_message(err));
  spark_error_free(err);
  spark_buf_free(&out);
  err = spark_validate(client, S("class A { \xff\xfe }"), S("A.cs"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "invalid UTF-8 source: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "UTF-8"), "message says UTF-8: %s", spark_error_message(err));
  spark_error_free(err);
  /* No file name: the main type's (Spinner.cs), so the class-name rule passes. */
  err = spark_validate(client, S(clean), NULL, 0, &out);
  CHECK(err == NULL && out.data && strcmp((char *)out.data, "[]") == 0, "no file name: %s %s", spark_error_message(err),
        out.data ? (char *)out.data : "");
  spark_error_free(err);
  spark_buf_free(&out);
}

/* ---- project validation ---- */

static void test_validate_project(spark_client_t *client) {
  /* One editor tool under Assets/Tools: clean with an editor-only asmdef there, SPK1002 without. */
  const char *editor_only =
      "{\"files\":[{\"path\":\"Assets/Tools/BuildTool.cs\",\"content\":\"using UnityEditor;\\npublic static class "
      "BuildTool { }\\n\"}],\"asmdefs\":[{\"path\":\"Assets/Tools/Tools.asmdef\",\"content\":\"{\\\"name\\\":"
      "\\\"Tools\\\",\\\"includePlatforms\\\":[\\\"Editor\\\"]}\"}]}";
  spark_buf_t out = {0};
  spark_error_t *err = spark_validate_project(client, S(editor_only), &out);
  CHECK(err == NULL && out.data && strcmp((char *)out.data, "[]") == 0, "editor-only asmdef: %s %s",
        spark_error_message(err), out.data ? (char *)out.data : "");
  spark_error_free(err);
  spark_buf_free(&out);

  const char *no_asmdef =
      "{\"files\":[{\"path\":\"Assets/Tools/BuildTool.cs\",\"content\":\"using UnityEditor;\\npublic static class "
      "BuildTool { }\\n\"}]}";
  err = spark_validate_project(client, S(no_asmdef), &out);
  CHECK(err == NULL && out.data && strstr((char *)out.data, "\"rule\":\"SPK1002\"") &&
            strstr((char *)out.data, "\"file\":\"Assets/Tools/BuildTool.cs\"") &&
            strstr((char *)out.data, "\"line\":1,\"column\":7"),
        "no asmdef: SPK1002 in the tool at 1:7: %s", out.data ? (char *)out.data : "");
  spark_error_free(err);
  spark_buf_free(&out);

  /* The same type in two files: SPK1027 in the second, at its name. */
  const char *duplicate =
      "{\"files\":[{\"path\":\"A.cs\",\"content\":\"public class Pool { }\"},"
      "{\"path\":\"B.cs\",\"content\":\"\\npublic class Pool { }\"}]}";
  err = spark_validate_project(client, S(duplicate), &out);
  CHECK(err == NULL && out.data && strstr((char *)out.data, "\"rule\":\"SPK1027\"") &&
            strstr((char *)out.data, "\"file\":\"B.cs\",\"line\":2,\"column\":14"),
        "duplicate type: %s", out.data ? (char *)out.data : "");
  spark_error_free(err);
  spark_buf_free(&out);

  /* A broken asmdef is a diagnostic; a broken request is an error. */
  err = spark_validate_project(client, S("{\"files\":[],\"asmdefs\":[{\"path\":\"X.asmdef\",\"content\":\"{\"}]}"), &out);
  CHECK(err == NULL && out.data && strstr((char *)out.data, "\"rule\":\"SPK1028\""), "broken asmdef: %s",
        out.data ? (char *)out.data : "");
  spark_error_free(err);
  spark_buf_free(&out);
  err = spark_validate_project(client, S("{\"files\":[{\"path\":\"A.cs\"}]}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT && out.data == NULL, "request without content: %u",
        spark_error_code_number(err));
  spark_error_free(err);
  err = spark_validate_project(client, NULL, 0, &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "NULL request: %u", spark_error_code_number(err));
  spark_error_free(err);
}

/* ---- bad input and error mapping ---- */

static void test_bad_input(spark_client_t *client) {
  spark_buf_t out = {0};
  spark_error_t *err;

  err = spark_generate(NULL, S("{\"prompt\":\"x\"}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "NULL client: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "NULL"), "message names NULL: %s", spark_error_message(err));
  CHECK(spark_error_retry_after_ms(err) == -1, "no retry hint");
  spark_error_free(err);

  CHECK(code_of(spark_generate(client, S("{\"prompt\":\"x\"}"), NULL)) == SPARK_ERROR_INVALID_ARGUMENT,
        "NULL out");
  CHECK(code_of(spark_generate(client, NULL, 12, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL request");
  CHECK(code_of(spark_generate(client, NULL, 0, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "empty request");
  CHECK(code_of(spark_validate(client, NULL, 3, S("A.cs"), &out)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL source");
  CHECK(code_of(spark_client_info(client, NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL info out");
  CHECK(code_of(spark_client_new(S(OFFLINE), NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL client out");

  err = spark_generate(client, S("{\"prompt\":\"caf\xc3\x28\"}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "invalid UTF-8 request: %u", spark_error_code_number(err));
  spark_error_free(err);

  err = spark_generate(client, S("{\"prompt\": \"x\""), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "malformed JSON: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "request_json"), "message: %s", spark_error_message(err));
  spark_error_free(err);

  err = spark_generate(client, S("{\"prompt\":\"x\",\"temprature\":1}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "unknown field: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "temprature"), "message names it: %s", spark_error_message(err));
  spark_error_free(err);

  err = spark_generate(client, S("{\"prompt\":\"   \"}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_REQUEST, "empty prompt: %u %s", spark_error_code_number(err),
        spark_error_message(err));
  spark_error_free(err);
  CHECK(out.data == NULL && out.len == 0, "out stays empty on errors");

  /* Configuration errors. */
  spark_client_t *c = (spark_client_t *)1;
  err = spark_client_new(S("{\"providers\": "), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_CONFIG, "malformed config: %u", spark_error_code_number(err));
  CHECK(c == NULL, "out client NULL on failure");
  spark_error_free(err);
  err = spark_client_new(S("{\"providers\":{\"order\":[\"skynet\"]}}"), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_CONFIG, "unknown provider: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "providers.order"), "names the field: %s", spark_error_message(err));
  spark_error_free(err);
  err = spark_client_new(S("{\"cache\":{\"enabled\":\"yes\"}}"), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_CONFIG, "wrong type: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "cache.enabled"), "names the field: %s", spark_error_message(err));
  spark_error_free(err);
  err = spark_client_new(S("{\"x\":\"\xff\"}"), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "config not UTF-8: %u", spark_error_code_number(err));
  spark_error_free(err);

  /* The same configuration as spark.toml text. */
  err = spark_client_new_from_toml_str(S("[providers]\norder = [\"offline\"]\n[rate_limit]\nburst = 3\n"), &c);
  CHECK(err == NULL && c != NULL, "toml config: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(code_of(spark_client_info(c, &out)) == 0 && out.data && strstr((char *)out.data, "\"burst\":3"), "toml applied");
  spark_buf_free(&out);
  spark_client_free(c);
  err = spark_client_new_from_toml_str(S("[providers\norder = 1"), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_CONFIG && c == NULL, "malformed toml: %u", spark_error_code_number(err));
  spark_error_free(err);
  err = spark_client_new_from_toml_str(S("[cache]\nenabled = \"yes\"\n"), &c);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_CONFIG && err && strstr(spark_error_message(err), "cache.enabled"),
        "toml wrong type: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(code_of(spark_client_new_from_toml_str(S("x = 1"), NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL toml out");
  CHECK(code_of(spark_client_new_from_toml_str(NULL, 5, &c)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL toml text");
}

/* from_toml takes a file name (with SPARK_* overrides), from_toml_str the text, as in every binding. */
static void test_toml_file(void) {
  char path[] = "/tmp/spark-ffi-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  if (fd < 0) return;
  const char *toml = "[providers]\norder = [\"offline\"]\n[rate_limit]\nburst = 7\n";
  CHECK(write(fd, toml, strlen(toml)) == (ssize_t)strlen(toml), "write toml");
  close(fd);
  spark_client_t *c = NULL;
  spark_buf_t out = {0};
  spark_error_t *err = spark_client_new_from_toml(S(path), &c);
  CHECK(err == NULL && c, "from_toml(path): %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(code_of(spark_client_info(c, &out)) == 0 && out.data && strstr((char *)out.data, "\"burst\":7"), "file applied");
  spark_buf_free(&out);
  spark_client_free(c);
  unlink(path);
  err = spark_client_new_from_toml(S(path), &c);
  CHECK(err && strcmp(spark_error_code(err), "invalid_config") == 0 && strstr(spark_error_message(err), "cannot read") && c == NULL, "missing file: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(code_of(spark_client_new_from_toml(S(toml), &c)) != 0, "TOML text is not a file name");
}

/* Limits protect provider spend: the offline scaffold is never limited, a model provider is. */
static void test_offline_is_never_rate_limited(void) {
  spark_client_t *c =
      new_client("{\"providers\":{\"order\":[\"offline\"]},\"rate_limit\":{\"requests_per_minute\":1,\"burst\":1}}");
  CHECK(c != NULL, "offline client with a tiny limit");
  if (!c) return;
  for (int i = 0; i < 5; i++) {
    spark_buf_t out = {0};
    const char *req = i % 2 ? "{\"prompt\":\"a door that opens\",\"caller\":\"alice\"}"
                            : "{\"prompt\":\"a coin that spins\",\"caller\":\"alice\"}";
    CHECK(code_of(spark_generate(c, S(req), &out)) == 0, "offline call %d passes", i);
    spark_buf_free(&out);
  }
  spark_client_free(c);
}

static void test_rate_limited(const char *base_url) {
  char config[512];
  snprintf(config, sizeof config,
           "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":\"%s\",\"model\":\"mock\",\"api_key\":\"sk-mock\"},"
           "\"rate_limit\":{\"requests_per_minute\":1,\"burst\":1}}",
           base_url);
  spark_client_t *c = new_client(config);
  CHECK(c != NULL, "rate-limited client");
  if (!c) return;
  spark_buf_t out = {0};
  CHECK(code_of(spark_generate(c, S("{\"prompt\":\"a door that opens\",\"caller\":\"alice\"}"), &out)) == 0,
        "first call passes");
  spark_buf_free(&out);
  /* Another prompt: the first one would be a cache hit, which spends no tokens. */
  spark_error_t *err = spark_generate(c, S("{\"prompt\":\"a coin that spins\",\"caller\":\"alice\"}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_RATE_LIMITED, "second call: %u %s", spark_error_code_number(err),
        spark_error_message(err));
  CHECK(err && strcmp(spark_error_code(err), "rate_limited") == 0, "code name");
  CHECK(spark_error_retry_after_ms(err) > 0, "retry after %lld ms", (long long)spark_error_retry_after_ms(err));
  spark_buf_t details = {0};
  CHECK(spark_error_details(err, &details), "details");
  CHECK(details.data && strstr((char *)details.data, "\"code\":\"rate_limited\"") &&
            strstr((char *)details.data, "\"retryable\":true"),
        "details: %s", details.data ? (char *)details.data : "");
  /* The request id generated for the refused call comes back with the error. */
  const char *rid = details.data ? strstr((char *)details.data, "\"request_id\":\"") : NULL;
  CHECK(rid && strlen(rid) > 16 + 32 && rid[16 + 32] == '"', "request id in details: %s",
        details.data ? (char *)details.data : "");
  spark_buf_free(&details);
  spark_error_free(err);
  /* Another caller has its own bucket. */
  CHECK(code_of(spark_generate(c, S("{\"prompt\":\"a lamp that flickers\",\"caller\":\"bob\"}"), &out)) == 0, "bob");
  spark_buf_free(&out);
  spark_client_free(c);
}

static void test_freed_handles(void) {
  spark_client_t *c = new_client(OFFLINE);
  CHECK(c != NULL, "client");
  spark_buf_t out = {0};
  spark_client_free(c);
  spark_error_t *err = spark_validate(c, S("class A {}"), S("A.cs"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "call after free: %u", spark_error_code_number(err));
  CHECK(err && strstr(spark_error_message(err), "freed"), "message: %s", spark_error_message(err));
  spark_client_free(c); /* double free is ignored */
  CHECK(code_of(spark_generate(c, S("{\"prompt\":\"x\"}"), &out)) == SPARK_ERROR_INVALID_ARGUMENT, "after 2 frees");

  /* A handle of another kind is not a client. */
  CHECK(code_of(spark_client_info((spark_client_t *)err, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "error as client");
  spark_cancel_t *cancel = spark_cancel_new();
  CHECK(code_of(spark_client_info((spark_client_t *)cancel, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "cancel as client");
  spark_cancel_free(cancel);
  CHECK(code_of(spark_client_info((spark_client_t *)0x1234, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "forged");

  /* Errors: freed ones read as invalid, double free ignored. */
  spark_error_free(err);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "freed error code");
  CHECK(spark_error_message(err) == NULL, "freed error message");
  spark_error_free(err);
  CHECK(spark_error_code_number(NULL) == 0 && spark_error_message(NULL) == NULL && spark_error_code(NULL) == NULL,
        "NULL error");
  CHECK(!spark_error_details(NULL, &out) && out.data == NULL, "no details for NULL");
  spark_error_free(NULL);
  spark_client_free(NULL);
  spark_cancel_free(NULL);
  spark_buf_free(NULL);
}

/* ---- concurrency: one client, several threads ---- */

typedef struct {
  spark_client_t *client;
  int ok;
  char request[128];
} worker_t;

static void *worker(void *arg) {
  worker_t *w = (worker_t *)arg;
  for (int i = 0; i < 5; i++) {
    spark_buf_t out = {0};
    spark_error_t *err = spark_validate(w->client, S("public class A { void F() { int x = ; } }"), S("A.cs"), &out);
    if (!err && out.data && strstr((char *)out.data, "\"error\"")) w->ok++;
    spark_error_free(err);
    spark_buf_free(&out);
    err = spark_generate(w->client, S(w->request), &out);
    if (!err && out.data && strstr((char *)out.data, "\"files\"")) w->ok++;
    spark_error_free(err);
    spark_buf_free(&out);
  }
  return NULL;
}

static void test_threads(spark_client_t *client) {
  enum { N = 4 };
  pthread_t th[N];
  worker_t w[N];
  for (int i = 0; i < N; i++) {
    w[i] = (worker_t){client, 0, {0}};
    snprintf(w[i].request, sizeof w[i].request, "{\"prompt\":\"a spinning coin\",\"caller\":\"thread-%d\"}", i);
    pthread_create(&th[i], NULL, worker, &w[i]);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    CHECK(w[i].ok == 10, "thread %d: %d/10 calls succeeded", i, w[i].ok);
  }
}

/* ---- loopback OpenAI-compatible mock ---- */

/* Log lines collected by on_log (several threads may log at once). */
typedef struct {
  pthread_mutex_t lock;
  int count;
  int warnings;
  int with_secret;
  char first[256];
} logs_t;

static const char *SECRET = "sk-canary-5ecret-d0-not-log";

static void on_log(uint32_t level, const uint8_t *target, const uint8_t *message, void *user_data) {
  logs_t *logs = user_data;
  pthread_mutex_lock(&logs->lock);
  if (logs->count++ == 0) snprintf(logs->first, sizeof logs->first, "%u %s: %s", level, target, message);
  if (level == SPARK_LOG_WARN) logs->warnings++;
  if (strstr((const char *)message, SECRET) || strstr((const char *)target, SECRET)) logs->with_secret++;
  pthread_mutex_unlock(&logs->lock);
}

/* One spark_generate on its own thread: retries seed std's per-thread state there, and a thread that
   exits frees it (on the main thread valgrind would report it as possibly lost at exit). */
static void *generate_thread(void *arg) {
  spark_buf_t out = {0};
  uint32_t code = code_of(spark_generate((spark_client_t *)arg, S("{\"prompt\":\"a spinning pickup\"}"), &out));
  spark_buf_free(&out);
  return (void *)(uintptr_t)code;
}

static uint32_t generate_on_thread(spark_client_t *c) {
  pthread_t th;
  void *rc = NULL;
  pthread_create(&th, NULL, generate_thread, c);
  pthread_join(th, &rc);
  return (uint32_t)(uintptr_t)rc;
}

/* Log events reach the callback, filtered, and never carry the API key. */
static void test_logs(const char *base_url) {
  static logs_t logs = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK(code_of(spark_set_log_filter(S("warn"))) == SPARK_ERROR_INVALID_ARGUMENT, "a filter needs a callback first");
  CHECK(code_of(spark_set_log_callback(on_log, &logs)) == 0, "set log callback");
  CHECK(code_of(spark_set_log_filter(S("spark_core=loud"))) == SPARK_ERROR_INVALID_ARGUMENT, "bad filter syntax");
  CHECK(code_of(spark_set_log_filter(S("warn"))) == 0, "warn filter");
  char config[512];
  snprintf(config, sizeof config,
           "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":\"%s\",\"model\":\"mock-500\","
           "\"api_key\":\"%s\"},\"retry\":{\"max_attempts\":3,\"base_delay_ms\":1,\"max_delay_ms\":2},"
           "\"cache\":{\"enabled\":false}}",
           base_url, SECRET);
  spark_client_t *c = new_client(config);
  CHECK(c != NULL, "500 client");
  if (!c) return;
  uint32_t code = generate_on_thread(c);
  CHECK(code != 0, "a provider answering 500 fails the call (%u)", code);
  pthread_mutex_lock(&logs.lock);
  CHECK(logs.warnings >= 1, "retry warnings were logged (%d records, first: %s)", logs.count, logs.first);
  CHECK(logs.with_secret == 0, "no log record holds the API key (%d of %d)", logs.with_secret, logs.count);
  int before = logs.count;
  pthread_mutex_unlock(&logs.lock);
  /* error only: retries (warnings) are filtered out. */
  CHECK(code_of(spark_set_log_filter(S("error"))) == 0, "error filter");
  generate_on_thread(c);
  pthread_mutex_lock(&logs.lock);
  CHECK(logs.count == before, "warnings filtered out (%d -> %d)", before, logs.count);
  pthread_mutex_unlock(&logs.lock);
  CHECK(code_of(spark_set_log_callback(NULL, NULL)) == 0, "log callback removed");
  spark_client_free(c);
}

static void test_mock(const char *base_url) {
  char config[512];
  snprintf(config, sizeof config,
           "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":\"%s\",\"model\":\"mock\",\"api_key\":\"sk-mock\"},"
           "\"retry\":{\"max_attempts\":1},\"cache\":{\"enabled\":false}}",
           base_url);
  spark_client_t *c = new_client(config);
  CHECK(c != NULL, "mock client");
  if (!c) return;
  spark_buf_t out = {0};
  spark_error_t *err = spark_generate(c, S("{\"prompt\":\"a spinning pickup\"}"), &out);
  CHECK(err == NULL, "mock generate: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(out.data && strstr((char *)out.data, "\"path\":\"Spinner.cs\""), "Spinner.cs from the mock: %.300s",
        out.data ? (char *)out.data : "");
  CHECK(out.data && strstr((char *)out.data, "\"input_tokens\":42") && strstr((char *)out.data, "\"output_tokens\":17"),
        "usage from the mock");
  CHECK(out.data && strstr((char *)out.data, "\"provider\":\"openai\""), "provider openai");
  spark_buf_free(&out);

  events_t ev = {.cancel_after = -1};
  err = spark_generate_stream(c, S("{\"prompt\":\"a spinning pickup\"}"), on_event, &ev, NULL, &out);
  CHECK(err == NULL, "mock stream: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(ev.count > 5 && strcmp(ev.types[0], "started") == 0 && strcmp(ev.types[ev.count - 1], "done") == 0,
        "mock stream events (%d)", ev.count);
  CHECK(out.data && strstr((char *)out.data, "Spinner.cs") && strstr((char *)out.data, "\"input_tokens\":42"),
        "mock stream result");
  free(ev.done_result);
  spark_buf_free(&out);

  err = spark_generate(c, S("{\"prompt\":\"a spinning pickup\",\"model\":\"mock-429\"}"), &out);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_RATE_LIMITED, "429: %u %s", spark_error_code_number(err),
        spark_error_message(err));
  CHECK(spark_error_retry_after_ms(err) == 1000, "retry-after 1 s: %lld", (long long)spark_error_retry_after_ms(err));
  spark_buf_t details = {0};
  spark_error_details(err, &details);
  CHECK(details.data && strstr((char *)details.data, "\"status\":429"), "details: %s",
        details.data ? (char *)details.data : "");
  spark_buf_free(&details);
  spark_error_free(err);

  /* The result JSON is spark-core's serde form itself: every field, repair rounds included. */
  err = spark_generate(c, S("{\"prompt\":\"a spinning pickup\",\"model\":\"mock-warn\"}"), &out);
  CHECK(err == NULL, "mock-warn: %s", spark_error_message(err));
  spark_error_free(err);
  const char *fields[] = {"\"files\":[{\"path\":", "\"diagnostics\":[{\"severity\":\"warning\"", "\"usage\":{",
                          "\"rounds\":[{\"round\":0", "\"diagnostics_after\":[{", "\"kept\":true", "\"stop_reason\":",
                          "\"provider_request_id\":\"req_mock_1\"", "\"request_id\":\"", "\"request_hash\":", "\"cost_usd\":", "\"raw\":", "\"blocked\":null"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    CHECK(out.data && strstr((char *)out.data, fields[i]), "result JSON has %s: %.400s", fields[i],
          out.data ? (char *)out.data : "");
  spark_buf_free(&out);

  /* Health counters of the chain, and the API key never printed. */
  CHECK(code_of(spark_client_status(c, &out)) == 0, "mock status");
  CHECK(out.data && strstr((char *)out.data, "\"name\":\"openai\"") && strstr((char *)out.data, "\"state\":\"closed\"") &&
            strstr((char *)out.data, "\"successes\":3"),
        "mock status: %s", out.data ? (char *)out.data : "(null)");
  spark_buf_free(&out);
  /* Metrics as Prometheus text and health as JSON: three answered calls and one 429. */
  CHECK(code_of(spark_client_metrics_text(c, &out)) == 0, "mock metrics");
  CHECK(out.data && out.data[out.len] == 0 && strstr((char *)out.data, "# TYPE spark_requests_total counter\n") &&
            strstr((char *)out.data, "spark_provider_attempts_total{provider=\"openai\",code=\"ok\"} 3\n") &&
            !strstr((char *)out.data, "sk-mock"),
        "mock metrics: %s", out.data ? (char *)out.data : "(null)");
  spark_buf_free(&out);
  CHECK(code_of(spark_client_metrics_text(c, NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL metrics out");
  CHECK(code_of(spark_client_metrics_text(NULL, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL metrics client");
  CHECK(code_of(spark_client_health(c, &out)) == 0, "mock health");
  CHECK(out.data && strstr((char *)out.data, "\"ready\":true") && strstr((char *)out.data, "\"breaker\":\"closed\"") &&
            strstr((char *)out.data, "\"recent_attempts\":4") && strstr((char *)out.data, "\"ledger\":\"off\""),
        "mock health: %s", out.data ? (char *)out.data : "(null)");
  spark_buf_free(&out);
  CHECK(code_of(spark_client_health(NULL, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL health client");
  CHECK(code_of(spark_client_info(c, &out)) == 0, "mock info");
  CHECK(out.data && !strstr((char *)out.data, "sk-mock") && strstr((char *)out.data, "redacted"),
        "the key is redacted: %s", out.data ? (char *)out.data : "(null)");
  spark_buf_free(&out);
  spark_client_free(c);
}

/* The output policy: blocking findings hold the files back, export refuses with OUTPUT_BLOCKED unless
 * told allow_unsafe, and the AWS key never reaches the result or the archive. */
static void test_output_policy(const char *base_url) {
  char config[512];
  snprintf(config, sizeof config,
           "{\"providers\":{\"order\":[\"openai\"]},\"openai\":{\"base_url\":\"%s\",\"model\":\"mock-hostile\","
           "\"api_key\":\"sk-mock\"},\"retry\":{\"max_attempts\":1},\"repair\":{\"max_rounds\":0}}",
           base_url);
  spark_client_t *c = new_client(config);
  CHECK(c != NULL, "policy client");
  if (!c) return;
  spark_buf_t out = {0};
  spark_error_t *err = spark_generate(c, S("{\"prompt\":\"an uploader\"}"), &out);
  CHECK(err == NULL, "hostile generate: %s", spark_error_message(err));
  spark_error_free(err);
  const char *json = out.data ? (const char *)out.data : "";
  CHECK(strstr(json, "\"files\":[]") && strstr(json, "\"blocked\":{\"rules\":[\"SPK2001\",\"SPK2009\"]"),
        "blocked with its rules: %.600s", json);
  CHECK(strstr(json, "\"withheld_files\":[{\"path\":\"Exfil.cs\"") && !strstr(json, "AKIAQ7ZD3KX9PLMN4RTB"),
        "files withheld, key redacted");
  spark_buf_t zip = {0};
  err = spark_export(c, out.data, out.len, S("zip"), &zip);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_OUTPUT_BLOCKED, "export refused: %u %s",
        spark_error_code_number(err), spark_error_message(err));
  CHECK(strcmp(spark_error_code(err), "output_blocked") == 0, "code name %s", spark_error_code(err));
  CHECK(zip.data == NULL, "no bytes written");
  spark_error_free(err);
  err = spark_export_with_options(c, out.data, out.len, S("zip"), NULL, 0, &zip);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_OUTPUT_BLOCKED, "no options: still refused");
  spark_error_free(err);
  err = spark_export_with_options(c, out.data, out.len, S("zip"), S("{\"allow_unsave\":true}"), &zip);
  CHECK(spark_error_code_number(err) == SPARK_ERROR_INVALID_ARGUMENT, "a mistyped option is refused");
  spark_error_free(err);
  err = spark_export_with_options(c, out.data, out.len, S("zip"), S("{\"allow_unsafe\":true}"), &zip);
  CHECK(err == NULL && zip.data && zip.len > 22 && memcmp(zip.data, "PK", 2) == 0, "allow_unsafe exports: %s",
        spark_error_message(err));
  spark_error_free(err);
  spark_buf_free(&zip);
  spark_buf_free(&out);

  err = spark_generate(c, S("{\"prompt\":\"an uploader\",\"allow_unsafe\":true}"), &out);
  CHECK(err == NULL, "allow_unsafe generate: %s", spark_error_message(err));
  spark_error_free(err);
  json = out.data ? (const char *)out.data : "";
  CHECK(strstr(json, "\"blocked\":null") && strstr(json, "\"path\":\"Exfil.cs\"") &&
            strstr(json, "AwsKey = \\\"REDACTED\\\"") && !strstr(json, "AKIAQ7ZD3KX9PLMN4RTB"),
        "unblocked, key redacted: %.600s", json);
  spark_buf_free(&out);
  spark_client_free(c);
}

/* Usage analytics over the ledger: every query kind, and the errors a host can make. */
static void test_usage(void) {
  spark_client_t *c = new_client("{\"providers\":{\"order\":[\"offline\"]},\"ledger\":{\"enabled\":true}}");
  CHECK(c != NULL, "client with an in-memory ledger");
  if (!c) return;
  const char *reqs[] = {"{\"prompt\":\"a door that opens\",\"caller\":\"alice\"}",
                        "{\"prompt\":\"a coin that spins\",\"caller\":\"alice\"}",
                        "{\"prompt\":\"a lamp that blinks\",\"caller\":\"bob\"}"};
  for (size_t i = 0; i < 3; i++) {
    spark_buf_t out = {0};
    CHECK(code_of(spark_generate(c, S(reqs[i]), &out)) == 0, "recorded call %zu", i);
    spark_buf_free(&out);
  }
  struct {
    const char *query, *want1, *want2;
  } cases[] = {
      {"{\"query\":\"totals\",\"caller\":\"alice\"}", "\"caller\":\"alice\"", "\"requests\":2"},
      {"{\"query\":\"by\",\"group_by\":\"provider\",\"period\":\"all\"}", "\"key\":\"offline\"", "\"requests\":3"},
      {"{\"query\":\"top\",\"rank_by\":\"requests\",\"limit\":1}", "[{\"key\":\"alice\"", "\"requests\":2"},
      {"{\"query\":\"report\",\"period\":\"month\"}", "\"by_caller\":[{", "\"key\":\"bob\""},
      {"{\"query\":\"export\",\"caller\":\"bob\"}", "\"caller\":\"bob\"", "\"records\":[{"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    spark_buf_t out = {0};
    spark_error_t *err = spark_client_usage(c, S(cases[i].query), &out);
    CHECK(err == NULL, "usage %s: %s", cases[i].query, spark_error_message(err));
    spark_error_free(err);
    const char *json = out.data ? (const char *)out.data : "";
    CHECK(strstr(json, cases[i].want1) && strstr(json, cases[i].want2), "usage %s answered %.400s", cases[i].query,
          json);
    spark_buf_free(&out);
  }
  /* Only one top caller asked for: bob is not listed. */
  spark_buf_t out = {0};
  CHECK(code_of(spark_client_usage(c, S("{\"query\":\"top\",\"rank_by\":\"requests\",\"limit\":1}"), &out)) == 0 &&
            out.data && !strstr((char *)out.data, "bob"),
        "limit 1");
  spark_buf_free(&out);
  spark_error_t *err = spark_client_usage(c, S("{\"query\":\"week\"}"), &out);
  CHECK(err && strcmp(spark_error_code(err), "invalid_request") == 0 && strstr(spark_error_message(err), "totals"),
        "unknown kind: %s", spark_error_message(err));
  CHECK(out.data == NULL && out.len == 0, "nothing written on failure");
  spark_error_free(err);
  err = spark_client_usage(c, S("{\"query\":\"by\",\"group_by\":\"week\"}"), &out);
  CHECK(err && strcmp(spark_error_code(err), "invalid_request") == 0, "bad group_by: %s", spark_error_message(err));
  spark_error_free(err);
  CHECK(code_of(spark_client_usage(c, S("{\"query\":\"totals\",\"colour\":1}"), &out)) == SPARK_ERROR_INVALID_ARGUMENT,
        "unknown field");
  CHECK(code_of(spark_client_usage(c, S("not json"), &out)) == SPARK_ERROR_INVALID_ARGUMENT, "garbage");
  CHECK(code_of(spark_client_usage(c, NULL, 5, &out)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL query");
  CHECK(code_of(spark_client_usage(c, S("{\"query\":\"totals\"}"), NULL)) == SPARK_ERROR_INVALID_ARGUMENT, "NULL out");
  CHECK(code_of(spark_client_usage(NULL, S("{\"query\":\"totals\"}"), &out)) == SPARK_ERROR_INVALID_ARGUMENT,
        "NULL client");
  spark_client_free(c);
  /* A client without a ledger says which setting turns it on. */
  c = new_client(OFFLINE);
  err = spark_client_usage(c, S("{\"query\":\"totals\"}"), &out);
  CHECK(err && strcmp(spark_error_code(err), "invalid_config") == 0 && strstr(spark_error_message(err), "ledger"),
        "ledger off: %s", spark_error_message(err));
  spark_error_free(err);
  spark_client_free(c);
}

int main(void) {
  test_version();
  spark_client_t *client = new_client(OFFLINE);
  CHECK(client != NULL, "offline client");
  if (client) {
    test_generate_offline(client);
    test_stream(client);
    test_validate(client);
    test_validate_project(client);
    test_bad_input(client);
    test_threads(client);
    spark_client_free(client);
  }
  test_offline_is_never_rate_limited();
  test_freed_handles();
  test_reentry();
  test_toml_file();
  test_usage();
  const char *mock = getenv("SPARK_MOCK_URL");
  if (mock && *mock) {
    test_mock(mock);
    test_output_policy(mock);
    test_rate_limited(mock);
    test_logs(mock);
  } else {
    printf("(SPARK_MOCK_URL not set: loopback provider tests skipped)\n");
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
