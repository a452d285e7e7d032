/* husk check — every problem of a bundle at once, without creating
 * anything (libhusk: husk_check_bundle).  Exit status: 0 nothing found,
 * 1 something would make create fail, 2 warnings only.  --format json
 * prints the document of docs/husk-check.schema.json. */
#include "config.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "husk/check.h"
#include "rootless.h"
#include "util.h"

enum { CHECK_BUNDLE, CHECK_FORMAT, CHECK_OPTION_COUNT };

const struct husk_option cmd_check_options[] = {
    [CHECK_BUNDLE] = {"bundle", 'b', true,
                      "path to the root of the bundle directory, defaults to the current "
                      "directory"},
    [CHECK_FORMAT] = {"format", 'f', true, "output format: text or json (default: \"text\")"},
    {NULL},
};

#define EXIT_CLEAN 0
#define EXIT_ERRORS 1
#define EXIT_WARNINGS 2

/* The version of the JSON document; bump on incompatible changes. */
#define CHECK_SCHEMA_VERSION 1

static void gen_str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void print_json(const char *bundle, const struct husk_findings *f) {
  yajl_gen g = yajl_gen_alloc(NULL);
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open(g);
  gen_str(g, "version");
  yajl_gen_integer(g, CHECK_SCHEMA_VERSION);
  gen_str(g, "bundle");
  gen_str(g, bundle);
  gen_str(g, "findings");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < f->len; i++) {
    yajl_gen_map_open(g);
    gen_str(g, "severity");
    gen_str(g, husk_severity_name(f->items[i].severity));
    gen_str(g, "path");
    gen_str(g, f->items[i].path);
    gen_str(g, "message");
    gen_str(g, f->items[i].message);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  static const enum husk_severity sevs[] = {HUSK_SEV_ERROR, HUSK_SEV_WARNING, HUSK_SEV_NOTE};
  static const char *const keys[] = {"errors", "warnings", "notes"};
  for (size_t i = 0; i < 3; i++) {
    gen_str(g, keys[i]);
    yajl_gen_integer(g, (long long)husk_findings_count(f, sevs[i]));
  }
  yajl_gen_map_close(g);
  const unsigned char *buf = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &buf, &len);
  fwrite(buf, 1, len, stdout);
  if (len == 0 || buf[len - 1] != '\n')
    putchar('\n');
  yajl_gen_free(g);
}

/* One finding a line, errors first: "error: process.cwd: must be ...". */
static void print_text(const struct husk_findings *f) {
  static const enum husk_severity order[] = {HUSK_SEV_ERROR, HUSK_SEV_WARNING, HUSK_SEV_NOTE};
  for (size_t s = 0; s < 3; s++)
    for (size_t i = 0; i < f->len; i++) {
      const struct husk_finding *x = &f->items[i];
      if (x->severity != order[s])
        continue;
      /* "linux.resources.unified requires cgroup v2" names its path already */
      if (x->path[0] && strncmp(x->message, x->path, strlen(x->path)) != 0)
        printf("%s: %s: %s\n", husk_severity_name(x->severity), x->path, x->message);
      else
        printf("%s: %s\n", husk_severity_name(x->severity), x->message);
    }
  size_t e = husk_findings_count(f, HUSK_SEV_ERROR), w = husk_findings_count(f, HUSK_SEV_WARNING);
  printf("%zu error%s, %zu warning%s\n", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
}

int cmd_check(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[CHECK_OPTION_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  const char *format = flags[CHECK_FORMAT].set ? flags[CHECK_FORMAT].value : "text";
  if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
    husk_cli_error(cli, "invalid format: %s (expected text or json)", format);
    husk_flags_free(cli->command->options, flags);
    return 1;
  }
  struct husk_check_opts opts = {
      .bundle = flags[CHECK_BUNDLE].set ? flags[CHECK_BUNDLE].value : ".",
      .rootless = husk_rootless_mode(cli->rootless),
      .systemd_cgroup = cli->systemd_cgroup,
  };
  struct husk_findings found = {0};
  husk_error_t err = {0};
  int status;
  if (husk_check_bundle(&opts, &found, &err) < 0) {
    status = husk_cli_fail(cli, &err);
  } else {
    if (strcmp(format, "json") == 0) {
      char resolved[4096];
      print_json(realpath(opts.bundle, resolved) ? resolved : opts.bundle, &found);
    } else {
      print_text(&found);
    }
    status = husk_findings_count(&found, HUSK_SEV_ERROR)     ? EXIT_ERRORS
             : husk_findings_count(&found, HUSK_SEV_WARNING) ? EXIT_WARNINGS
                                                             : EXIT_CLEAN;
    if (fflush(stdout) != 0)
      status = EXIT_ERRORS;
  }
  husk_findings_free(&found);
  husk_flags_free(cli->command->options, flags);
  return status;
}
