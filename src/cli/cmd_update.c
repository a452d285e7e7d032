/* husk update — change the resource limits of a live container, with
 * runc's flags, value syntax and messages.  Values are checked before the
 * container is touched: a bad one fails the command with nothing changed.
 * As in runc, a zero (or empty) value means "leave this limit alone". */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_ops.h"
#include "husk/spec.h"
#include "json.h"
#include "util.h"

enum {
  U_RESOURCES,
  U_BLKIO_WEIGHT,
  U_CPU_PERIOD,
  U_CPU_QUOTA,
  U_CPU_SHARE,
  U_CPU_RT_PERIOD,
  U_CPU_RT_RUNTIME,
  U_CPUSET_CPUS,
  U_CPUSET_MEMS,
  U_MEMORY,
  U_MEMORY_RESERVATION,
  U_MEMORY_SWAP,
  U_PIDS_LIMIT,
  U_L3_CACHE_SCHEMA,
  U_MEM_BW_SCHEMA,
  U_KERNEL_MEMORY,
  U_KERNEL_MEMORY_TCP,
  U_COUNT,
};

const struct husk_option cmd_update_options[] = {
    [U_RESOURCES] = {"resources", 'r', true,
                     "path to the file containing the resources to update or '-' to read from "
                     "the standard input\n\n"
                     "The accepted format is as follow (unchanged values can be omitted):\n\n"
                     "{\n"
                     "  \"memory\": {\n"
                     "    \"limit\": 0,\n"
                     "    \"reservation\": 0,\n"
                     "    \"swap\": 0\n"
                     "  },\n"
                     "  \"cpu\": {\n"
                     "    \"shares\": 0,\n"
                     "    \"quota\": 0,\n"
                     "    \"period\": 0,\n"
                     "    \"realtimeRuntime\": 0,\n"
                     "    \"realtimePeriod\": 0,\n"
                     "    \"cpus\": \"\",\n"
                     "    \"mems\": \"\"\n"
                     "  },\n"
                     "  \"blockIO\": {\n"
                     "    \"weight\": 0\n"
                     "  }\n"
                     "}\n\n"
                     "Note: if data is to be read from a file or the standard input, all\n"
                     "other options are ignored."},
    [U_BLKIO_WEIGHT] = {"blkio-weight", 0, true,
                        "Specifies per cgroup weight, range is from 10 to 1000 (default: 0)"},
    [U_CPU_PERIOD] = {"cpu-period", 0, true,
                      "CPU CFS period to be used for hardcapping (in usecs). 0 to use system "
                      "default"},
    [U_CPU_QUOTA] = {"cpu-quota", 0, true,
                     "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    [U_CPU_SHARE] = {"cpu-share", 0, true, "CPU shares (relative weight vs. other containers)"},
    [U_CPU_RT_PERIOD] = {"cpu-rt-period", 0, true,
                         "CPU realtime period to be used for hardcapping (in usecs). 0 to use "
                         "system default"},
    [U_CPU_RT_RUNTIME] = {"cpu-rt-runtime", 0, true,
                          "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given "
                          "period"},
    [U_CPUSET_CPUS] = {"cpuset-cpus", 0, true, "CPU(s) to use"},
    [U_CPUSET_MEMS] = {"cpuset-mems", 0, true, "Memory node(s) to use"},
    [U_MEMORY] = {"memory", 0, true, "Memory limit (in bytes)"},
    [U_MEMORY_RESERVATION] = {"memory-reservation", 0, true,
                              "Memory reservation or soft_limit (in bytes)"},
    [U_MEMORY_SWAP] = {"memory-swap", 0, true,
                       "Total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    [U_PIDS_LIMIT] = {"pids-limit", 0, true,
                      "Maximum number of pids allowed in the container (default: 0)"},
    [U_L3_CACHE_SCHEMA] = {"l3-cache-schema", 0, true,
                           "The string of Intel RDT/CAT L3 cache schema"},
    [U_MEM_BW_SCHEMA] = {"mem-bw-schema", 0, true,
                         "The string of Intel RDT/MBA memory bandwidth schema"},
    /* runc keeps these two hidden and ignores them (kernel memory
     * accounting is gone from cgroup v2 and deprecated in v1). */
    [U_KERNEL_MEMORY] = {"kernel-memory", 0, true, "Kernel memory limit (ignored, as in runc)"},
    [U_KERNEL_MEMORY_TCP] = {"kernel-memory-tcp", 0, true,
                             "Kernel memory limit for tcp buffer (ignored, as in runc)"},
    {NULL, 0, false, NULL},
};

/* A bad value of a typed flag is a usage error in runc (urfave/cli parses
 * it): "Incorrect Usage" and the help on stdout, the error on stderr. */
static int usage_error(struct husk_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(struct husk_cli *cli, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  printf("Incorrect Usage: %s\n\n", msg ? msg : fmt);
  husk_print_command_help(cli, cli->command);
  husk_cli_error(cli, "%s", msg ? msg : fmt);
  return 1;
}

/* strconv.ParseUint/ParseInt with base 10, and runc's wording around them. */
static int parse_u64(const char *flag, const char *s, uint64_t *out, husk_error_t *err) {
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (s[0] < '0' || s[0] > '9' || *end != '\0')
    return husk_error_set(
        err, 0, "invalid value for %s: strconv.ParseUint: parsing \"%s\": invalid syntax", flag, s);
  if (errno == ERANGE)
    return husk_error_set(
        err, 0, "invalid value for %s: strconv.ParseUint: parsing \"%s\": value out of range", flag,
        s);
  *out = v;
  return 0;
}

static int parse_i64(const char *flag, const char *s, int64_t *out, husk_error_t *err) {
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  const char *digits = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
  if (digits[0] < '0' || digits[0] > '9' || *end != '\0')
    return husk_error_set(
        err, 0, "invalid value for %s: strconv.ParseInt: parsing \"%s\": invalid syntax", flag, s);
  if (errno == ERANGE)
    return husk_error_set(
        err, 0, "invalid value for %s: strconv.ParseInt: parsing \"%s\": value out of range", flag,
        s);
  *out = v;
  return 0;
}

static int parse_size(const char *flag, const char *s, int64_t *out, husk_error_t *err) {
  if (husk_parse_memory_size(s, out) < 0)
    return husk_error_set(err, 0, "invalid value for %s: invalid size: '%s'", flag, s);
  return 0;
}

/* Go's flag package for Int64Flag/UintFlag: base prefixes (0x, 0o, 0b, a
 * leading 0 for octal) are accepted.  Returns a runc-worded message or NULL. */
static const char *parse_go_int(const char *s, bool is_signed, int64_t min, int64_t max,
                                int64_t *out) {
  if (s[0] == '\0' || (!is_signed && (s[0] == '-' || s[0] == '+')))
    return "parse error";
  const char *digits = s;
  bool negative = false;
  if (*digits == '-' || *digits == '+') {
    negative = *digits == '-';
    digits++;
  }
  int base = 10;
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits += 2;
  } else if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    base = 8;
    digits += 2;
  } else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits += 2;
  } else if (digits[0] == '0' && digits[1] != '\0') {
    base = 8;
    digits += 1;
  }
  if (*digits == '\0' || *digits == '-' || *digits == '+' || *digits == ' ')
    return "parse error";
  errno = 0;
  char *end;
  unsigned long long mag = strtoull(digits, &end, base);
  if (*end != '\0')
    return "parse error";
  if (errno == ERANGE)
    return "value out of range";
  if (negative) {
    if (mag > (unsigned long long)INT64_MAX + 1 || -(int64_t)(mag - 1) - 1 < min)
      return "value out of range";
    *out = -(int64_t)(mag - 1) - 1;
  } else {
    if (mag > (unsigned long long)max)
      return "value out of range";
    *out = (int64_t)mag;
  }
  return NULL;
}

/* Read -r FILE ("-": stdin) and parse it as a linux.resources object. */
static int load_resources_file(const char *path, struct husk_spec **spec, husk_error_t *err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  const char *origin = path;
  if (strcmp(path, "-") == 0) {
    origin = "stdin";
    if (husk_read_fd(STDIN_FILENO, "stdin", 4 * 1024 * 1024, &text, &len, err) < 0)
      return -1;
  } else if (husk_read_file(path, 4 * 1024 * 1024, &text, &len, err) < 0) {
    return -1;
  }
  return cmd_update_parse_resources(text, len, origin, spec, err);
}

int cmd_update_parse_resources(const char *text, size_t len, const char *origin,
                               struct husk_spec **spec, husk_error_t *err) {
  *spec = NULL;
  /* The file must be one JSON object on its own: checked before it is
   * spliced into a config below, where text after an early "}" could
   * otherwise pass for more of the config. */
  yajl_val tree = NULL;
  if (husk_json_parse(text, len, origin, &tree, err) < 0)
    return -1;
  bool is_object = YAJL_IS_OBJECT(tree);
  yajl_tree_free(tree);
  if (!is_object)
    return husk_error_set(err, 0, "%s: expected a JSON object of linux.resources", origin);
  /* The parser of config.json knows every field of linux.resources and
   * names the one at fault; the object goes where config.json keeps it.
   * The prefix has no newline, so reported line numbers stay right. */
  _cleanup_free_ char *wrapped =
      husk_xasprintf("{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":%.*s\n}}", (int)len, text);
  if (husk_spec_parse(wrapped, strlen(wrapped), origin, spec, err) == 0)
    return 0;
  /* Name fields as they are in the file: "memory.limit", not the
   * "linux.resources.memory.limit" of the wrapper. */
  static const char wrapper_path[] = ": linux.resources.";
  char *at = err != NULL && err->msg != NULL ? strstr(err->msg, wrapper_path) : NULL;
  if (at != NULL)
    memmove(at + 2, at + sizeof(wrapper_path) - 1, strlen(at + sizeof(wrapper_path) - 1) + 1);
  return -1;
}

/* What runc's update takes from a resources file: memory limit,
 * reservation and swap; the cpu fields; blockIO weight; pids limit; and
 * unified.  Zero means unchanged; kernel memory is ignored. */
void cmd_update_resources_from_file(const struct husk_resources *in, struct husk_resources *out,
                                    bool *kernel_memory) {
  *out = (struct husk_resources){0};
  if (in->has_memory) {
    const struct husk_memory *m = &in->memory;
    out->memory.has_limit = m->has_limit && m->limit != 0;
    out->memory.limit = m->limit;
    out->memory.has_reservation = m->has_reservation && m->reservation != 0;
    out->memory.reservation = m->reservation;
    out->memory.has_swap = m->has_swap && m->swap != 0;
    out->memory.swap = m->swap;
    out->has_memory = true;
    *kernel_memory = (m->has_kernel && m->kernel != 0) || (m->has_kernel_tcp && m->kernel_tcp != 0);
  }
  if (in->has_cpu) {
    const struct husk_cpu *c = &in->cpu;
    out->has_cpu = true;
    out->cpu.has_shares = c->has_shares && c->shares != 0;
    out->cpu.shares = c->shares;
    out->cpu.has_quota = c->has_quota && c->quota != 0;
    out->cpu.quota = c->quota;
    out->cpu.has_period = c->has_period && c->period != 0;
    out->cpu.period = c->period;
    out->cpu.has_realtime_runtime = c->has_realtime_runtime && c->realtime_runtime != 0;
    out->cpu.realtime_runtime = c->realtime_runtime;
    out->cpu.has_realtime_period = c->has_realtime_period && c->realtime_period != 0;
    out->cpu.realtime_period = c->realtime_period;
    out->cpu.cpus = c->cpus != NULL && c->cpus[0] != '\0' ? c->cpus : NULL;
    out->cpu.mems = c->mems != NULL && c->mems[0] != '\0' ? c->mems : NULL;
  }
  if (in->has_block_io && in->block_io.has_weight && in->block_io.weight != 0) {
    out->has_block_io = true;
    out->block_io.has_weight = true;
    out->block_io.weight = in->block_io.weight;
  }
  if (in->has_pids && in->pids_limit != 0) {
    out->has_pids = true;
    out->pids_limit = in->pids_limit;
  }
  out->unified = in->unified;
  out->unified_len = in->unified_len;
}

/* The flags' values into *res (strings borrowed from argv).  Returns 1 when a
 * usage error was reported, -1 with err set for a bad value, 0 when fine. */
int cmd_update_resources_from_flags(struct husk_cli *cli, const struct husk_flag *f,
                                    struct husk_resources *res, bool *kernel_memory,
                                    husk_error_t *err) {
  *res = (struct husk_resources){0};
  int64_t v;
  const char *why;
  if (f[U_PIDS_LIMIT].set) {
    if ((why = parse_go_int(f[U_PIDS_LIMIT].value, true, INT64_MIN, INT64_MAX, &v)) != NULL)
      return usage_error(cli, "invalid value \"%s\" for flag -pids-limit: %s",
                         f[U_PIDS_LIMIT].value, why);
    res->has_pids = v != 0;
    res->pids_limit = v;
  }
  if (f[U_BLKIO_WEIGHT].set) {
    /* runc takes any uint and truncates it to 16 bits; husk refuses what
     * does not fit rather than write a different weight. */
    if ((why = parse_go_int(f[U_BLKIO_WEIGHT].value, false, 0, UINT16_MAX, &v)) != NULL)
      return usage_error(cli, "invalid value \"%s\" for flag -blkio-weight: %s",
                         f[U_BLKIO_WEIGHT].value, why);
    res->has_block_io = v != 0;
    res->block_io.has_weight = v != 0;
    res->block_io.weight = (uint16_t)v;
  }

  struct husk_cpu *cpu = &res->cpu;
  const struct {
    int opt;
    bool *has;
    uint64_t *dest;
  } uints[] = {
      {U_CPU_PERIOD, &cpu->has_period, &cpu->period},
      {U_CPU_RT_PERIOD, &cpu->has_realtime_period, &cpu->realtime_period},
      {U_CPU_SHARE, &cpu->has_shares, &cpu->shares},
  };
  for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
    const struct husk_flag *flag = &f[uints[i].opt];
    if (!flag->set || flag->value[0] == '\0')
      continue;
    if (parse_u64(cmd_update_options[uints[i].opt].name, flag->value, uints[i].dest, err) < 0)
      return -1;
    *uints[i].has = *uints[i].dest != 0;
  }
  const struct {
    int opt;
    bool *has;
    int64_t *dest;
  } ints[] = {
      {U_CPU_QUOTA, &cpu->has_quota, &cpu->quota},
      {U_CPU_RT_RUNTIME, &cpu->has_realtime_runtime, &cpu->realtime_runtime},
  };
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
    const struct husk_flag *flag = &f[ints[i].opt];
    if (!flag->set || flag->value[0] == '\0')
      continue;
    if (parse_i64(cmd_update_options[ints[i].opt].name, flag->value, ints[i].dest, err) < 0)
      return -1;
    *ints[i].has = *ints[i].dest != 0;
  }
  if (f[U_CPUSET_CPUS].set && f[U_CPUSET_CPUS].value[0] != '\0')
    cpu->cpus = (char *)f[U_CPUSET_CPUS].value;
  if (f[U_CPUSET_MEMS].set && f[U_CPUSET_MEMS].value[0] != '\0')
    cpu->mems = (char *)f[U_CPUSET_MEMS].value;
  res->has_cpu = cpu->has_period || cpu->has_realtime_period || cpu->has_shares || cpu->has_quota ||
                 cpu->has_realtime_runtime || cpu->cpus || cpu->mems;

  struct husk_memory *mem = &res->memory;
  int64_t ignored;
  const struct {
    int opt;
    bool *has;
    int64_t *dest;
  } sizes[] = {
      {U_MEMORY, &mem->has_limit, &mem->limit},
      {U_MEMORY_RESERVATION, &mem->has_reservation, &mem->reservation},
      {U_MEMORY_SWAP, &mem->has_swap, &mem->swap},
      {U_KERNEL_MEMORY, kernel_memory, &ignored},
      {U_KERNEL_MEMORY_TCP, kernel_memory, &ignored},
  };
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    const struct husk_flag *flag = &f[sizes[i].opt];
    if (!flag->set || flag->value[0] == '\0')
      continue;
    if (parse_size(cmd_update_options[sizes[i].opt].name, flag->value, sizes[i].dest, err) < 0)
      return -1;
    *sizes[i].has = *sizes[i].has || *sizes[i].dest != 0;
  }
  res->has_memory = mem->has_limit || mem->has_reservation || mem->has_swap;
  return 0;
}

/* Intel RDT lives in resctrl, not in a cgroup: refuse it with runc's words
 * when the host lacks it, and say plainly that husk cannot change it yet. */
static int check_rdt(const struct husk_flag *f, husk_error_t *err) {
  bool l3 = f[U_L3_CACHE_SCHEMA].set && f[U_L3_CACHE_SCHEMA].value[0] != '\0';
  bool mb = f[U_MEM_BW_SCHEMA].set && f[U_MEM_BW_SCHEMA].value[0] != '\0';
  if (l3 && access("/sys/fs/resctrl/info/L3", F_OK) != 0)
    return husk_error_set(err, 0, "Intel RDT/CAT: l3 cache schema is not enabled");
  if (mb && access("/sys/fs/resctrl/info/MB", F_OK) != 0)
    return husk_error_set(err, 0, "Intel RDT/MBA: memory bandwidth schema is not enabled");
  if (l3 || mb)
    return husk_error_set(err, ENOTSUP, "update: Intel RDT schemata cannot be changed by husk");
  return 0;
}

int cmd_update(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[U_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  const char *id = argv[first_arg];
  husk_error_t err = {0};
  struct husk_resources res;
  struct husk_spec *file = NULL;
  bool kernel_memory = false;
  int status = 1;

  if (flags[U_RESOURCES].set) {
    if (load_resources_file(flags[U_RESOURCES].value, &file, &err) < 0) {
      status = husk_cli_fail(cli, &err);
      goto out;
    }
    cmd_update_resources_from_file(&file->linux_.resources, &res, &kernel_memory);
  } else {
    int bad = cmd_update_resources_from_flags(cli, flags, &res, &kernel_memory, &err);
    if (bad > 0)
      goto out; /* usage error, already reported */
    if (bad < 0 || check_rdt(flags, &err) < 0) {
      status = husk_cli_fail(cli, &err);
      goto out;
    }
  }
  if (kernel_memory)
    fprintf(stderr, "%s: warning: Kernel memory settings are ignored and will be removed\n",
            cli->program);
  if (husk_container_update(cli->root, id, &res, &err) < 0) {
    status = husk_cli_fail(cli, &err);
    goto out;
  }
  status = 0;
out:
  husk_spec_free(file);
  husk_flags_free(cli->command->options, flags);
  return status;
}
