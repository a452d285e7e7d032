/* husk list — the containers under --root, as runc lists them: a table
 * aligned like Go's tabwriter, `--format json`, or just IDs with --quiet. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "husk/state.h"
#include "passwd.h"
#include "util.h"

enum { LIST_FORMAT, LIST_QUIET, LIST_OPTION_COUNT };

const struct husk_option cmd_list_options[] = {
    [LIST_FORMAT] = {"format", 'f', true, "select one of: table or json (default: \"table\")"},
    [LIST_QUIET] = {"quiet", 'q', false, "display only container IDs"},
    {NULL},
};

/* runc's tabwriter: minimum cell width 12, padding 3. */
#define TABLE_MIN_WIDTH 12
#define TABLE_PADDING 3
#define TABLE_COLUMNS 6

/* The owner is the user owning the container's state directory. */
static char *owner_of(const char *root, const char *id) {
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  struct stat st;
  if (stat(dir, &st) < 0)
    return husk_xstrdup("");
  /* The host's /etc/passwd, not NSS: a static husk has no NSS modules
   * (runc, static too, reads /etc/passwd the same way). */
  char *name = husk_passwd_lookup("/etc/passwd", st.st_uid, HUSK_PASSWD_NAME);
  if (name && *name)
    return name;
  free(name);
  return husk_xasprintf("#%u", (unsigned)st.st_uid);
}

/* Load every container; one that vanished meanwhile is skipped, one being
 * created (or whose create was killed) is shown, so it can be deleted. */
static int load_all(const struct husk_cli *cli, struct husk_state **out, size_t *out_len,
                    husk_error_t *err) {
  char **ids = NULL;
  size_t count = 0;
  if (husk_state_list(cli->root, &ids, &count, err) < 0)
    return -1;
  struct husk_state *states = husk_xcalloc(count, sizeof(*states));
  size_t len = 0;
  int ret = 0;
  for (size_t i = 0; i < count && ret == 0; i++) {
    husk_error_t item_err = {0};
    /* No lock (see husk_state_read): list never waits for a writer. */
    if (husk_state_read(cli->root, ids[i], false, &states[len], &item_err) == 0) {
      husk_state_refresh_status(&states[len]);
      free(states[len].owner);
      states[len].owner = owner_of(cli->root, ids[i]);
      len++;
    }
    if (item_err.msg != NULL && item_err.errnum != ENOENT) {
      *err = item_err;
      ret = -1;
    } else {
      husk_error_clear(&item_err);
    }
  }
  husk_state_list_free(ids);
  if (ret < 0) {
    for (size_t i = 0; i < len; i++)
      husk_state_free(&states[i]);
    free(states);
    return -1;
  }
  *out = states;
  *out_len = len;
  return 0;
}

static void print_table(const struct husk_state *states, size_t len) {
  static const char *const header[TABLE_COLUMNS] = {"ID",     "PID",     "STATUS",
                                                    "BUNDLE", "CREATED", "OWNER"};
  char ***cells = husk_xcalloc(len + 1, sizeof(*cells));
  cells[0] = husk_xcalloc(TABLE_COLUMNS, sizeof(char *));
  for (int c = 0; c < TABLE_COLUMNS; c++)
    cells[0][c] = husk_xstrdup(header[c]);
  for (size_t i = 0; i < len; i++) {
    const struct husk_state *s = &states[i];
    char **row = cells[i + 1] = husk_xcalloc(TABLE_COLUMNS, sizeof(char *));
    row[0] = husk_xstrdup(s->id);
    row[1] = husk_xasprintf("%d", s->status == HUSK_STATUS_STOPPED ? 0 : (int)s->pid);
    row[2] = husk_xstrdup(husk_status_name(s->status));
    row[3] = husk_xstrdup(s->bundle);
    row[4] = husk_xstrdup(s->created);
    row[5] = husk_xstrdup(s->owner);
  }
  /* The last column is not padded: tabwriter only aligns cells ended by a tab. */
  size_t width[TABLE_COLUMNS - 1];
  for (int c = 0; c < TABLE_COLUMNS - 1; c++) {
    width[c] = TABLE_MIN_WIDTH;
    for (size_t r = 0; r <= len; r++) {
      size_t w = strlen(cells[r][c]) + TABLE_PADDING;
      if (w > width[c])
        width[c] = w;
    }
  }
  for (size_t r = 0; r <= len; r++) {
    for (int c = 0; c < TABLE_COLUMNS - 1; c++)
      printf("%-*s", (int)width[c], cells[r][c]);
    printf("%s\n", cells[r][TABLE_COLUMNS - 1]);
    for (int c = 0; c < TABLE_COLUMNS; c++)
      free(cells[r][c]);
    free(cells[r]);
  }
  free(cells);
}

/* One compact JSON array, or "null" when empty (Go's encoding of a nil slice). */
static void print_json(const struct husk_state *states, size_t len) {
  if (len == 0) {
    puts("null");
    return;
  }
  putchar('[');
  for (size_t i = 0; i < len; i++) {
    _cleanup_free_ char *json = husk_state_oci_json(&states[i], NULL);
    printf("%s%s", i ? "," : "", json);
  }
  puts("]");
}

int cmd_list(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[LIST_OPTION_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  const char *format = flags[LIST_FORMAT].set ? flags[LIST_FORMAT].value : "table";
  bool quiet = flags[LIST_QUIET].set;
  bool json = strcmp(format, "json") == 0;
  bool table = strcmp(format, "table") == 0;
  husk_flags_free(cmd_list_options, flags);

  husk_error_t err = {0};
  struct husk_state *states = NULL;
  size_t len = 0;
  if (load_all(cli, &states, &len, &err) < 0)
    return husk_cli_fail(cli, &err);

  int status = 0;
  if (quiet) {
    for (size_t i = 0; i < len; i++)
      puts(states[i].id);
  } else if (table) {
    print_table(states, len);
  } else if (json) {
    print_json(states, len);
  } else {
    husk_cli_error(cli, "invalid format option");
    status = 1;
  }
  for (size_t i = 0; i < len; i++)
    husk_state_free(&states[i]);
  free(states);
  if (fflush(stdout) != 0)
    status = 1;
  return status;
}
