/*
 * Hostile model replies through the C ABI (issue 9), run natively and under valgrind by
 * scripts/test-hostile.sh against tests/hostile/mock.py.
 *
 *   hostile SPECS BASE_URL CAP_SECONDS [SCENARIO...]
 *
 * SPECS is tests/hostile/scenarios.json flattened by the script: line 1 "total_ms sleep_ms max_cpu_ms",
 * line 2 the client configuration (JSON, with @BASE@ and @SCENARIO@), then one "name expect,expect"
 * line per scenario. Each scenario runs spark_generate in a forked child whose stdout and stderr go
 * to pipes, so a segfault is a reported failure; a child running past CAP_SECONDS is killed. Checks:
 * the outcome is expected, the call returns within total_ms + 10%, the child exits 0 with an empty
 * stderr (no panic message), CPU stays quiet after the call, result paths are safe relative paths.
 * Prints one line per scenario on stdout (nothing on stderr) and exits 1 when any check fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spark.h"

static long total_ms, sleep_ms, max_cpu_ms;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the whole process (every thread), in milliseconds. */
static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Replaces every `from` in `s` by `to`, in a new malloc'd string. */
static char *replace_all(const char *s, const char *from, const char *to) {
  size_t n = 0, lf = strlen(from), lt = strlen(to);
  for (const char *p = s; (p = strstr(p, from)); p += lf) n++;
  char *out = malloc(strlen(s) + n * lt + 1), *o = out;
  for (const char *p = s, *q; ; p = q + lf) {
    q = strstr(p, from);
    size_t k = q ? (size_t)(q - p) : strlen(p);
    memcpy(o, p, k);
    o += k;
    if (!q) break;
    memcpy(o, to, lt);
    o += lt;
  }
  *o = 0;
  return out;
}

/* Whether the JSON string starting at `p` (just after its opening quote) is an unsafe path: absolute,
 * a drive letter, a `..` or empty segment, a backslash, a control character or a bidi/format mark. */
static int unsafe_path(const unsigned char *p) {
  const unsigned char *start = p;
  if (p[0] == '/' || (p[0] && p[1] == ':')) return 1;
  for (; *p && *p != '"'; p++) {
    if (*p == '\\') return 1; /* an escape: a backslash, a quote or a control character */
    if (*p < 0x20 || *p == 0x7f) return 1;
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) return 1;                     /* C1 controls */
    if (p[0] == 0xc2 && p[1] == 0xad) return 1;                                     /* soft hyphen */
    if (p[0] == 0xd8 && p[1] == 0x9c) return 1;                                     /* U+061C */
    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
      return 1;                                                                    /* U+200E/F, U+202A-E */
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) return 1;      /* U+2066-9 */
    if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) return 1;                     /* U+FEFF */
    if (*p == '/' && (p == start || p[-1] == '/')) return 1;                        /* empty segment */
    if (*p == '.' && p[1] == '.' && (p == start || p[-1] == '/') && (p[2] == '/' || p[2] == '"')) return 1;
  }
  return p == start;
}

static int count_unsafe_paths(const char *json) {
  int n = 0;
  for (const char *p = json; (p = strstr(p, "\"path\":\"")); p += 8) n += unsafe_path((const unsigned char *)p + 8);
  return n;
}

/* The child: one generate call, then one HOSTILE-REPORT line on stdout. */
static void run_child(const char *config_template, const char *base, const char *name) {
  char *with_base = replace_all(config_template, "@BASE@", base);
  char *config = replace_all(with_base, "@SCENARIO@", name);
  char request[512];
  snprintf(request, sizeof request, "{\"prompt\":\"a player controller\",\"model\":\"%s\",\"no_cache\":true}", name);
  spark_client_t *client = NULL;
  spark_error_t *err = spark_client_new((const uint8_t *)config, strlen(config), &client);
  if (err) {
    printf("HOSTILE-REPORT client_new:%s 0 0 0\n", spark_error_code(err));
    spark_error_free(err);
  } else {
    spark_buf_t out = {NULL, 0};
    double start = now_ms();
    err = spark_generate(client, (const uint8_t *)request, strlen(request), &out);
    double elapsed = now_ms() - start;
    double cpu = cpu_ms();
    struct timespec nap = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    while (nanosleep(&nap, &nap) == -1 && errno == EINTR) {
    }
    double cpu_after = cpu_ms() - cpu;
    const char *outcome = err ? spark_error_code(err) : "result";
    int unsafe = (!err && out.data) ? count_unsafe_paths((const char *)out.data) : 0;
    printf("HOSTILE-REPORT %s %.0f %.0f %d\n", outcome ? outcome : "unknown_code", elapsed, cpu_after, unsafe);
    if (err) spark_error_free(err);
    spark_buf_free(&out);
    spark_client_free(client);
  }
  free(config);
  free(with_base);
  fflush(stdout);
}

typedef struct {
  char *data;
  size_t len, cap;
} text_t;

static void append(text_t *t, const char *p, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->data = realloc(t->data, t->cap);
  }
  memcpy(t->data + t->len, p, n);
  t->len += n;
  t->data[t->len] = 0;
}

/* Runs one scenario in a child; returns 1 when every check passed. */
static int run_scenario(const char *config, const char *base, const char *name, const char *expect, double cap_s) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) || pipe(err_pipe)) return 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    run_child(config, base, name);
    _exit(0);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  text_t out = {calloc(1, 1), 0, 1}, err = {calloc(1, 1), 0, 1};
  double deadline = now_ms() + cap_s * 1000, started = now_ms();
  int killed = 0, open_fds = 2;
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  while (open_fds > 0) {
    int wait = (int)(deadline - now_ms());
    if (wait <= 0) {
      kill(pid, SIGKILL);
      killed = 1;
      break;
    }
    if (poll(fds, 2, wait) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        append(i ? &err : &out, buf, (size_t)n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double took = (now_ms() - started) / 1000;
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0) close(fds[i].fd);

  char problems[2048] = "";
  size_t used = 0;
#define PROBLEM(...) used += (size_t)snprintf(problems + used, used < sizeof problems ? sizeof problems - used : 0, __VA_ARGS__)
  if (killed) PROBLEM("; still running after %.0f s (killed)", cap_s);
  else if (WIFSIGNALED(status)) PROBLEM("; child killed by signal %d (%s) after %.1f s", WTERMSIG(status), strsignal(WTERMSIG(status)), took);
  else if (WEXITSTATUS(status) != 0) PROBLEM("; child exit status %d", WEXITSTATUS(status));
  if (err.len) PROBLEM("; stderr not empty (%zu bytes%s): %.300s", err.len, strstr(err.data, "panicked") ? ", a panic" : "", err.data);
  char outcome[64] = "";
  double elapsed = 0, cpu_after = 0;
  int unsafe = 0;
  const char *line = strstr(out.data, "HOSTILE-REPORT ");
  if (!line || sscanf(line, "HOSTILE-REPORT %63s %lf %lf %d", outcome, &elapsed, &cpu_after, &unsafe) != 4) {
    PROBLEM("; no report");
  } else {
    char list[256];
    snprintf(list, sizeof list, ",%s,", expect);
    char needle[80];
    snprintf(needle, sizeof needle, ",%s,", outcome);
    if (!strstr(list, needle)) PROBLEM("; outcome %s, expected %s", outcome, expect);
    if (elapsed > total_ms * 1.1) PROBLEM("; took %.0f ms > %.0f ms", elapsed, total_ms * 1.1);
    if (cpu_after >= max_cpu_ms) PROBLEM("; %.0f ms of CPU in the %ld ms after the call", cpu_after, sleep_ms);
    if (unsafe) PROBLEM("; %d unsafe result paths", unsafe);
  }
  if (used) printf("FAIL %s: %s [%s in %.0f ms]\n", name, problems + 2, outcome[0] ? outcome : "no outcome", elapsed);
  else printf("ok   %s (%s in %.0f ms)\n", name, outcome, elapsed);
  fflush(stdout);
  free(out.data);
  free(err.data);
  return used == 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    printf("usage: %s SPECS BASE_URL CAP_SECONDS [SCENARIO...]\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    printf("cannot open %s\n", argv[1]);
    return 2;
  }
  char *config = NULL, *line = NULL;
  size_t cap = 0, ccap = 0;
  if (fscanf(f, "%ld %ld %ld\n", &total_ms, &sleep_ms, &max_cpu_ms) != 3 || getline(&config, &ccap, f) <= 0) {
    printf("malformed %s\n", argv[1]);
    return 2;
  }
  config[strcspn(config, "\n")] = 0;
  /* Every line is read before the first fork: a child's exit may move the file offset it shares. */
  enum { MAX_SCENARIOS = 256 };
  static char names[MAX_SCENARIOS][128], expects[MAX_SCENARIOS][256];
  int count = 0;
  while (count < MAX_SCENARIOS && getline(&line, &cap, f) > 0)
    if (sscanf(line, "%127s %255s", names[count], expects[count]) == 2) count++;
  fclose(f);
  free(line);
  int ran = 0, failed = 0;
  for (int k = 0; k < count; k++) {
    const char *name = names[k], *expect = expects[k];
    int selected = argc == 4;
    for (int i = 4; i < argc; i++) selected |= strcmp(argv[i], name) == 0;
    if (!selected) continue;
    ran++;
    failed += !run_scenario(config, argv[2], name, expect, atof(argv[3]));
  }
  free(config);
  printf("%d scenarios, %d passed, %d failed\n", ran, ran - failed, failed);
  return failed || ran == 0 ? 1 : 0;
}
