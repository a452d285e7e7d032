/* husk events — a container's statistics and OOM kills as runc prints them:
 * one JSON object per line, {"type":"stats","id":ID,"data":{...}} with the
 * field names of runc's types.Stats, and {"type":"oom","id":ID}.
 * `--stats` prints one stats event and exits; otherwise a stats event comes
 * every --interval and an oom event for each OOM kill, until the container
 * stops. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "container_ops.h"
#include "util.h"

enum { E_INTERVAL, E_STATS, E_COUNT };

const struct husk_option cmd_events_options[] = {
    [E_INTERVAL] = {"interval", 0, true, "set the stats collection interval (default: 5s)"},
    [E_STATS] = {"stats", 0, false, "display the container's stats then exit"},
    {NULL, 0, false, NULL},
};

/* How often the OOM counter is read between stats: an oom event should not
 * wait for the next stats interval. */
#define OOM_POLL_NS (200 * 1000 * 1000LL)

static void gen_key(yajl_gen g, const char *key) {
  yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

static void gen_u64(yajl_gen g, const char *key, uint64_t value) {
  char num[32];
  snprintf(num, sizeof(num), "%" PRIu64, value);
  gen_key(g, key);
  yajl_gen_number(g, num, strlen(num));
}

/* Go's `omitempty`: runc leaves such a field out when it is zero. */
static void gen_u64_omitempty(yajl_gen g, const char *key, uint64_t value) {
  if (value != 0)
    gen_u64(g, key, value);
}

/* A list of numbers separated by blanks ("123 456"), as a JSON array;
 * left out when there is none (runc: omitempty). */
static void gen_u64_list_omitempty(yajl_gen g, const char *key, const char *text) {
  if (text == NULL || strspn(text, " \n") == strlen(text))
    return;
  gen_key(g, key);
  yajl_gen_array_open(g);
  for (const char *p = text; *p;) {
    p += strspn(p, " \n");
    size_t n = strspn(p, "0123456789");
    if (n > 0)
      yajl_gen_number(g, p, n);
    p += n;
    if (n == 0 && *p)
      p++;
  }
  yajl_gen_array_close(g);
}

/* "key value" lines (memory.stat) as a JSON object of numbers: runc's raw
 * map, left out when empty. */
static void gen_raw_map_omitempty(yajl_gen g, const char *key, const char *text) {
  if (text == NULL || *text == '\0')
    return;
  gen_key(g, key);
  yajl_gen_map_open(g);
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    const char *space = memchr(line, ' ', len);
    if (space && space > line) {
      const char *num = space + 1;
      size_t nlen = len - (size_t)(num - line);
      if (nlen > 0 && strspn(num, "0123456789") >= nlen) {
        yajl_gen_string(g, (const unsigned char *)line, (size_t)(space - line));
        yajl_gen_number(g, num, nlen);
      }
    }
    line += len + (end ? 1 : 0);
  }
  yajl_gen_map_close(g);
}

/* runc's MemoryEntry: limit and failcnt always, usage and max when set. */
static void gen_memory_entry(yajl_gen g, const char *key, uint64_t limit, uint64_t usage,
                             uint64_t max, uint64_t failcnt) {
  gen_key(g, key);
  yajl_gen_map_open(g);
  gen_u64(g, "limit", limit);
  gen_u64_omitempty(g, "usage", usage);
  gen_u64_omitempty(g, "max", max);
  gen_u64(g, "failcnt", failcnt);
  yajl_gen_map_close(g);
}

static void gen_stats(yajl_gen g, const struct husk_cgroup_stats *st) {
  yajl_gen_map_open(g);

  gen_key(g, "cpu");
  yajl_gen_map_open(g);
  gen_key(g, "usage");
  yajl_gen_map_open(g);
  gen_u64_omitempty(g, "total", st->cpu_usage_total);
  gen_u64_list_omitempty(g, "percpu", st->cpu_percpu);
  gen_u64(g, "kernel", st->cpu_usage_kernel);
  gen_u64(g, "user", st->cpu_usage_user);
  yajl_gen_map_close(g);
  gen_key(g, "throttling");
  yajl_gen_map_open(g);
  gen_u64_omitempty(g, "periods", st->cpu_periods);
  gen_u64_omitempty(g, "throttledPeriods", st->cpu_throttled_periods);
  gen_u64_omitempty(g, "throttledTime", st->cpu_throttled_time);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);

  /* runc always prints these cpuset fields (0 when the controller is not
   * there); husk's cgroup layer does not report cpuset, so they stay 0. */
  gen_key(g, "cpuset");
  yajl_gen_map_open(g);
  static const char *const cpuset_fields[] = {
      "cpu_exclusive",   "mem_hardwall",       "mem_exclusive",
      "memory_migrate",  "memory_spread_page", "memory_spread_slab",
      "memory_pressure", "sched_load_balance", "sched_relax_domain_level",
  };
  for (size_t i = 0; i < sizeof(cpuset_fields) / sizeof(cpuset_fields[0]); i++)
    gen_u64(g, cpuset_fields[i], 0);
  yajl_gen_map_close(g);

  gen_key(g, "memory");
  yajl_gen_map_open(g);
  gen_u64_omitempty(g, "cache", st->memory_cache);
  gen_memory_entry(g, "usage", st->memory_limit, st->memory_usage, st->memory_max_usage,
                   st->memory_failcnt);
  gen_memory_entry(g, "swap", st->memory_swap_limit, st->memory_swap_usage, 0, 0);
  gen_memory_entry(g, "kernel", 0, 0, 0, 0);
  gen_memory_entry(g, "kernelTCP", 0, 0, 0, 0);
  gen_raw_map_omitempty(g, "raw", st->memory_stat);
  yajl_gen_map_close(g);

  gen_key(g, "pids");
  yajl_gen_map_open(g);
  gen_u64_omitempty(g, "current", st->pids_current);
  gen_u64_omitempty(g, "limit", st->pids_limit);
  yajl_gen_map_close(g);

  gen_key(g, "blkio");
  yajl_gen_map_open(g);
  if (st->blkio_bytes_len > 0) {
    gen_key(g, "ioServiceBytesRecursive");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < st->blkio_bytes_len; i++) {
      const struct husk_blkio_entry *e = &st->blkio_bytes[i];
      yajl_gen_map_open(g);
      gen_u64_omitempty(g, "major", e->major);
      gen_u64_omitempty(g, "minor", e->minor);
      if (e->op[0] != '\0') {
        gen_key(g, "op");
        gen_key(g, e->op);
      }
      gen_u64_omitempty(g, "value", e->value);
      yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
  }
  yajl_gen_map_close(g);

  gen_key(g, "hugetlb");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < st->hugetlb_len; i++) {
    const struct husk_hugetlb_stat *h = &st->hugetlb[i];
    gen_key(g, h->page_size);
    yajl_gen_map_open(g);
    gen_u64_omitempty(g, "usage", h->usage);
    gen_u64_omitempty(g, "max", h->max_usage);
    gen_u64(g, "failcnt", h->failcnt);
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);

  gen_key(g, "intel_rdt");
  yajl_gen_map_open(g);
  yajl_gen_map_close(g);
  gen_key(g, "network_interfaces");
  yajl_gen_null(g);

  yajl_gen_map_close(g);
}

/* Print one event line; `st` NULL for an event without data (oom). */
static int print_event(const char *type, const char *id, const struct husk_cgroup_stats *st) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return -1;
  yajl_gen_map_open(g);
  gen_key(g, "type");
  gen_key(g, type);
  gen_key(g, "id");
  gen_key(g, id);
  if (st != NULL) {
    gen_key(g, "data");
    gen_stats(g, st);
  }
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  int ret = -1;
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
    fwrite(buf, 1, len, stdout);
    putchar('\n');
    /* a reader (an engine's shim) acts on each line as it comes */
    ret = fflush(stdout) == 0 ? 0 : -1;
  }
  yajl_gen_free(g);
  return ret;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int stream(struct husk_cli *cli, const char *id, int64_t interval) {
  husk_error_t err = {0};
  uint64_t reported = 0;
  bool running = false;
  if (husk_container_oom_count(cli->root, id, &reported, &running, &err) < 0)
    return husk_cli_fail(cli, &err);
  if (!running) {
    husk_cli_error(cli, "container with id %s is not running", id);
    return 1;
  }
  /* Kills before `events` started are not news. */
  int64_t next_stats = now_ns() + interval;
  for (;;) {
    int64_t wait = next_stats - now_ns();
    sleep_ns(wait < OOM_POLL_NS ? (wait > 0 ? wait : 0) : OOM_POLL_NS);
    uint64_t kills = 0;
    if (husk_container_oom_count(cli->root, id, &kills, &running, &err) < 0) {
      if (err.errnum == ENOENT) { /* deleted meanwhile: it has stopped */
        husk_error_clear(&err);
        return 0;
      }
      return husk_cli_fail(cli, &err);
    }
    for (; reported < kills; reported++) {
      if (print_event("oom", id, NULL) < 0)
        return 1;
    }
    if (!running)
      return 0;
    if (now_ns() >= next_stats) {
      struct husk_cgroup_stats st;
      if (husk_container_stats(cli->root, id, &st, &err) < 0) {
        /* runc logs a failed collection and carries on with the next one */
        husk_cli_fail(cli, &err);
      } else {
        int printed = print_event("stats", id, &st);
        husk_cgroup_stats_free(&st);
        if (printed < 0)
          return 1;
      }
      next_stats += interval;
    }
  }
}

int cmd_events(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[E_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  int64_t interval = 5 * 1000000000LL;
  bool stats_only = flags[E_STATS].set;
  _cleanup_free_ char *bad = NULL;
  if (flags[E_INTERVAL].set &&
      (husk_parse_duration(flags[E_INTERVAL].value, &interval) < 0 || interval <= 0))
    bad = husk_xstrdup(flags[E_INTERVAL].value);
  husk_flags_free(cli->command->options, flags);
  if (bad != NULL) {
    /* a Go duration flag: urfave/cli reports it as a usage error */
    printf("Incorrect Usage: invalid value \"%s\" for flag -interval: parse error\n\n", bad);
    husk_print_command_help(cli, cli->command);
    husk_cli_error(cli, "invalid value \"%s\" for flag -interval: parse error", bad);
    return 1;
  }
  const char *id = argv[first_arg];
  if (!stats_only)
    return stream(cli, id, interval);
  husk_error_t err = {0};
  struct husk_cgroup_stats st;
  if (husk_container_stats(cli->root, id, &st, &err) < 0)
    return husk_cli_fail(cli, &err);
  int ret = print_event("stats", id, &st);
  husk_cgroup_stats_free(&st);
  return ret < 0 ? 1 : 0;
}
