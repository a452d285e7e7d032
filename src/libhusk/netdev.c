/* husk — linux.netDevices: move host interfaces into the container's network
 * namespace with plain rtnetlink messages (see netdev.h for what the spec
 * requires and how it is met). */
#include "netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

/* Older UAPI headers lack these; the values are ABI. */
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif

/* Address flags that describe how the address was configured and that the
 * kernel accepts back on RTM_NEWADDR.  The others are state the kernel
 * computes (tentative, deprecated, secondary, ...). */
#define ADDR_FLAGS_KEPT                                                                            \
  (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN)

/* ------------------------------------------------------------ rtnetlink - */

struct nlsock {
  int fd;
  uint32_t seq;
};

/* One request: header, family header, attributes.  Ours are a few hundred
 * bytes at most. */
struct req {
  union {
    struct nlmsghdr h;
    char bytes[1024];
  };
};

/* The kernel's explanation of a refusal (extended ack), "" when it gave none. */
typedef char kmsg_t[256];

static void *req_init(struct req *r, uint16_t type, uint16_t flags, size_t family_len) {
  memset(r, 0, sizeof(*r));
  r->h.nlmsg_len = NLMSG_LENGTH(family_len);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | flags;
  return NLMSG_DATA(&r->h);
}

static void req_attr(struct req *r, uint16_t type, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
  if (off + RTA_SPACE(len) > sizeof(r->bytes))
    abort(); /* the requests built here are bounded: overflowing is a bug */
  struct rtattr *a = (struct rtattr *)(r->bytes + off);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = off + RTA_SPACE(len);
}

static void req_attr_str(struct req *r, uint16_t type, const char *s) {
  req_attr(r, type, s, strlen(s) + 1);
}

static void req_attr_u32(struct req *r, uint16_t type, uint32_t v) {
  req_attr(r, type, &v, sizeof(v));
}

/* Only raw system calls: this also runs in the forked helper of
 * nl_open_in_ns, where nothing but async-signal-safe calls may be made. */
static int nl_open_fd(unsigned groups) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  int one = 1;
  /* Both are optional: the kernel's explanations only make messages better,
   * and capped acks only make them shorter. */
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* Read one datagram from the kernel into *buf, growing it to fit (a link
 * with many VFs can exceed any fixed size).  Returns its length or -errno. */
static ssize_t nl_recv(int fd, char **buf, size_t *size, int flags) {
  for (;;) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = *buf, .iov_len = *size};
    struct msghdr mh = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &mh, flags | MSG_PEEK | MSG_TRUNC);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if ((size_t)n > *size) {
      *size = (size_t)n;
      *buf = husk_xrealloc(*buf, *size);
      continue;
    }
    iov.iov_base = *buf;
    iov.iov_len = *size;
    mh.msg_namelen = sizeof(from);
    n = recvmsg(fd, &mh, flags);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (from.nl_pid != 0)
      continue; /* not from the kernel: ignore */
    return n;
  }
}

/* The NLMSGERR_ATTR_MSG text of an error (or NLMSG_DONE) message. */
static void extack_text(const struct nlmsghdr *h, size_t skip, kmsg_t kmsg) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || kmsg == NULL)
    return;
  size_t payload = h->nlmsg_len - NLMSG_HDRLEN;
  if (skip > payload)
    return;
  const struct rtattr *a = (const struct rtattr *)((const char *)NLMSG_DATA(h) + skip);
  int left = (int)(payload - skip);
  for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    if (a->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD(a) > 0) {
      snprintf(kmsg, sizeof(kmsg_t), "%.*s", (int)strnlen(RTA_DATA(a), RTA_PAYLOAD(a)),
               (const char *)RTA_DATA(a));
      return;
    }
  }
}

typedef int (*nl_cb)(const struct nlmsghdr *h, void *ctx);

/* Send a request and read the answer to the end: the ack of a plain request
 * (NLM_F_ACK is added) or the NLMSG_DONE of a dump.  `cb` sees every data
 * message.  Returns 0 or -errno, the kernel's explanation in kmsg. */
static int nl_call(struct nlsock *s, struct req *r, nl_cb cb, void *ctx, kmsg_t kmsg) {
  if (kmsg)
    kmsg[0] = '\0';
  bool dump = (r->h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump)
    r->h.nlmsg_flags |= NLM_F_ACK;
  r->h.nlmsg_seq = ++s->seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do
    sent = sendto(s->fd, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    return -errno;

  size_t size = 32768;
  _cleanup_free_ char *buf = husk_xmalloc(size);
  int result = 0;
  for (;;) {
    ssize_t n = nl_recv(s->fd, &buf, &size, 0);
    if (n < 0)
      return (int)n;
    unsigned int left = (unsigned int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != r->h.nlmsg_seq)
        continue; /* a late answer to an earlier request */
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
          return -EBADMSG;
        const struct nlmsgerr *e = NLMSG_DATA(h);
        size_t skip = sizeof(*e);
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
          skip += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
        extack_text(h, skip, kmsg);
        return e->error ? e->error : result;
      }
      if (h->nlmsg_type == NLMSG_DONE) {
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          int e = *(const int *)NLMSG_DATA(h);
          extack_text(h, sizeof(int), kmsg);
          if (e < 0)
            return e;
        }
        return result;
      }
      if (h->nlmsg_flags & NLM_F_DUMP_INTR)
        result = -EAGAIN; /* the table changed under the dump: not a consistent view */
      if (cb && result == 0)
        result = cb(h, ctx);
    }
  }
}

/* ": <the kernel's explanation>" or "", for messages. */
static const char *kern(const kmsg_t kmsg, char *out, size_t size) {
  if (kmsg[0] == '\0')
    return "";
  snprintf(out, size, ": %s", kmsg);
  return out;
}
#define KERN(kmsg) kern(kmsg, (char[sizeof(kmsg_t) + 2]){0}, sizeof(kmsg_t) + 2)

/* ---------------------------------------------------------------- links - */

struct link_info {
  int index;
  unsigned flags;
  char name[IFNAMSIZ];
};

static int parse_link(const struct nlmsghdr *h, void *ctx) {
  struct link_info *l = ctx;
  if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
    return 0;
  const struct ifinfomsg *ifi = NLMSG_DATA(h);
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  l->name[0] = '\0';
  int left = (int)IFLA_PAYLOAD(h);
  for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, left); a = RTA_NEXT(a, left))
    if (a->rta_type == IFLA_IFNAME)
      snprintf(l->name, sizeof(l->name), "%.*s", (int)strnlen(RTA_DATA(a), RTA_PAYLOAD(a)),
               (const char *)RTA_DATA(a));
  return 0;
}

/* Look a link up by name (index 0) or by index.  -ENODEV when absent. */
static int link_get(struct nlsock *s, const char *name, int index, struct link_info *out,
                    kmsg_t kmsg) {
  struct req r;
  struct ifinfomsg *ifi = req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (index == 0)
    req_attr_str(&r, IFLA_IFNAME, name);
  req_attr_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  memset(out, 0, sizeof(*out));
  int rc = nl_call(s, &r, parse_link, out, kmsg);
  if (rc == 0 && out->index == 0)
    rc = -ENODEV;
  return rc;
}

static int link_set_up(struct nlsock *s, int index, bool up, kmsg_t kmsg) {
  struct req r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  return nl_call(s, &r, NULL, NULL, kmsg);
}

/* Move link `index` of the socket's namespace into the namespace `nsfd`,
 * renamed to `name` (NULL: keep its name).  One message does both: the
 * kernel moves the device, then applies IFLA_IFNAME in the target namespace,
 * so a name that exists only on the host does not clash. */
static int link_move(struct nlsock *s, int index, int nsfd, const char *name, kmsg_t kmsg) {
  struct req r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  req_attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)nsfd);
  if (name)
    req_attr_str(&r, IFLA_IFNAME, name);
  return nl_call(s, &r, NULL, NULL, kmsg);
}

/* ------------------------------------------------------------ addresses - */

struct addr_attr {
  bool set;
  unsigned char len;
  unsigned char data[16]; /* an IPv6 address at most */
};

struct addr {
  struct ifaddrmsg ifa;
  uint32_t flags; /* IFA_FLAGS when given, else ifa_flags */
  struct addr_attr local, address, broadcast;
  bool has_cacheinfo, has_prio, has_proto;
  struct ifa_cacheinfo ci;
  uint32_t prio;
  uint8_t proto;
  char label[IFNAMSIZ];
};

struct addr_list {
  int index; /* the link whose addresses are collected */
  struct addr *v;
  size_t len;
};

static void addr_list_free(struct addr_list *l) {
  free(l->v);
  l->v = NULL;
  l->len = 0;
}

static void take_attr(struct addr_attr *dst, const struct rtattr *a) {
  size_t n = RTA_PAYLOAD(a);
  if (n == 0 || n > sizeof(dst->data))
    return;
  dst->set = true;
  dst->len = (unsigned char)n;
  memcpy(dst->data, RTA_DATA(a), n);
}

/* Keep the addresses the spec names: permanent (IFA_F_PERMANENT) and of
 * global scope (RT_SCOPE_UNIVERSE), of any family. */
static int collect_addr(const struct nlmsghdr *h, void *ctx) {
  struct addr_list *l = ctx;
  if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
    return 0;
  const struct ifaddrmsg *ifa = NLMSG_DATA(h);
  if ((int)ifa->ifa_index != l->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  struct addr a = {.ifa = *ifa, .flags = ifa->ifa_flags};
  int left = (int)IFA_PAYLOAD(h);
  for (const struct rtattr *at = IFA_RTA(ifa); RTA_OK(at, left); at = RTA_NEXT(at, left)) {
    switch (at->rta_type) {
    case IFA_LOCAL:
      take_attr(&a.local, at);
      break;
    case IFA_ADDRESS:
      take_attr(&a.address, at);
      break;
    case IFA_BROADCAST:
      take_attr(&a.broadcast, at);
      break;
    case IFA_FLAGS:
      if (RTA_PAYLOAD(at) >= sizeof(uint32_t))
        memcpy(&a.flags, RTA_DATA(at), sizeof(uint32_t));
      break;
    case IFA_CACHEINFO:
      if (RTA_PAYLOAD(at) >= sizeof(a.ci)) {
        memcpy(&a.ci, RTA_DATA(at), sizeof(a.ci));
        a.has_cacheinfo = true;
      }
      break;
    case IFA_RT_PRIORITY:
      if (RTA_PAYLOAD(at) >= sizeof(uint32_t)) {
        memcpy(&a.prio, RTA_DATA(at), sizeof(uint32_t));
        a.has_prio = true;
      }
      break;
    case IFA_PROTO:
      if (RTA_PAYLOAD(at) >= 1) {
        a.proto = *(const uint8_t *)RTA_DATA(at);
        a.has_proto = true;
      }
      break;
    case IFA_LABEL:
      snprintf(a.label, sizeof(a.label), "%.*s", (int)strnlen(RTA_DATA(at), RTA_PAYLOAD(at)),
               (const char *)RTA_DATA(at));
      break;
    default:
      break;
    }
  }
  if (!(a.flags & IFA_F_PERMANENT) || (!a.local.set && !a.address.set))
    return 0;
  l->v = husk_xrealloc(l->v, (l->len + 1) * sizeof(*l->v));
  l->v[l->len++] = a;
  return 0;
}

static int addrs_get(struct nlsock *s, int index, struct addr_list *out, kmsg_t kmsg) {
  /* A dump that raced with a change is retried: the copy must be complete. */
  for (int attempt = 0;; attempt++) {
    struct req r;
    struct ifaddrmsg *ifa = req_init(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
    ifa->ifa_family = AF_UNSPEC;
    addr_list_free(out);
    out->index = index;
    int rc = nl_call(s, &r, collect_addr, out, kmsg);
    if (rc != -EAGAIN || attempt == 3)
      return rc;
  }
}

/* "10.99.0.1/24" for messages. */
static const char *addr_text(const struct addr *a, char *out, size_t size) {
  const struct addr_attr *x = a->local.set ? &a->local : &a->address;
  char ip[INET6_ADDRSTRLEN] = "?";
  if ((a->ifa.ifa_family == AF_INET && x->len == 4) ||
      (a->ifa.ifa_family == AF_INET6 && x->len == 16))
    inet_ntop(a->ifa.ifa_family, x->data, ip, sizeof(ip));
  else
    snprintf(ip, sizeof(ip), "(family %u)", a->ifa.ifa_family);
  snprintf(out, size, "%s/%u", ip, a->ifa.ifa_prefixlen);
  return out;
}

/* IPv4 labels are the device name, or "<device>:<alias>": they follow a
 * rename, as they do when a device is renamed in place.  Returns whether to
 * send a label at all (the plain device name is the kernel's default). */
static bool relabel(const char *label, const char *old_name, const char *new_name,
                    char out[IFNAMSIZ]) {
  size_t n = strlen(old_name);
  if (label[0] == '\0' || strcmp(label, old_name) == 0)
    return false;
  if (strncmp(label, old_name, n) == 0 && label[n] == ':') {
    /* An alias too long for the new name loses its label, not its address. */
    return snprintf(out, IFNAMSIZ, "%s%s", new_name, label + n) < IFNAMSIZ;
  }
  snprintf(out, IFNAMSIZ, "%s", label);
  return true;
}

static int addr_add(struct nlsock *s, int index, const struct addr *a, const char *old_name,
                    const char *new_name, kmsg_t kmsg) {
  struct req r;
  struct ifaddrmsg *ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
  *ifa = a->ifa;
  ifa->ifa_index = (uint32_t)index;
  ifa->ifa_flags = (uint8_t)(a->flags & ADDR_FLAGS_KEPT);
  if (a->local.set)
    req_attr(&r, IFA_LOCAL, a->local.data, a->local.len);
  if (a->address.set)
    req_attr(&r, IFA_ADDRESS, a->address.data, a->address.len);
  if (a->broadcast.set)
    req_attr(&r, IFA_BROADCAST, a->broadcast.data, a->broadcast.len);
  req_attr_u32(&r, IFA_FLAGS, a->flags & ADDR_FLAGS_KEPT);
  if (a->has_cacheinfo) {
    /* Only the lifetimes are read back; the timestamps are the kernel's. */
    struct ifa_cacheinfo ci = {.ifa_prefered = a->ci.ifa_prefered, .ifa_valid = a->ci.ifa_valid};
    req_attr(&r, IFA_CACHEINFO, &ci, sizeof(ci));
  }
  if (a->has_prio)
    req_attr_u32(&r, IFA_RT_PRIORITY, a->prio);
  if (a->has_proto)
    req_attr(&r, IFA_PROTO, &a->proto, 1);
  char label[IFNAMSIZ];
  if (a->ifa.ifa_family == AF_INET && relabel(a->label, old_name, new_name, label))
    req_attr_str(&r, IFA_LABEL, label);
  return nl_call(s, &r, NULL, NULL, kmsg);
}

/* ---------------------------------------- sockets in the container's ns - */

/* A netlink socket works on the namespace it was created in, whoever uses
 * it later.  So a short-lived child joins the container's network namespace,
 * opens the sockets there and hands them back: the runtime never leaves its
 * own namespace, and there is nothing to restore if anything fails.
 * out[0] is for requests, out[1] listens to link notifications. */
static int nl_open_in_ns(int nsfd, int out[2], husk_error_t *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set(err, errno, "linux.netDevices: socketpair");
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return husk_error_set(err, e, "linux.netDevices: fork");
  }
  if (pid == 0) {
    /* Async-signal-safe calls only: the caller may have threads. */
    int code = 0, fds[2] = {-1, -1};
    if (setns(nsfd, CLONE_NEWNET) < 0)
      code = errno;
    if (code == 0 && (fds[0] = nl_open_fd(0)) < 0)
      code = -fds[0];
    if (code == 0 && (fds[1] = nl_open_fd(RTMGRP_LINK)) < 0)
      code = -fds[1];
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(fds))];
    } c;
    memset(&c, 0, sizeof(c));
    struct iovec iov = {.iov_base = &code, .iov_len = sizeof(code)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (code == 0) {
      mh.msg_control = c.buf;
      mh.msg_controllen = sizeof(c.buf);
      struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(fds));
      memcpy(CMSG_DATA(cm), fds, sizeof(fds));
    }
    _exit(sendmsg(sv[1], &mh, MSG_NOSIGNAL) < 0 ? 1 : 0);
  }
  close(sv[1]);
  int code = -1;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(2 * sizeof(int))];
  } c;
  struct iovec iov = {.iov_base = &code, .iov_len = sizeof(code)};
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf)};
  ssize_t n;
  do
    n = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  int recv_errno = errno;
  close(sv[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  out[0] = out[1] = -1;
  struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
      cm->cmsg_len == CMSG_LEN(2 * sizeof(int)))
    memcpy(out, CMSG_DATA(cm), 2 * sizeof(int));
  if (n == (ssize_t)sizeof(code) && code == 0 && out[0] >= 0 && out[1] >= 0)
    return 0;
  if (out[0] >= 0)
    close(out[0]);
  if (out[1] >= 0)
    close(out[1]);
  out[0] = out[1] = -1;
  if (n < 0)
    return husk_error_set(err, recv_errno, "linux.netDevices: receive the netlink sockets");
  return husk_error_set(err, n == (ssize_t)sizeof(code) && code > 0 ? code : EPROTO,
                        "linux.netDevices: open a netlink socket in the container's network "
                        "namespace");
}

/* Forget the link notifications queued so far. */
static void monitor_drain(int fd) {
  char buf[8192];
  while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == EINTR)
    ;
}

/* Whether `name` is what the kernel makes of the template `tmpl`: the "%d"
 * replaced by a decimal number. */
static bool fits_template(const char *name, const char *tmpl) {
  const char *pct = strstr(tmpl, "%d");
  if (pct == NULL)
    return false;
  size_t pre = (size_t)(pct - tmpl), post = strlen(pct + 2), len = strlen(name);
  if (len <= pre + post || strncmp(name, tmpl, pre) != 0 || strcmp(name + len - post, pct + 2) != 0)
    return false;
  for (size_t i = pre; i < len - post; i++)
    if (name[i] < '0' || name[i] > '9')
      return false;
  return true;
}

/* The device a move just brought into the container's namespace, as the
 * kernel announced it: needed for a "%d" template, whose final name only
 * the kernel knows.  The namespace is quiet (its init waits for us, and the
 * devices moved before are still down), but a late notification about one
 * of those is skipped all the same: `skip` lists their indexes. */
static int monitor_find(int fd, const char *tmpl, const int *skip, size_t nskip,
                        struct link_info *out) {
  size_t size = 32768;
  _cleanup_free_ char *buf = husk_xmalloc(size);
  int rc = -ENOENT;
  for (;;) {
    ssize_t n = nl_recv(fd, &buf, &size, MSG_DONTWAIT);
    if (n == -EAGAIN || n == -EWOULDBLOCK)
      return rc;
    if (n < 0)
      return (int)n;
    unsigned int left = (unsigned int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      struct link_info l = {0};
      if (h->nlmsg_type != RTM_NEWLINK || parse_link(h, &l) < 0 || l.index <= 0 ||
          !fits_template(l.name, tmpl))
        continue;
      bool earlier = false;
      for (size_t i = 0; i < nskip; i++)
        earlier |= skip[i] == l.index;
      if (!earlier) {
        *out = l; /* the last word is the final name */
        rc = 0;
      }
    }
  }
}

/* ------------------------------------------------------------- the move - */

struct dev {
  const struct husk_net_device *nd;
  char *key;          /* ".eth0" or ["eth0.1"], for messages */
  const char *target; /* the name asked for inside the container */
  bool template_name; /* target holds a "%d" for the kernel to fill */
  struct link_info host;
  struct addr_list addrs;
  bool moved;
  struct link_info ctr; /* where it is inside the container */
};

struct ctx {
  struct nlsock host;  /* requests in the runtime's namespace */
  struct nlsock ctr;   /* requests in the container's namespace */
  int monitor;         /* link notifications of the container's namespace */
  int host_ns, ctr_ns; /* namespace files, the targets of moves */
  struct dev *devs;
  size_t len;
};

/* Append "; <note>" to an error already set: a failed rollback must not
 * hide the failure that caused it, nor be hidden by it. */
__attribute__((format(printf, 2, 3))) static void error_note(husk_error_t *err, const char *fmt,
                                                             ...) {
  if (err == NULL || err->msg == NULL)
    return;
  char *note = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&note, fmt, ap) < 0)
    abort();
  va_end(ap);
  char *full = husk_xasprintf("%s; %s", err->msg, note);
  free(note);
  free(err->msg);
  err->msg = full;
}

/* An error that the message explains fully ("no such interface"): errnum is
 * kept for callers, without the ": strerror" tail (as husk_jfail does). */
__attribute__((format(printf, 3, 4))) static int fail_as(husk_error_t *err, int errnum,
                                                         const char *fmt, ...) {
  if (err == NULL || err->msg != NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  husk_error_setv(err, 0, fmt, ap);
  va_end(ap);
  err->errnum = errnum;
  return -1;
}

/* What the kernel accepts as a name (dev_valid_name), plus, for names inside
 * the container, a "%d" template: exactly one "%d" and no other '%'. */
static bool valid_name(const char *name, bool allow_template) {
  size_t len = strlen(name);
  if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return false;
  int percents = 0;
  for (const char *p = name; *p; p++) {
    if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
      return false;
    if (*p == '%') {
      if (!allow_template || p[1] != 'd' || ++percents > 1)
        return false;
    }
  }
  return true;
}

/* Everything that can be decided from the config alone. */
static int check_spec(const struct husk_spec *spec, struct ctx *c, husk_error_t *err) {
  const struct husk_linux *l = &spec->linux_;
  bool has_netns = false;
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (l->namespaces[i].type == HUSK_NS_NETWORK)
      has_netns = true;
  if (!has_netns)
    return fail_as(err, EINVAL,
                   "linux.netDevices: the container needs a network namespace of its own, "
                   "but linux.namespaces has no \"network\" entry");
  for (size_t i = 0; i < c->len; i++) {
    struct dev *d = &c->devs[i];
    if (!valid_name(d->nd->host_name, false))
      return fail_as(err, EINVAL, "linux.netDevices%s: invalid interface name", d->key);
    if (!valid_name(d->target, true))
      return fail_as(err, EINVAL, "linux.netDevices%s.name: invalid interface name \"%s\"", d->key,
                     d->target);
    for (size_t j = 0; j < i; j++) {
      const struct dev *o = &c->devs[j];
      if (strcmp(o->nd->host_name, d->nd->host_name) == 0)
        return fail_as(err, EINVAL, "linux.netDevices%s: the interface is listed twice", d->key);
      if (!d->template_name && strcmp(o->target, d->target) == 0)
        return fail_as(err, EINVAL,
                       "linux.netDevices%s: the name \"%s\" inside the container is also "
                       "the name of linux.netDevices%s",
                       d->key, d->target, o->key);
    }
  }
  return 0;
}

/* Open both namespaces and refuse to "move" devices into the namespace they
 * are already in: a container joining the runtime's namespace by path. */
static int open_namespaces(struct ctx *c, pid_t init_pid, husk_error_t *err) {
  c->host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (c->host_ns < 0)
    c->host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (c->host_ns < 0)
    return husk_error_set(err, errno, "linux.netDevices: open /proc/self/ns/net");
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
  c->ctr_ns = open(path, O_RDONLY | O_CLOEXEC);
  if (c->ctr_ns < 0)
    return husk_error_set(err, errno, "linux.netDevices: open %s", path);
  struct stat a, b;
  if (fstat(c->host_ns, &a) < 0 || fstat(c->ctr_ns, &b) < 0)
    return husk_error_set(err, errno, "linux.netDevices: stat the network namespaces");
  if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    return fail_as(err, EINVAL,
                   "linux.netDevices: the container is in the runtime's own network "
                   "namespace; it needs one of its own");
  return 0;
}

/* Before anything changes: every device exists on the host and may move,
 * its addresses are saved, and no target name is taken in the container. */
static int prepare(struct ctx *c, husk_error_t *err) {
  kmsg_t km;
  for (size_t i = 0; i < c->len; i++) {
    struct dev *d = &c->devs[i];
    int rc = link_get(&c->host, d->nd->host_name, 0, &d->host, km);
    if (rc == -ENODEV)
      return fail_as(err, ENODEV, "linux.netDevices%s: no such interface on the host", d->key);
    if (rc < 0)
      return husk_error_set(err, -rc, "linux.netDevices%s: look up \"%s\" on the host%s", d->key,
                            d->nd->host_name, KERN(km));
    if (d->host.flags & IFF_LOOPBACK)
      return fail_as(err, EINVAL,
                     "linux.netDevices%s: \"%s\" is a loopback device, which cannot leave "
                     "its network namespace",
                     d->key, d->nd->host_name);
    rc = addrs_get(&c->host, d->host.index, &d->addrs, km);
    if (rc < 0)
      return husk_error_set(err, -rc, "linux.netDevices%s: read the addresses of \"%s\"%s", d->key,
                            d->nd->host_name, KERN(km));
    if (d->template_name)
      continue; /* the kernel picks a free number: no clash possible */
    struct link_info there;
    rc = link_get(&c->ctr, d->target, 0, &there, km);
    if (rc == 0)
      return fail_as(err, EEXIST,
                     "linux.netDevices%s: an interface named \"%s\" already exists in the "
                     "container's network namespace",
                     d->key, d->target);
    if (rc != -ENODEV)
      return husk_error_set(err, -rc,
                            "linux.netDevices%s: look up \"%s\" in the container's network "
                            "namespace%s",
                            d->key, d->target, KERN(km));
  }
  return 0;
}

/* Move one device and give it back its addresses.  `earlier` are the
 * devices moved before it. */
static int move_one(struct ctx *c, struct dev *d, const struct dev *earlier, size_t nearlier,
                    husk_error_t *err) {
  kmsg_t km;
  const char *rename = strcmp(d->target, d->nd->host_name) != 0 ? d->target : NULL;
  monitor_drain(c->monitor);
  int rc = link_move(&c->host, d->host.index, c->ctr_ns, rename, km);
  if (rc < 0) {
    /* The kernel moves first and renames after: a failed rename can leave
     * the device in the container under its host name.  Find it so the
     * rollback brings it back. */
    struct link_info l;
    if (link_get(&c->host, NULL, d->host.index, &l, NULL) == -ENODEV &&
        link_get(&c->ctr, d->nd->host_name, 0, &l, NULL) == 0) {
      d->moved = true;
      d->ctr = l;
    }
    if (rc == -EEXIST)
      return fail_as(err, EEXIST,
                     "linux.netDevices%s: an interface named \"%s\" already exists in the "
                     "container's network namespace",
                     d->key, d->target);
    return husk_error_set(err, -rc,
                          "linux.netDevices%s: move \"%s\" into the container's network "
                          "namespace%s%s%s",
                          d->key, d->nd->host_name, rename ? " as " : "", rename ? rename : "",
                          KERN(km));
  }
  d->moved = true;
  if (d->template_name) {
    _cleanup_free_ int *skip = husk_xcalloc(nearlier + 1, sizeof(int));
    for (size_t i = 0; i < nearlier; i++)
      skip[i] = earlier[i].ctr.index;
    rc = monitor_find(c->monitor, d->target, skip, nearlier, &d->ctr);
  } else
    rc = link_get(&c->ctr, d->target, 0, &d->ctr, km);
  if (rc == 0 && d->template_name)
    rc = link_get(&c->ctr, NULL, d->ctr.index, &d->ctr, km); /* the current name */
  if (rc < 0) {
    d->moved = false; /* nowhere to be found: nothing to move back either */
    return husk_error_set(err, -rc,
                          "linux.netDevices%s: find \"%s\" in the container's network namespace "
                          "after the move",
                          d->key, d->target);
  }
  for (size_t i = 0; i < d->addrs.len; i++) {
    const struct addr *a = &d->addrs.v[i];
    rc = addr_add(&c->ctr, d->ctr.index, a, d->nd->host_name, d->ctr.name, km);
    if (rc < 0) {
      char text[INET6_ADDRSTRLEN + 16];
      return husk_error_set(err, -rc, "linux.netDevices%s: add address %s to \"%s\"%s", d->key,
                            addr_text(a, text, sizeof(text)), d->ctr.name, KERN(km));
    }
  }
  return 0;
}

/* The spec: the runtime "MUST set the network device state to up" after
 * moving it, whatever it was on the host. */
static int set_up(struct ctx *c, struct dev *d, husk_error_t *err) {
  kmsg_t km;
  int rc = link_set_up(&c->ctr, d->ctr.index, true, km);
  if (rc < 0)
    return husk_error_set(err, -rc, "linux.netDevices%s: set \"%s\" up%s", d->key, d->ctr.name,
                          KERN(km));
  return 0;
}

/* Undo move_one: back to the host under the host name, with the saved
 * addresses and the former up/down state.  Failures are noted in *err. */
static void move_back(struct ctx *c, struct dev *d, husk_error_t *err) {
  kmsg_t km;
  const char *name = d->nd->host_name;
  bool renamed = strcmp(d->ctr.name, name) != 0;
  int rc = link_move(&c->ctr, d->ctr.index, c->host_ns, renamed ? name : NULL, km);
  if (rc < 0) {
    error_note(err, "could not move \"%s\" back to the host as \"%s\": %s%s", d->ctr.name, name,
               strerror(-rc), KERN(km));
    return;
  }
  d->moved = false;
  struct link_info l;
  rc = link_get(&c->host, name, 0, &l, km);
  if (rc < 0) {
    error_note(err, "moved \"%s\" back but cannot find it on the host: %s", name, strerror(-rc));
    return;
  }
  for (size_t i = 0; i < d->addrs.len; i++) {
    const struct addr *a = &d->addrs.v[i];
    rc = addr_add(&c->host, l.index, a, name, name, km);
    if (rc < 0 && rc != -EEXIST) {
      char text[INET6_ADDRSTRLEN + 16];
      error_note(err, "could not give \"%s\" back its address %s: %s%s", name,
                 addr_text(a, text, sizeof(text)), strerror(-rc), KERN(km));
    }
  }
  if (d->host.flags & IFF_UP) {
    rc = link_set_up(&c->host, l.index, true, km);
    if (rc < 0)
      error_note(err, "could not set \"%s\" up again: %s%s", name, strerror(-rc), KERN(km));
  }
}

static void ctx_release(struct ctx *c) {
  for (size_t i = 0; i < c->len; i++) {
    free(c->devs[i].key);
    addr_list_free(&c->devs[i].addrs);
  }
  free(c->devs);
  int *fds[] = {&c->host.fd, &c->ctr.fd, &c->monitor, &c->host_ns, &c->ctr_ns};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (*fds[i] >= 0)
      close(*fds[i]);
}

int husk_netdev_move(const struct husk_spec *spec, pid_t init_pid, husk_error_t *err) {
  const struct husk_linux *l = &spec->linux_;
  if (l->net_devices_len == 0)
    return 0;
  __attribute__((cleanup(ctx_release))) struct ctx c = {
      .host.fd = -1, .ctr.fd = -1, .monitor = -1, .host_ns = -1, .ctr_ns = -1};
  c.devs = husk_xcalloc(l->net_devices_len, sizeof(*c.devs));
  c.len = l->net_devices_len;
  for (size_t i = 0; i < c.len; i++) {
    struct dev *d = &c.devs[i];
    d->nd = &l->net_devices[i];
    d->key = husk_jpath_key(d->nd->host_name);
    d->target = d->nd->name ? d->nd->name : d->nd->host_name;
    d->template_name = strchr(d->target, '%') != NULL;
  }
  if (check_spec(spec, &c, err) < 0 || open_namespaces(&c, init_pid, err) < 0)
    return -1;
  c.host.fd = nl_open_fd(0);
  if (c.host.fd < 0)
    return husk_error_set(err, -c.host.fd, "linux.netDevices: open a netlink socket");
  int fds[2];
  if (nl_open_in_ns(c.ctr_ns, fds, err) < 0)
    return -1;
  c.ctr.fd = fds[0];
  c.monitor = fds[1];
  if (prepare(&c, err) < 0)
    return -1;

  /* Up only once all are in: a device that is up can announce carrier
   * changes at any time, which would muddle finding a "%d" device. */
  int rc = 0;
  for (size_t i = 0; i < c.len && rc == 0; i++)
    rc = move_one(&c, &c.devs[i], c.devs, i, err);
  for (size_t i = 0; i < c.len && rc == 0; i++)
    rc = set_up(&c, &c.devs[i], err);
  if (rc == 0)
    return 0;
  /* All or nothing: the container fails, the host gets its devices back. */
  for (size_t j = c.len; j-- > 0;)
    if (c.devs[j].moved)
      move_back(&c, &c.devs[j], err);
  return -1;
}

int husk_net_loopback_up(husk_error_t *err) {
  _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_set(err, errno, "bring lo up: socket");
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return husk_error_set(err, errno, "bring lo up: read its flags");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return husk_error_set(err, errno, "bring lo up");
  return 0;
}
