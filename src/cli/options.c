/* husk — table-driven flag parsing and help text for every command.
 *
 * runc parses flags with Go's flag package (through urfave/cli): one or two
 * dashes are the same, values come as the next argument or after '=', a
 * switch takes only "=true"/"=false", and the first non-flag argument ends
 * the flags.  Engines call runc that way, so husk parses the same way. */
#include "config.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static int find_option(const struct husk_option *options, const char *name, size_t name_len) {
  for (int i = 0; options[i].name != NULL; i++) {
    const struct husk_option *opt = &options[i];
    if (strlen(opt->name) == name_len && strncmp(opt->name, name, name_len) == 0)
      return i;
    if (opt->short_name != 0 && name_len == 1 && name[0] == opt->short_name)
      return i;
  }
  return -1;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(s, yes[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcmp(s, no[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -1;
}

static void flag_add_value(struct husk_flag *flag, const char *value) {
  flag->values = husk_xrealloc(flag->values, (flag->count + 1) * sizeof(*flag->values));
  flag->values[flag->count++] = value;
  flag->value = value;
  flag->set = true;
}

static size_t option_count(const struct husk_option *options) {
  size_t n = 0;
  while (options[n].name != NULL)
    n++;
  return n;
}

void husk_flags_free(const struct husk_option *options, struct husk_flag *flags) {
  size_t n = option_count(options);
  for (size_t i = 0; i < n; i++) {
    free(flags[i].values);
    flags[i] = (struct husk_flag){0};
  }
}

enum husk_parse_result husk_options_parse(const struct husk_option *options, int argc, char **argv,
                                          struct husk_flag *flags, int *first_arg,
                                          husk_error_t *err) {
  size_t n = option_count(options);
  for (size_t i = 0; i < n; i++)
    flags[i] = (struct husk_flag){0};

  int i = 0;
  while (i < argc) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == '\0')
      break; /* the first positional argument */
    const char *name = arg + 1;
    if (name[0] == '-') {
      name++;
      if (name[0] == '\0') { /* "--" ends the flags */
        i++;
        break;
      }
    }
    if (name[0] == '-' || name[0] == '=') {
      husk_flags_free(options, flags);
      husk_error_set(err, 0, "bad flag syntax: %s", arg);
      return HUSK_PARSE_ERROR;
    }
    const char *eq = strchr(name, '=');
    size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
    const char *inline_value = eq ? eq + 1 : NULL;
    i++;

    int idx = find_option(options, name, name_len);
    if (idx < 0) {
      if ((name_len == 4 && strncmp(name, "help", 4) == 0) || (name_len == 1 && name[0] == 'h')) {
        husk_flags_free(options, flags);
        return HUSK_PARSE_HELP;
      }
      husk_flags_free(options, flags);
      husk_error_set(err, 0, "flag provided but not defined: -%.*s", (int)name_len, name);
      return HUSK_PARSE_ERROR;
    }

    const struct husk_option *opt = &options[idx];
    if (!opt->takes_value) {
      bool on = true;
      if (inline_value != NULL && parse_bool(inline_value, &on) < 0) {
        husk_flags_free(options, flags);
        husk_error_set(err, 0, "invalid boolean value \"%s\" for -%.*s: parse error", inline_value,
                       (int)name_len, name);
        return HUSK_PARSE_ERROR;
      }
      flags[idx].set = on;
      flags[idx].value = inline_value;
      continue;
    }
    if (inline_value == NULL) {
      if (i >= argc) {
        husk_flags_free(options, flags);
        husk_error_set(err, 0, "flag needs an argument: -%.*s", (int)name_len, name);
        return HUSK_PARSE_ERROR;
      }
      inline_value = argv[i++];
    }
    flag_add_value(&flags[idx], inline_value);
  }
  *first_arg = i;
  return HUSK_PARSE_OK;
}

/* "--format value, -f value" as urfave/cli writes it. */
static char *option_label(const struct husk_option *opt) {
  const char *value = opt->takes_value ? " value" : "";
  const char *dashes = strlen(opt->name) == 1 ? "-" : "--";
  if (opt->short_name != 0)
    return husk_xasprintf("%s%s%s, -%c%s", dashes, opt->name, value, opt->short_name, value);
  return husk_xasprintf("%s%s%s", dashes, opt->name, value);
}

void husk_print_options(const struct husk_option *options) {
  size_t width = 0;
  for (size_t i = 0; options[i].name != NULL; i++) {
    _cleanup_free_ char *label = option_label(&options[i]);
    if (strlen(label) > width)
      width = strlen(label);
  }
  for (size_t i = 0; options[i].name != NULL; i++) {
    _cleanup_free_ char *label = option_label(&options[i]);
    printf("   %-*s  %s\n", (int)width, label, options[i].help);
  }
}

void husk_print_command_help(const struct husk_cli *cli, const struct husk_command *cmd) {
  bool has_options = cmd->options != NULL && cmd->options[0].name != NULL;
  printf("NAME:\n   %s %s - %s\n\n", cli->program, cmd->name, cmd->summary);
  printf("USAGE:\n   %s %s%s %s\n", cli->program, cmd->name,
         has_options ? " [command options]" : "", cmd->usage ? cmd->usage : "[arguments...]");
  if (cmd->description != NULL)
    printf("\nDESCRIPTION:\n   %s\n", cmd->description);
  if (has_options) {
    printf("\nOPTIONS:\n");
    husk_print_options(cmd->options);
  }
}

enum husk_parse_result husk_cli_parse(struct husk_cli *cli, int argc, char **argv,
                                      struct husk_flag *flags, int *first_arg) {
  const struct husk_command *cmd = cli->command;
  husk_error_t err = {0};
  enum husk_parse_result r = husk_options_parse(cmd->options, argc, argv, flags, first_arg, &err);
  if (r == HUSK_PARSE_HELP) {
    husk_print_command_help(cli, cmd);
    return r;
  }
  if (r == HUSK_PARSE_ERROR) {
    printf("Incorrect Usage: %s\n\n", err.msg);
    husk_print_command_help(cli, cmd);
    husk_cli_fail(cli, &err);
    return r;
  }
  int nargs = argc - *first_arg;
  if (cmd->nargs >= 0 && nargs != cmd->nargs) {
    printf("Incorrect Usage.\n\n");
    husk_print_command_help(cli, cmd);
    husk_cli_error(cli, "\"%s\" requires exactly %d argument(s)", cmd->name, cmd->nargs);
    husk_flags_free(cmd->options, flags);
    return HUSK_PARSE_ERROR;
  }
  return HUSK_PARSE_OK;
}

int husk_cli_run_on_id(struct husk_cli *cli, int argc, char **argv,
                       int (*op)(const char *root, const char *id, husk_error_t *err)) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_flags_free(cli->command->options, flags);
  husk_error_t err = {0};
  if (op(cli->root, argv[first_arg], &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}
