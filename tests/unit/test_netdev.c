/* Unit tests of linux.netDevices (netdev.c).  Nothing here touches the real
 * host's networking: the test first moves itself into a network namespace
 * of its own, which stands in for the host and dies with the test, and each
 * "container" is a forked child that unshares another one.  Test interfaces
 * are dummies, or veth pairs where this kernel has no dummy driver. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netdev.h"
#include "tap.h"
#include "util.h"

/* "ok N - what # SKIP why": a skipped test in TAP. */
static void tap_skip(const char *what, const char *why) {
  printf("ok %d - %s # SKIP %s\n", ++tap_count, what, why);
  fflush(stdout);
}

/* ---- a little rtnetlink to build the test's interfaces ------------------ */

struct treq {
  union {
    struct nlmsghdr h;
    char b[1024];
  };
};

static void *treq_init(struct treq *r, uint16_t type, uint16_t flags, size_t len) {
  memset(r, 0, sizeof(*r));
  r->h.nlmsg_len = NLMSG_LENGTH(len);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return NLMSG_DATA(&r->h);
}

static struct rtattr *tattr(struct treq *r, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)(r->b + NLMSG_ALIGN(r->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len)
    memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len);
  return a;
}

/* Close a nested attribute opened with tattr(r, type, NULL, 0). */
static void tnest_end(struct treq *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(r->b + r->h.nlmsg_len - (char *)nest);
}

/* Send one request, return 0 or -errno from the ack. */
static int trequest(struct treq *r) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  int rc = -EPROTO;
  if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0) {
    rc = -errno;
  } else {
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
      rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
  }
  close(fd);
  return rc;
}

/* Create `name` as a dummy, or as one end of a veth pair (peer "<name>p"). */
static int make_link(const char *name, const char *kind) {
  struct treq r;
  struct ifinfomsg *ifi = treq_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  tattr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  struct rtattr *info = tattr(&r, IFLA_LINKINFO, NULL, 0);
  tattr(&r, IFLA_INFO_KIND, kind, strlen(kind) + 1);
  if (strcmp(kind, "veth") == 0) {
    struct rtattr *data = tattr(&r, IFLA_INFO_DATA, NULL, 0);
    struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
    struct rtattr *peer = tattr(&r, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
    char peer_name[IFNAMSIZ];
    snprintf(peer_name, sizeof(peer_name), "%sp", name);
    tattr(&r, IFLA_IFNAME, peer_name, strlen(peer_name) + 1);
    tnest_end(&r, peer);
    tnest_end(&r, data);
  }
  tnest_end(&r, info);
  return trequest(&r);
}

static int set_up(const char *name) {
  struct treq r;
  struct ifinfomsg *ifi = treq_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
  ifi->ifi_index = (int)if_nametoindex(name);
  ifi->ifi_flags = ifi->ifi_change = IFF_UP;
  return trequest(&r);
}

/* Add "10.99.0.1" or "fd00::1" with a prefix and scope (IPv6 without DAD,
 * so it is usable at once). */
static int add_addr(const char *name, const char *ip, int prefix, int scope) {
  struct treq r;
  struct ifaddrmsg *ifa =
      treq_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
  unsigned char bin[16];
  bool v6 = strchr(ip, ':') != NULL;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, bin) != 1)
    return -EINVAL;
  ifa->ifa_family = v6 ? AF_INET6 : AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_scope = (unsigned char)scope;
  ifa->ifa_index = if_nametoindex(name);
  if (v6)
    ifa->ifa_flags = IFA_F_NODAD;
  tattr(&r, IFA_LOCAL, bin, v6 ? 16 : 4);
  tattr(&r, IFA_ADDRESS, bin, v6 ? 16 : 4);
  return trequest(&r);
}

/* ---- containers and looking into them ----------------------------------- */

struct ctr {
  pid_t pid;
  int hold; /* the child lives until this is closed */
};

/* A child in a new network namespace, like a container's init waiting to
 * be released.  no_ipv6: new devices there get IPv6 disabled, which makes
 * adding an IPv6 address fail, to exercise the rollback. */
static int ctr_start(struct ctr *c, bool no_ipv6) {
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
    return -1;
  c->pid = fork();
  if (c->pid < 0)
    return -1;
  if (c->pid == 0) {
    close(ready[0]);
    close(hold[1]);
    char ok = 0;
    if (unshare(CLONE_NEWNET) == 0) {
      ok = 1;
      if (no_ipv6) {
        int fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
        ok = fd >= 0 && write(fd, "1", 1) == 1;
        if (fd >= 0)
          close(fd);
      }
    }
    if (write(ready[1], &ok, 1) != 1)
      _exit(1);
    while (read(hold[0], &ok, 1) > 0)
      ;
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  c->hold = hold[1];
  char ok = 0;
  if (read(ready[0], &ok, 1) != 1)
    ok = 0;
  close(ready[0]);
  return ok ? 0 : -1;
}

static void ctr_stop(struct ctr *c) {
  close(c->hold);
  waitpid(c->pid, NULL, 0);
}

/* What a namespace shows of one interface. */
struct probe {
  bool exists, up;
  char addrs[512]; /* " 10.99.0.1/24 fd00:99::1/64 " */
};

static int prefix_len(const struct sockaddr *mask) {
  const unsigned char *b;
  size_t n;
  if (mask->sa_family == AF_INET) {
    b = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
    n = 4;
  } else {
    b = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
    n = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < n; i++)
    bits += __builtin_popcount(b[i]);
  return bits;
}

static void probe_here(const char *name, struct probe *p) {
  memset(p, 0, sizeof(*p));
  strcpy(p->addrs, " ");
  unsigned idx = if_nametoindex(name);
  p->exists = idx != 0;
  struct ifaddrs *all;
  if (!p->exists || getifaddrs(&all) < 0)
    return;
  for (struct ifaddrs *a = all; a; a = a->ifa_next) {
    if (strcmp(a->ifa_name, name) != 0)
      continue;
    p->up = a->ifa_flags & IFF_UP;
    if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
      continue;
    char ip[INET6_ADDRSTRLEN];
    const void *bin = a->ifa_addr->sa_family == AF_INET
                          ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr
                          : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
    inet_ntop(a->ifa_addr->sa_family, bin, ip, sizeof(ip));
    size_t len = strlen(p->addrs);
    snprintf(p->addrs + len, sizeof(p->addrs) - len, "%s/%d ", ip, prefix_len(a->ifa_netmask));
  }
  freeifaddrs(all);
}

/* Probe `name` in the network namespace of `pid` (0: this one), from a
 * child so the test never leaves its own namespace. */
static struct probe probe(pid_t pid, const char *name) {
  struct probe p = {0};
  if (pid == 0) {
    probe_here(name, &p);
    return p;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return p;
  pid_t child = fork();
  if (child == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
      _exit(1);
    probe_here(name, &p);
    _exit(write(fds[1], &p, sizeof(p)) == (ssize_t)sizeof(p) ? 0 : 1);
  }
  close(fds[1]);
  if (read(fds[0], &p, sizeof(p)) != (ssize_t)sizeof(p))
    memset(&p, 0, sizeof(p));
  close(fds[0]);
  waitpid(child, NULL, 0);
  return p;
}

static bool has_addr(const struct probe *p, const char *addr) {
  char needle[64];
  snprintf(needle, sizeof(needle), " %s ", addr);
  return strstr(p->addrs, needle) != NULL;
}

/* ---- specs built by hand ------------------------------------------------- */

static struct husk_namespace netns_new = {.type = HUSK_NS_NETWORK, .path = NULL};

/* A spec with a new network namespace (or none) and the given devices. */
static struct husk_spec make_spec(struct husk_net_device *devs, size_t n, bool with_netns) {
  struct husk_spec s;
  memset(&s, 0, sizeof(s));
  if (with_netns) {
    s.linux_.namespaces = &netns_new;
    s.linux_.namespaces_len = 1;
  }
  s.linux_.net_devices = devs;
  s.linux_.net_devices_len = n;
  return s;
}

/* Run a move that must fail; true when it did with a message holding `want`. */
static bool move_fails(struct husk_net_device *devs, size_t n, bool with_netns, pid_t pid,
                       const char *want) {
  struct husk_spec s = make_spec(devs, n, with_netns);
  husk_error_t err = {0};
  int rc = husk_netdev_move(&s, pid, &err);
  bool ok = rc < 0 && err.msg && strstr(err.msg, want);
  if (ok)
    tap_diag("%s", err.msg);
  else
    tap_diag("rc=%d, message: %s (wanted \"%s\")", rc, err.msg ? err.msg : "(none)", want);
  husk_error_clear(&err);
  return ok;
}

/* ---- the tests ----------------------------------------------------------- */

static void test_move(const char *kind, struct ctr *c) {
  bool setup = make_link("hv0", kind) == 0 &&
               add_addr("hv0", "10.99.0.1", 24, RT_SCOPE_UNIVERSE) == 0 &&
               add_addr("hv0", "fd00:99::1", 64, RT_SCOPE_UNIVERSE) == 0 &&
               add_addr("hv0", "169.254.9.9", 16, RT_SCOPE_LINK) == 0 && set_up("hv0") == 0;
  tap_ok(setup, "move: hv0 (%s) with 10.99.0.1/24, fd00:99::1/64 and a link-scope address", kind);

  struct husk_net_device devs[] = {{.host_name = "hv0", .name = "ctr0"}};
  struct husk_spec s = make_spec(devs, 1, true);
  husk_error_t err = {0};
  int rc = husk_netdev_move(&s, c->pid, &err);
  tap_ok(rc == 0, "move: hv0 -> ctr0 succeeds%s%s", err.msg ? ": " : "", err.msg ? err.msg : "");
  husk_error_clear(&err);

  tap_ok(if_nametoindex("hv0") == 0, "move: hv0 is gone from the host");
  struct probe p = probe(c->pid, "ctr0");
  tap_ok(p.exists, "move: ctr0 exists in the container");
  tap_ok(!probe(c->pid, "hv0").exists, "move: no hv0 in the container (renamed in the move)");
  tap_ok(p.up, "move: ctr0 is up in the container");
  tap_ok(has_addr(&p, "10.99.0.1/24"), "move: IPv4 global address kept (has:%s)", p.addrs);
  tap_ok(has_addr(&p, "fd00:99::1/64"), "move: IPv6 global address kept (has:%s)", p.addrs);
  tap_ok(!has_addr(&p, "169.254.9.9/16"), "move: link-scope address not carried (has:%s)", p.addrs);
}

static void test_template_and_keep_name(const char *kind, struct ctr *c) {
  /* hv1 stays down on the host: the spec wants it up in the container all
   * the same.  hv2 keeps its name. */
  tap_ok(make_link("hv1", kind) == 0 && make_link("hv2", kind) == 0, "template: hv1, hv2 created");
  struct husk_net_device devs[] = {{.host_name = "hv2", .name = NULL},
                                   {.host_name = "hv1", .name = "ctr%d"}};
  struct husk_spec s = make_spec(devs, 2, true);
  husk_error_t err = {0};
  int rc = husk_netdev_move(&s, c->pid, &err);
  tap_ok(rc == 0, "template: move succeeds%s%s", err.msg ? ": " : "", err.msg ? err.msg : "");
  husk_error_clear(&err);
  struct probe p = probe(c->pid, "ctr1");
  tap_ok(p.exists && p.up, "template: ctr%%d became ctr1 (ctr0 is taken), and is up");
  p = probe(c->pid, "hv2");
  tap_ok(p.exists && p.up, "template: hv2 kept its name, and is up");
  tap_ok(if_nametoindex("hv1") == 0 && if_nametoindex("hv2") == 0, "template: both left the host");
}

static void test_errors(const char *kind, struct ctr *c) {
  tap_ok(make_link("hv3", kind) == 0 && make_link("hv4", kind) == 0, "errors: hv3, hv4 created");
  struct husk_net_device missing[] = {{"hv3", "x3"}, {"eth9", NULL}};
  tap_ok(
      move_fails(missing, 2, true, c->pid, "linux.netDevices.eth9: no such interface on the host"),
      "errors: a missing interface is named");
  tap_ok(if_nametoindex("hv3") != 0 && !probe(c->pid, "x3").exists,
         "errors: nothing moved before the missing one was found");

  struct husk_net_device one[] = {{"hv3", NULL}};
  tap_ok(move_fails(one, 1, false, c->pid, "needs a network namespace of its own"),
         "errors: no network namespace in the spec");
  tap_ok(move_fails(one, 1, true, getpid(), "the runtime's own network namespace"),
         "errors: the container in the runtime's network namespace");

  struct husk_net_device dup[] = {{"hv3", "x0"}, {"hv4", "x0"}};
  tap_ok(move_fails(dup, 2, true, c->pid,
                    "linux.netDevices.hv4: the name \"x0\" inside the container is also the name "
                    "of linux.netDevices.hv3"),
         "errors: two devices with one name");
  struct husk_net_device twice[] = {{"hv3", "a"}, {"hv3", "b"}};
  tap_ok(move_fails(twice, 2, true, c->pid, "linux.netDevices.hv3: the interface is listed twice"),
         "errors: one device listed twice");

  struct husk_net_device clash[] = {{"hv4", "x4"}, {"hv3", "ctr0"}};
  tap_ok(move_fails(clash, 2, true, c->pid,
                    "linux.netDevices.hv3: an interface named \"ctr0\" already exists in the "
                    "container's network namespace"),
         "errors: a name taken in the container");
  tap_ok(if_nametoindex("hv4") != 0 && !probe(c->pid, "x4").exists,
         "errors: the clash was found before anything moved");

  struct husk_net_device lo[] = {{"lo", "lo2"}};
  tap_ok(move_fails(lo, 1, true, c->pid, "linux.netDevices.lo: \"lo\" is a loopback device"),
         "errors: the loopback device");
  struct husk_net_device bad[] = {{"hv3", "a%s"}};
  tap_ok(move_fails(bad, 1, true, c->pid, "linux.netDevices.hv3.name: invalid interface name"),
         "errors: a template other than %%d");
  tap_ok(if_nametoindex("hv3") != 0 && if_nametoindex("hv4") != 0,
         "errors: hv3 and hv4 are still on the host");
}

static void test_rollback(void) {
  /* A container whose namespace refuses IPv6 addresses: hv3 moves fine,
   * hv4's IPv6 address fails, and both must come back as they were. */
  struct ctr c;
  if (ctr_start(&c, true) < 0) {
    tap_skip("rollback", "cannot disable IPv6 in a new network namespace");
    return;
  }
  bool setup = add_addr("hv3", "10.99.3.1", 24, RT_SCOPE_UNIVERSE) == 0 && set_up("hv3") == 0 &&
               add_addr("hv4", "fd00:99::4", 64, RT_SCOPE_UNIVERSE) == 0;
  tap_ok(setup, "rollback: hv3 up with 10.99.3.1/24, hv4 down with fd00:99::4/64");
  struct husk_net_device devs[] = {{"hv3", "r3"}, {"hv4", "r4"}};
  tap_ok(
      move_fails(devs, 2, true, c.pid, "linux.netDevices.hv4: add address fd00:99::4/64 to \"r4\""),
      "rollback: the failing address is named");
  struct probe p3 = probe(0, "hv3"), p4 = probe(0, "hv4");
  tap_ok(p3.exists && p4.exists, "rollback: hv3 and hv4 are back on the host under their names");
  tap_ok(p3.up && has_addr(&p3, "10.99.3.1/24"), "rollback: hv3 is up with its address (has:%s)",
         p3.addrs);
  tap_ok(!p4.up && has_addr(&p4, "fd00:99::4/64"),
         "rollback: hv4 is down again with its address (has:%s)", p4.addrs);
  tap_ok(!probe(c.pid, "r3").exists && !probe(c.pid, "r4").exists,
         "rollback: nothing left in the container");
  ctr_stop(&c);
}

int main(void) {
  if (geteuid() != 0) {
    tap_skip("linux.netDevices", "needs root (network namespaces, moving interfaces)");
    return tap_done();
  }
  /* From here on the "host" is a scratch namespace: nothing below can
   * touch the machine's real interfaces. */
  if (unshare(CLONE_NEWNET) < 0) {
    tap_skip("linux.netDevices", "cannot create a network namespace");
    return tap_done();
  }
  const char *kind = NULL;
  int dummy = make_link("probe0", "dummy"), veth = 0;
  if (dummy == 0)
    kind = "dummy";
  else if ((veth = make_link("probe0", "veth")) == 0)
    kind = "veth";
  if (kind == NULL) {
    char why[160];
    snprintf(why, sizeof(why), "neither dummy (%s) nor veth (%s) links can be created",
             strerror(-dummy), strerror(-veth));
    tap_skip("linux.netDevices", why);
    return tap_done();
  }
  tap_diag("test interfaces are %s links", kind);

  struct ctr c;
  if (!tap_ok(ctr_start(&c, false) == 0, "a container child in its own network namespace"))
    return tap_done();
  test_move(kind, &c);
  test_template_and_keep_name(kind, &c);
  test_errors(kind, &c);
  ctr_stop(&c);
  test_rollback();
  return tap_done();
}
