// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: parsers of the command line and of configuration files.
 * Nothing here talks to the kernel; errors are returned as messages that
 * name the offending input.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>
#include <sys/stat.h>

#include "portsteerctl.h"

#define MAX_LINE_ERRORS	20
#define NAME_CHARS	"(1 to 31 characters from A-Z a-z 0-9 _ . -)"

static void seterr(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CTL_ERR_MAX, fmt, ap);
	va_end(ap);
}

/*
 * The words of the command line's grammar: a service of one of these names
 * could not be told from the keyword (listen queue 1, service del NAME
 * with-rules), so none may name a service.
 */
static const char *const reserved_names[] = {
	"queue", "with-rules", "count", "timeout", "verdict", "maxlen",
	"no-fail-open", "epoch", "balance", "bypass", "nobypass", "mark",
	"ctmark", "service", "help", "all", "dev",
};

int check_service_name(const char *s, char *err)
{
	size_t i;

	if (!valid_service_name(s)) {
		seterr(err, "invalid service name '%s' " NAME_CHARS, s);
		return -EINVAL;
	}
	if (!isalnum((unsigned char)s[0]) && s[0] != '_') {
		seterr(err, "invalid service name '%s': it must start with a letter, a digit or '_'",
		       s);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++) {
		if (!strcmp(s, reserved_names[i])) {
			seterr(err, "invalid service name '%s': a keyword of portsteerctl's commands",
			       s);
			return -EINVAL;
		}
	}
	return 0;
}

int parse_queue_range(const char *s, uint16_t *queue, uint32_t *count,
		      char *err)
{
	char buf[32], *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_u32(buf, 65535, &a))
		goto bad;
	b = a;
	if (dash && parse_u32(dash + 1, 65535, &b))
		goto bad;
	if (b < a) {
		seterr(err, "invalid queue range '%s': %u is below %u", s, b, a);
		return -EINVAL;
	}
	*queue = a;
	*count = b - a + 1;
	return 0;
bad:
	seterr(err, "invalid queue '%s' (expected Q or Q-Q2, 0 to 65535)", s);
	return -EINVAL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* One port: a number or a name. */
static int parse_one_port(uint8_t proto, const char *s, const char *ctx,
			  uint16_t *port, char *err)
{
	uint32_t v;
	int p;

	if (all_digits(s)) {
		if (parse_u32(s, 65535, &v)) {
			seterr(err, "invalid port '%s' in '%s'", s, ctx);
			return -EINVAL;
		}
		if (v == 0) {
			seterr(err, "invalid port '0' in '%s': port 0 is never valid",
			       ctx);
			return -EINVAL;
		}
		*port = v;
		return 0;
	}
	p = services_port(s, proto);
	if (p <= 0) {
		if (!isalpha((unsigned char)s[0]))
			seterr(err, "invalid port '%s' in '%s'", s, ctx);
		else
			seterr(err, "unknown port name '%s' for %s in '%s'", s,
			       proto_name(proto), ctx);
		return -EINVAL;
	}
	*port = p;
	return 0;
}

/*
 * One item of a port list: PORT, or a range PORT-PORT where either side may
 * be a name. Names may contain '-', so the whole item is tried as a name
 * first, then each '-' as the range separator; digits and one '-' are a
 * numeric range, never looked up as a name.
 */
static int parse_port_item(uint8_t proto, char *item, const char *ctx,
			   uint16_t *min, uint16_t *max, char *err)
{
	char tmp[CTL_ERR_MAX], *dash = strchr(item, '-');
	bool numeric;
	int p, ret;

	if (!dash) {
		ret = parse_one_port(proto, item, ctx, min, err);
		*max = *min;
		return ret;
	}
	numeric = strspn(item, "0123456789-") == strlen(item);
	if (!numeric || dash != strrchr(item, '-')) {
		p = services_port(item, proto);
		if (p > 0) {
			*min = *max = p;
			return 0;
		}
	}
	if (numeric) {
		/* numeric A-B: say exactly what is wrong */
		if (dash == item || dash != strrchr(item, '-') || !dash[1]) {
			seterr(err, "invalid port range '%s' in '%s'", item, ctx);
			return -EINVAL;
		}
		*dash = '\0';
		ret = parse_one_port(proto, item, ctx, min, err);
		if (!ret)
			ret = parse_one_port(proto, dash + 1, ctx, max, err);
		*dash = '-';
		if (ret)
			return ret;
		goto check;
	}
	for (dash = strchr(item, '-'); dash; dash = strchr(dash + 1, '-')) {
		*dash = '\0';
		ret = parse_one_port(proto, item, ctx, min, tmp);
		if (!ret)
			ret = parse_one_port(proto, dash + 1, ctx, max, tmp);
		*dash = '-';
		if (!ret)
			goto check;
	}
	seterr(err, "unknown port name '%s' for %s in '%s'", item,
	       proto_name(proto), ctx);
	return -EINVAL;
check:
	if (*max < *min) {
		seterr(err, "invalid port range '%s' in '%s'", item, ctx);
		return -EINVAL;
	}
	return 0;
}

void format_rule(char *buf, size_t len, const struct ctl_rule *r)
{
	if (r->port_min == r->port_max)
		snprintf(buf, len, "%s %s %s %u", family_name(r->family),
			 proto_name(r->proto) ?: "?", direction_word(r->dir),
			 r->port_min);
	else
		snprintf(buf, len, "%s %s %s %u-%u", family_name(r->family),
			 proto_name(r->proto) ?: "?", direction_word(r->dir),
			 r->port_min, r->port_max);
}

/* The order of the sweep below: proto, then port_min (24 bits). */
static uint32_t sweep_key(const struct ctl_rule *r)
{
	return (uint32_t)r->proto << 16 | r->port_min;
}

#define SORT_SMALL	16

/*
 * Fills idx with the indexes 0..n-1 of rules in sweep_key() order, ties in
 * input order: an insertion sort for a few rules, else a radix sort, one
 * stable counting pass per byte of the key, linear in n.
 */
static void sort_rules(const struct ctl_rule *rules, size_t n, size_t *idx)
{
	size_t count[256], *tmp, *src, *dst, *swap, i, j, sum, c;
	unsigned int shift;
	uint32_t key;

	if (n <= SORT_SMALL) {
		for (i = 0; i < n; i++) {
			key = sweep_key(&rules[i]);
			for (j = i; j > 0 && sweep_key(&rules[idx[j - 1]]) > key;
			     j--)
				idx[j] = idx[j - 1];
			idx[j] = i;
		}
		return;
	}
	tmp = xrealloc(NULL, n * sizeof(*tmp));
	for (i = 0; i < n; i++)
		idx[i] = i;
	src = idx;
	dst = tmp;
	for (shift = 0; shift < 24; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[sweep_key(&rules[src[i]]) >> shift & 0xff]++;
		for (i = 0, sum = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[sweep_key(&rules[src[i]]) >> shift & 0xff]++] =
				src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != idx)
		memcpy(idx, src, n * sizeof(*idx));
	free(tmp);
}

/*
 * The four slots of the sweep below: slot & 1 is the family bit (ip, ip6),
 * slot >> 1 the direction bit (dst, src). No direction is dst.
 */
static bool in_slot(const struct ctl_rule *r, int slot)
{
	uint8_t dir = r->dir ? r->dir : PORTSTEER_DIRECTION_DST;

	return (r->family & (1 << (slot & 1))) && (dir & (1 << (slot >> 1)));
}

/*
 * Finds rules whose ranges overlap for the same protocol, a common family
 * and a common direction (any is both dst and src): a sweep in (proto,
 * port_min) order that remembers, per slot, the rule reaching furthest.
 * Each rule that overlaps an earlier one is reported once, with that
 * earlier rule: pairs[i][0] < pairs[i][1] in input order.
 */
size_t rules_overlaps(const struct ctl_rule *rules, size_t n,
		      struct ctl_pair *pairs, size_t max)
{
	size_t *idx, i, found = 0;
	int last_proto = -1;
	uint32_t reach[4];
	size_t who[4];
	int slot;

	if (n < 2)
		return 0;
	idx = xrealloc(NULL, n * sizeof(*idx));
	sort_rules(rules, n, idx);
	for (i = 0; i < n && found < max; i++) {
		const struct ctl_rule *r = &rules[idx[i]];
		bool hit = false;

		if (r->proto != last_proto) {
			last_proto = r->proto;
			memset(reach, 0, sizeof(reach));
		}
		for (slot = 0; slot < 4; slot++) {
			if (!in_slot(r, slot))
				continue;
			if (!hit && reach[slot] >= r->port_min) {
				size_t a = who[slot], b = idx[i];

				pairs[found].first = a < b ? a : b;
				pairs[found].second = a < b ? b : a;
				found++;
				hit = true;
			}
		}
		for (slot = 0; slot < 4; slot++) {
			if (in_slot(r, slot) && r->port_max > reach[slot]) {
				reach[slot] = r->port_max;
				who[slot] = idx[i];
			}
		}
	}
	free(idx);
	return found;
}

int parse_ports(uint8_t proto, const char *ports, const char *ctx,
		struct ctl_rule **rules, size_t *n, char *err)
{
	char *copy, *item, *p;
	struct ctl_rule *v = NULL;
	size_t cnt = 0;
	struct ctl_pair pair[1];
	char **items = NULL;
	int ret = -EINVAL;

	copy = strdup(ports);
	if (!copy)
		return -ENOMEM;
	/* Empty items are errors, so no strtok over ",,". */
	for (item = copy; item; item = p) {
		p = strchr(item, ',');
		if (p)
			*p++ = '\0';
		if (!*item) {
			seterr(err, "empty port in '%s'", ctx);
			goto out;
		}
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		items = xrealloc(items, (cnt + 1) * sizeof(*items));
		memset(&v[cnt], 0, sizeof(*v));
		v[cnt].proto = proto;
		v[cnt].family = PORTSTEER_FAMILY_INET;
		v[cnt].dir = PORTSTEER_DIRECTION_DST;
		items[cnt] = item;
		if (parse_port_item(proto, item, ctx, &v[cnt].port_min,
				    &v[cnt].port_max, err))
			goto out;
		cnt++;
	}
	if (rules_overlaps(v, cnt, pair, 1)) {
		seterr(err, "ports '%s' and '%s' overlap in '%s'",
		       items[pair[0].first], items[pair[0].second], ctx);
		goto out;
	}
	*rules = v;
	*n = cnt;
	v = NULL;
	ret = 0;
out:
	free(v);
	free(items);
	free(copy);
	return ret;
}

/*
 * mark|ctmark VALUE[/MASK] | none: VALUE alone has the kernel's mask
 * 0xffffffff (not sent); none sends the mask 0, which removes the mark.
 */
static int parse_mark(const char *k, const char *val, bool ct,
		      struct ctl_service *svc, char *err)
{
	unsigned int have_v = ct ? CTL_SVC_CT_MARK : CTL_SVC_MARK;
	unsigned int have_m = ct ? CTL_SVC_CT_MARK_MASK : CTL_SVC_MARK_MASK;
	uint32_t v, m = UINT32_MAX;
	char buf[32], *slash;

	if (!strcmp(val, "none")) {
		v = 0;
		m = 0;
		svc->have |= have_m;
		goto out;
	}
	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_u32_hex(buf, &v) || (slash && parse_u32_hex(slash, &m)))
		goto bad;
	if (slash && !m) {
		seterr(err, "invalid %s '%s': mask 0 compares no bits (for no mark: '%s none')",
		       k, val, k);
		return -EINVAL;
	}
	if (v & ~m) {
		seterr(err, "invalid %s '%s': value 0x%x has bits outside mask 0x%x",
		       k, val, v, m);
		return -EINVAL;
	}
	svc->have |= have_v | (slash ? have_m : 0);
out:
	if (ct) {
		svc->ct_mark = v;
		svc->ct_mark_mask = m;
	} else {
		svc->mark = v;
		svc->mark_mask = m;
	}
	return 0;
bad:
	seterr(err, "invalid %s '%s' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)",
	       k, val);
	return -EINVAL;
}

/*
 * service add NAME queue Q[-Q2] [balance flow|cpu] [bypass]
 *	[mark V[/M]|none] [ctmark V[/M]|none]
 * service change NAME [queue Q[-Q2]] [balance flow|cpu] [bypass|nobypass]
 *	[mark V[/M]|none] [ctmark V[/M]|none]
 */
int parse_service_cmd(int argc, char **argv, bool change,
		      struct ctl_service *svc, char *err)
{
	int i;

	memset(svc, 0, sizeof(*svc));
	if (argc < 1) {
		seterr(err, "missing service name");
		return -EINVAL;
	}
	if (check_service_name(argv[0], err))
		return -EINVAL;
	strcpy(svc->name, argv[0]);
	for (i = 1; i < argc; i++) {
		const char *k = argv[i];

		if (!strcmp(k, "mark") || !strcmp(k, "ctmark")) {
			bool ct = k[0] == 'c';

			if (i + 1 >= argc) {
				seterr(err, "missing value after '%s'", k);
				return -EINVAL;
			}
			if (svc->have & (ct ? CTL_SVC_CT_MARK | CTL_SVC_CT_MARK_MASK :
					      CTL_SVC_MARK | CTL_SVC_MARK_MASK))
				goto twice;
			if (parse_mark(k, argv[++i], ct, svc, err))
				return -EINVAL;
		} else if (!strcmp(k, "queue") || !strcmp(k, "balance")) {
			unsigned int bit = k[0] == 'q' ? CTL_SVC_QUEUE :
							 CTL_SVC_BALANCE;

			if (i + 1 >= argc) {
				seterr(err, "missing value after '%s'", k);
				return -EINVAL;
			}
			if (svc->have & bit)
				goto twice;
			svc->have |= bit;
			i++;
			if (bit == CTL_SVC_QUEUE) {
				if (parse_queue_range(argv[i], &svc->queue,
						      &svc->queue_count, err))
					return -EINVAL;
			} else if (!strcmp(argv[i], "flow")) {
				svc->balance = PORTSTEER_BALANCE_FLOW;
			} else if (!strcmp(argv[i], "cpu")) {
				svc->balance = PORTSTEER_BALANCE_CPU;
			} else {
				seterr(err, "invalid balance '%s' (flow or cpu)",
				       argv[i]);
				return -EINVAL;
			}
		} else if (!strcmp(k, "bypass") ||
			   (change && !strcmp(k, "nobypass"))) {
			if (svc->have & CTL_SVC_BYPASS)
				goto twice;
			svc->have |= CTL_SVC_BYPASS;
			svc->bypass = k[0] == 'b';
		} else {
			seterr(err, "unexpected argument '%s' in 'service %s %s'",
			       k, change ? "change" : "add", svc->name);
			return -EINVAL;
		}
		continue;
twice:
		seterr(err, "'%s' given twice", k);
		return -EINVAL;
	}
	if (change) {
		if (!svc->have) {
			seterr(err, "nothing to change for service '%s'",
			       svc->name);
			return -EINVAL;
		}
		return 0;
	}
	if (!(svc->have & CTL_SVC_QUEUE)) {
		seterr(err, "missing 'queue Q[-Q2]' for service '%s'",
		       svc->name);
		return -EINVAL;
	}
	/* add: every property explicit, the kernel's defaults spelled out */
	svc->have |= CTL_SVC_BALANCE | CTL_SVC_BYPASS;
	return 0;
}

/* words joined by blanks into buf, cut at len - 1 as snprintf() would */
static void join_words(char *buf, size_t len, char **words, int n)
{
	size_t k = 0;
	const char *w;
	int i;

	for (i = 0; i < n; i++) {
		if (i && k + 1 < len)
			buf[k++] = ' ';
		for (w = words[i]; *w && k + 1 < len; w++)
			buf[k++] = *w;
	}
	buf[k] = '\0';
}

/* rule add|del [ip|ip6|inet] PROTO dport|sport|port PORTS [service NAME] */
int parse_rule_cmd(int argc, char **argv, bool add, struct ctl_rule **rules,
		   size_t *n, char *err)
{
	char ctx[CTL_ERR_MAX];
	const char *service = NULL;
	int family = PORTSTEER_FAMILY_INET, proto, dir, i = 0;
	struct ctl_rule *v;
	size_t cnt, k;

	if (argc > 0 && family_from_name(argv[0]) > 0)
		family = family_from_name(argv[i++]);
	if (i >= argc) {
		seterr(err, "missing protocol (tcp, udp, udplite, sctp, dccp)");
		return -EINVAL;
	}
	proto = proto_from_name(argv[i]);
	if (proto < 0) {
		seterr(err, "unknown protocol '%s' (tcp, udp, udplite, sctp, dccp)",
		       argv[i]);
		return -EINVAL;
	}
	i++;
	dir = i < argc ? direction_from_word(argv[i]) : -1;
	if (dir < 0) {
		seterr(err, "expected 'dport PORTS', 'sport PORTS' or 'port PORTS' after '%s'",
		       argv[i - 1]);
		return -EINVAL;
	}
	if (++i >= argc) {
		seterr(err, "missing ports after '%s'", argv[i - 1]);
		return -EINVAL;
	}
	join_words(ctx, sizeof(ctx), argv + i - 2, 3);
	if (parse_ports(proto, argv[i], ctx, &v, &cnt, err))
		return -EINVAL;
	i++;
	if (i < argc && !strcmp(argv[i], "service")) {
		if (i + 1 >= argc) {
			seterr(err, "missing service name after 'service'");
			goto bad;
		}
		service = argv[i + 1];
		if (check_service_name(service, err))
			goto bad;
		i += 2;
	}
	if (i < argc) {
		/* all the words before it: the context is the whole rule */
		join_words(ctx, sizeof(ctx), argv, i);
		seterr(err, "unexpected argument '%s' after '%s'", argv[i], ctx);
		goto bad;
	}
	if (add && !service) {
		seterr(err, "missing 'service NAME' after '%s'", ctx);
		goto bad;
	}
	for (k = 0; k < cnt; k++) {
		v[k].family = family;
		v[k].dir = dir;
		if (service)
			strcpy(v[k].service, service);
	}
	*rules = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

static int parse_on_off(const char *s, uint8_t *v)
{
	if (!strcmp(s, "on"))
		*v = 1;
	else if (!strcmp(s, "off"))
		*v = 0;
	else
		return -EINVAL;
	return 0;
}

#define HOOK_NAMES	"(prerouting, input, forward, output)"

/* HOOK[,HOOK...]: a set, each hook once. */
static int parse_hooks(const char *val, uint32_t *set, char *err)
{
	char *copy, *item, *next;
	int h, ret = -EINVAL;

	*set = 0;
	copy = strdup(val);
	if (!copy) {
		seterr(err, "out of memory");
		return -ENOMEM;
	}
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item) {
			seterr(err, "empty hook in '%s' " HOOK_NAMES, val);
			goto out;
		}
		h = hook_from_name(item);
		if (h < 0) {
			if (strcmp(item, val))
				seterr(err, "invalid hook '%s' in '%s' " HOOK_NAMES,
				       item, val);
			else
				seterr(err, "invalid hook '%s' " HOOK_NAMES, val);
			goto out;
		}
		if (*set & (1U << h)) {
			seterr(err, "hook '%s' given twice in '%s'", item, val);
			goto out;
		}
		*set |= 1U << h;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

/* settings set [hook HOOK[,HOOK...]] [priority N] [defrag on|off]
 *              [icmp-errors on|off] [seed N]
 */
int parse_settings_cmd(int argc, char **argv, struct ctl_settings *set,
		       char *err)
{
	unsigned int bit;
	int i;

	memset(set, 0, sizeof(*set));
	if (argc < 1) {
		seterr(err, "nothing to set (hook, priority, defrag, icmp-errors, seed)");
		return -EINVAL;
	}
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int ret = 0;

		if (!strcmp(k, "hook"))
			bit = CTL_SET_HOOK;
		else if (!strcmp(k, "priority"))
			bit = CTL_SET_PRIORITY;
		else if (!strcmp(k, "defrag"))
			bit = CTL_SET_DEFRAG;
		else if (!strcmp(k, "icmp-errors"))
			bit = CTL_SET_ICMP_ERRORS;
		else if (!strcmp(k, "seed"))
			bit = CTL_SET_SEED;
		else
			bit = 0;
		if (!bit) {
			seterr(err, "unknown setting '%s' %s", k,
			       "(hook, priority, defrag, icmp-errors, seed)");
			return -EINVAL;
		}
		if (!val) {
			seterr(err, "missing value after '%s'", k);
			return -EINVAL;
		}
		if (set->have & bit) {
			seterr(err, "'%s' given twice", k);
			return -EINVAL;
		}
		set->have |= bit;
		switch (bit) {
		case CTL_SET_HOOK:
			/* its own messages: name the word */
			if (parse_hooks(val, &set->hooks, err))
				return -EINVAL;
			break;
		case CTL_SET_PRIORITY:
			ret = parse_s32(val, &set->priority);
			break;
		case CTL_SET_DEFRAG:
			ret = parse_on_off(val, &set->defrag);
			break;
		case CTL_SET_ICMP_ERRORS:
			ret = parse_on_off(val, &set->icmp_errors);
			break;
		case CTL_SET_SEED:
			ret = parse_u32(val, UINT32_MAX, &set->seed);
			break;
		}
		if (ret) {
			seterr(err, "invalid %s '%s'%s", k, val,
			       bit == CTL_SET_PRIORITY ? " (a signed 32-bit integer)" :
			       bit == CTL_SET_SEED ? " (0 to 4294967295)" :
			       " (on or off)");
			return -EINVAL;
		}
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits a line into words at blanks; '#' starts a comment. In place;
 * *argv is allocated (free it), NULL-terminated.
 */
int split_line(char *line, char ***argv, int *argc)
{
	char **v = NULL, *p = line;
	int n = 0, cap = 0;

	line[strcspn(line, "#\r\n")] = '\0';
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (v)
		v[n] = NULL;
	*argv = v;
	*argc = n;
	return 0;
}

void config_free(struct ctl_config *cfg)
{
	free(cfg->services);
	free(cfg->rules);
	cfg->services = NULL;
	cfg->rules = NULL;
	cfg->n_services = 0;
	cfg->n_rules = 0;
}

/* The services of a file by name: open addressing, index + 1, 0 free. */
struct svc_index {
	uint32_t *slots;
	size_t mask;
};

static const struct ctl_service *find_service(const struct ctl_config *cfg,
					      const struct svc_index *ix,
					      const char *name)
{
	size_t j;

	if (!ix->slots)
		return NULL;
	for (j = hash_str(name, HASH_STR_INIT) & ix->mask; ix->slots[j];
	     j = (j + 1) & ix->mask) {
		const struct ctl_service *s = &cfg->services[ix->slots[j] - 1];

		if (!strcmp(s->name, name))
			return s;
	}
	return NULL;
}

static void svc_index_put(struct svc_index *ix, const struct ctl_config *cfg,
			  size_t i)
{
	size_t j = hash_str(cfg->services[i].name, HASH_STR_INIT) & ix->mask;

	while (ix->slots[j])
		j = (j + 1) & ix->mask;
	ix->slots[j] = i + 1;
}

/* Indexes the last service of cfg, growing the table to stay half free. */
static void svc_index_add(struct svc_index *ix, const struct ctl_config *cfg)
{
	size_t size = ix->slots ? ix->mask + 1 : 0, i;

	if (2 * cfg->n_services > size) {
		size = size ? 2 * size : 64;
		free(ix->slots);
		ix->slots = xrealloc(NULL, size * sizeof(*ix->slots));
		memset(ix->slots, 0, size * sizeof(*ix->slots));
		ix->mask = size - 1;
		for (i = 0; i + 1 < cfg->n_services; i++)
			svc_index_put(ix, cfg, i);
	}
	svc_index_put(ix, cfg, cfg->n_services - 1);
}

/*
 * The errors of one file, kept until its end and then printed in the order
 * of their lines, so the checks of the whole file (unknown services,
 * overlaps) come out among the lines' own. key is the line, or in a JSON
 * document the place of an object (see locate()); -1 is the whole file;
 * seq the order they were found in, for ties.
 */
struct cfg_err {
	int key;
	size_t seq;
	char *msg;
};

struct cfg_parse {
	const char *fname;
	struct ctl_config *cfg;
	struct svc_index ix;
	/*
	 * The services whose line was refused, by name: a rule naming one
	 * is not also an "unknown service", the error is that line's.
	 */
	struct ctl_config broken;
	struct svc_index broken_ix;
	size_t rcap;			/* the room in cfg->rules */
	int set_line[5];		/* the line of each writable setting */
	bool json;
	size_t json_services;	/* JSON keys: 0 settings, 1.. services, rules */
	struct cfg_err *errs;
	size_t n_errs, cap_errs;
};

static const char *const setting_names[] = {
	"hook", "priority", "defrag", "icmp-errors", "seed",
};

static void cfg_parse_init(struct cfg_parse *p, const char *fname,
			   struct ctl_config *cfg, bool json)
{
	memset(p, 0, sizeof(*p));
	memset(cfg, 0, sizeof(*cfg));
	p->fname = fname;
	p->cfg = cfg;
	p->json = json;
}

/* Where key is, for messages: "line 3", "services[0]", "rules[2]". */
static void locate(const struct cfg_parse *p, int key, char *buf, size_t len)
{
	if (!p->json)
		snprintf(buf, len, "line %d", key);
	else if (key == 0)
		snprintf(buf, len, "settings");
	else if ((size_t)key <= p->json_services)
		snprintf(buf, len, "services[%d]", key - 1);
	else
		snprintf(buf, len, "rules[%zu]",
			 (size_t)key - 1 - p->json_services);
}

static void cfg_error(struct cfg_parse *p, int key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_error(struct cfg_parse *p, int key, const char *fmt, ...)
{
	struct cfg_err *e;
	va_list ap;

	if (p->n_errs == p->cap_errs) {
		p->cap_errs = p->cap_errs ? 2 * p->cap_errs : 32;
		p->errs = xrealloc(p->errs, p->cap_errs * sizeof(*p->errs));
	}
	e = &p->errs[p->n_errs];
	e->key = key;
	e->seq = p->n_errs++;
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static int cmp_errs(const void *a, const void *b)
{
	const struct cfg_err *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Prints the errors to errf in the order of their lines, the first
 * MAX_LINE_ERRORS of them, as FILE:LINE: message (FILE: PLACE: message in
 * a JSON document); frees what p holds but the configuration. Returns the
 * number of errors.
 */
static int cfg_finish(struct cfg_parse *p, FILE *errf)
{
	char where[64];
	size_t i;
	int n = p->n_errs;

	if (p->n_errs)
		qsort(p->errs, p->n_errs, sizeof(*p->errs), cmp_errs);
	for (i = 0; i < p->n_errs; i++) {
		const struct cfg_err *e = &p->errs[i];

		if (i >= MAX_LINE_ERRORS) {
		} else if (e->key < 0) {
			fprintf(errf, "%s: %s\n", p->fname, e->msg);
		} else if (p->json) {
			locate(p, e->key, where, sizeof(where));
			fprintf(errf, "%s: %s: %s\n", p->fname, where, e->msg);
		} else {
			fprintf(errf, "%s:%d: %s\n", p->fname, e->key, e->msg);
		}
		free(e->msg);
	}
	if (p->n_errs > MAX_LINE_ERRORS)
		fprintf(errf, "%s: %zu more errors not shown\n", p->fname,
			p->n_errs - MAX_LINE_ERRORS);
	free(p->errs);
	free(p->ix.slots);
	free(p->broken_ix.slots);
	config_free(&p->broken);
	return n;
}

static void add_service(struct ctl_config *cfg, struct svc_index *ix,
			const struct ctl_service *s)
{
	cfg->services = xrealloc(cfg->services,
				 (cfg->n_services + 1) * sizeof(*s));
	cfg->services[cfg->n_services++] = *s;
	svc_index_add(ix, cfg);
}

/* The service name of a refused line, if it is a name and not yet known. */
static void config_broken(struct cfg_parse *p, const char *name, int key)
{
	char err[CTL_ERR_MAX];
	struct ctl_service s;

	if (check_service_name(name, err) ||
	    find_service(p->cfg, &p->ix, name) ||
	    find_service(&p->broken, &p->broken_ix, name))
		return;
	memset(&s, 0, sizeof(s));
	strcpy(s.name, name);
	s.line = key;
	add_service(&p->broken, &p->broken_ix, &s);
}

/* A "service add" line of a configuration file. */
static void config_service(struct cfg_parse *p, int argc, char **argv,
			   int key)
{
	const struct ctl_service *old;
	char err[CTL_ERR_MAX], where[64];
	struct ctl_service s;

	if (parse_service_cmd(argc, argv, false, &s, err)) {
		cfg_error(p, key, "%s", err);
		if (argc > 0)
			config_broken(p, argv[0], key);
		return;
	}
	old = find_service(p->cfg, &p->ix, s.name);
	if (old) {
		locate(p, old->line, where, sizeof(where));
		cfg_error(p, key, "duplicate service '%s' (first added at %s)",
			  s.name, where);
		return;
	}
	s.line = key;
	add_service(p->cfg, &p->ix, &s);
}

/* A "rule add" line. */
static void config_rules(struct cfg_parse *p, int argc, char **argv, int key)
{
	struct ctl_config *cfg = p->cfg;
	char err[CTL_ERR_MAX];
	struct ctl_rule *v;
	size_t n, i;

	if (parse_rule_cmd(argc, argv, true, &v, &n, err)) {
		cfg_error(p, key, "%s", err);
		return;
	}
	if (cfg->n_rules + n > p->rcap) {
		p->rcap = (cfg->n_rules + n) * 2;
		cfg->rules = xrealloc(cfg->rules, p->rcap * sizeof(*v));
	}
	for (i = 0; i < n; i++) {
		v[i].line = key;
		cfg->rules[cfg->n_rules++] = v[i];
	}
	free(v);
}

/* A "settings set" line: each setting once in a file, wherever it is. */
static void config_settings(struct cfg_parse *p, int argc, char **argv,
			    int key)
{
	struct ctl_settings s, *have = &p->cfg->settings;
	char err[CTL_ERR_MAX], where[64];
	unsigned int again, i;

	if (parse_settings_cmd(argc, argv, &s, err)) {
		cfg_error(p, key, "%s", err);
		return;
	}
	again = s.have & have->have;
	if (again) {
		for (i = 0; i < 5; i++) {
			if (!(again & (1U << i)))
				continue;
			locate(p, p->set_line[i], where, sizeof(where));
			cfg_error(p, key, "'%s' given again (already set at %s)",
				  setting_names[i], where);
		}
		return;
	}
	for (i = 0; i < 5; i++)
		if (s.have & (1U << i))
			p->set_line[i] = key;
	if (s.have & CTL_SET_HOOK)
		have->hooks = s.hooks;
	if (s.have & CTL_SET_PRIORITY)
		have->priority = s.priority;
	if (s.have & CTL_SET_DEFRAG)
		have->defrag = s.defrag;
	if (s.have & CTL_SET_ICMP_ERRORS)
		have->icmp_errors = s.icmp_errors;
	if (s.have & CTL_SET_SEED)
		have->seed = s.seed;
	have->have |= s.have;
}

/* What a whole file must hold: known services, rules that do not overlap. */
static void config_check(struct cfg_parse *p)
{
	const struct ctl_config *cfg = p->cfg;
	struct ctl_pair *pairs;
	char where[64];
	size_t i, np;

	for (i = 0; i < cfg->n_rules; i++) {
		const char *name = cfg->rules[i].service;

		if (!find_service(cfg, &p->ix, name) &&
		    !find_service(&p->broken, &p->broken_ix, name))
			cfg_error(p, cfg->rules[i].line,
				  "unknown service '%s'", name);
	}
	if (!cfg->n_rules)
		return;
	/* each rule overlaps at most one earlier rule in the report */
	pairs = xrealloc(NULL, cfg->n_rules * sizeof(*pairs));
	np = rules_overlaps(cfg->rules, cfg->n_rules, pairs, cfg->n_rules);
	for (i = 0; i < np; i++) {
		const struct ctl_rule *a = &cfg->rules[pairs[i].first];
		const struct ctl_rule *b = &cfg->rules[pairs[i].second];
		char da[64], db[64];

		format_rule(da, sizeof(da), a);
		format_rule(db, sizeof(db), b);
		locate(p, a->line, where, sizeof(where));
		cfg_error(p, b->line, "rule '%s' overlaps rule '%s' of %s", db,
			  da, where);
	}
	free(pairs);
}

/* The next line of f that has words, split; false at the end of f. */
bool read_words(FILE *f, struct line_words *w)
{
	while (getline(&w->line, &w->cap, f) >= 0) {
		w->lineno++;
		free(w->argv);
		split_line(w->line, &w->argv, &w->argc);
		if (w->argc)
			return true;
	}
	return false;
}

void line_words_free(struct line_words *w)
{
	free(w->argv);
	free(w->line);
	w->argv = NULL;
	w->line = NULL;
}

static void config_line(struct cfg_parse *p, int argc, char **argv,
			int lineno)
{
	if (argc >= 2 && !strcmp(argv[0], "service") &&
	    !strcmp(argv[1], "add"))
		config_service(p, argc - 2, argv + 2, lineno);
	else if (argc >= 2 && !strcmp(argv[0], "rule") &&
		 !strcmp(argv[1], "add"))
		config_rules(p, argc - 2, argv + 2, lineno);
	else if (argc >= 2 && !strcmp(argv[0], "settings") &&
		 !strcmp(argv[1], "set"))
		config_settings(p, argc - 2, argv + 2, lineno);
	else
		cfg_error(p, lineno,
			  "'%s%s%s' is not allowed in a configuration file (only 'service add', 'rule add', 'settings set')",
			  argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

/*
 * Reads a whole configuration file: "service add", "rule add" and
 * "settings set" lines, '#' comments, blank lines. Every error is printed
 * to errf as FILE:LINE: message, in line order; returns the number of
 * errors.
 */
int parse_config(FILE *f, const char *fname, struct ctl_config *cfg,
		 FILE *errf)
{
	struct line_words w = { 0 };
	struct cfg_parse p;
	int err;

	cfg_parse_init(&p, fname, cfg, false);
	while (read_words(f, &w))
		config_line(&p, w.argc, w.argv, w.lineno);
	err = errno;
	line_words_free(&w);
	if (ferror(f))
		cfg_error(&p, -1, "read error: %s", strerror(err));
	else
		config_check(&p);
	return cfg_finish(&p, errf);
}

/* The words of an object of a JSON document, as the text grammar's. */
#define JSON_WORDS	16

struct json_words {
	char buf[JSON_WORDS][96];
	char *argv[JSON_WORDS + 1];
	int argc;
};

static void words_add(struct json_words *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void words_add(struct json_words *w, const char *fmt, ...)
{
	va_list ap;

	if (w->argc >= JSON_WORDS)
		return;
	va_start(ap, fmt);
	vsnprintf(w->buf[w->argc], sizeof(w->buf[0]), fmt, ap);
	va_end(ap);
	w->argv[w->argc] = w->buf[w->argc];
	w->argv[++w->argc] = NULL;
}

/* A string as it is, an integer in decimal, into buf; false otherwise. */
static bool json_word(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else
		return false;
	return true;
}

static bool is_one_of(const char *k, const char *const *keys)
{
	for (; *keys; keys++)
		if (!strcmp(k, *keys))
			return true;
	return false;
}

/* What -j show and -j save print that apply does not set: skipped. */
static const char *const json_read_only_settings[] = {
	"services", "rules", "service_count", "rule_count", "max_services",
	"max_rules", "hook_active", "table_bytes", "generation", NULL,
};

static const char *const json_read_only_service[] = {
	"rule_count", "stats", "queue_state", "queues", NULL,
};

/* {"value": V, "mask": M}, or "V/M" or "none", as the word after mark. */
static bool json_mark(const json_t *v, char *buf, size_t len)
{
	const json_t *val = json_object_get(v, "value");
	const json_t *mask = json_object_get(v, "mask");

	if (json_is_string(v))
		return json_word(v, buf, len);
	if (!json_is_object(v) || json_object_size(v) != 2 ||
	    !json_is_integer(val) || !json_is_integer(mask))
		return false;
	if (!json_integer_value(mask))
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			 json_integer_value(val), json_integer_value(mask));
	return true;
}

static void json_settings(struct cfg_parse *p, json_t *o)
{
	struct json_words w = { .argc = 0 };
	char hooks[96] = "", word[96];
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(o)) {
		cfg_error(p, 0, "expected an object");
		return;
	}
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "hooks")) {
			size_t len = 0;

			if (!json_is_array(v))
				goto type;
			for (i = 0; i < json_array_size(v); i++) {
				if (!json_is_string(json_array_get(v, i)))
					goto type;
				len += snprintf(hooks + len, sizeof(hooks) - len,
						"%s%s", i ? "," : "",
						json_string_value(json_array_get(v, i)));
				if (len >= sizeof(hooks))
					goto type;
			}
		} else if (!strcmp(k, "hook")) {
			/* the one hook of a set of one: "hooks" says it too */
			if (!json_is_string(v))
				goto type;
			if (!json_object_get(o, "hooks"))
				snprintf(hooks, sizeof(hooks), "%s",
					 json_string_value(v));
		} else if (!strcmp(k, "priority") || !strcmp(k, "seed")) {
			if (!json_is_integer(v) || !json_word(v, word, sizeof(word)))
				goto type;
			words_add(&w, "%s", k);
			words_add(&w, "%s", word);
		} else if (!strcmp(k, "defrag") || !strcmp(k, "icmp_errors")) {
			if (!json_is_boolean(v))
				goto type;
			words_add(&w, "%s", k[0] == 'd' ? "defrag" : "icmp-errors");
			words_add(&w, "%s", json_is_true(v) ? "on" : "off");
		} else if (!is_one_of(k, json_read_only_settings)) {
			cfg_error(p, 0, "unknown key '%s' (hooks, priority, defrag, icmp_errors, seed)",
				  k);
			return;
		}
		continue;
type:
		cfg_error(p, 0, "invalid '%s' (%s)", k,
			  !strcmp(k, "hooks") ? "an array of hook names" :
			  !strcmp(k, "hook") ? "a hook name" :
			  k[0] == 'd' || k[0] == 'i' ? "true or false" :
			  "an integer");
		return;
	}
	/* no hook at all is not a set apply could send, as in save */
	if (hooks[0]) {
		words_add(&w, "hook");
		words_add(&w, "%s", hooks);
	}
	if (w.argc)
		config_settings(p, w.argc, w.argv, 0);
}

static void json_service(struct cfg_parse *p, json_t *o, int key)
{
	struct json_words w = { .argc = 0 };
	json_int_t queue = 0, count = 1;
	const json_t *name;
	char word[96];
	const char *k;
	json_t *v;

	name = json_object_get(o, "name");
	if (!json_is_object(o) || !json_is_string(name)) {
		cfg_error(p, key, "expected an object with a \"name\"");
		return;
	}
	words_add(&w, "%s", json_string_value(name));
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "name")) {
			continue;
		} else if (!strcmp(k, "queue") || !strcmp(k, "queue_count")) {
			if (!json_is_integer(v))
				goto type;
			if (!strcmp(k, "queue"))
				queue = json_integer_value(v);
			else
				count = json_integer_value(v);
		} else if (!strcmp(k, "balance")) {
			if (!json_is_string(v))
				goto type;
			words_add(&w, "balance");
			words_add(&w, "%s", json_string_value(v));
		} else if (!strcmp(k, "bypass")) {
			if (!json_is_boolean(v))
				goto type;
			if (json_is_true(v))
				words_add(&w, "bypass");
		} else if (!strcmp(k, "mark") || !strcmp(k, "ctmark")) {
			if (!json_mark(v, word, sizeof(word)))
				goto type;
			words_add(&w, "%s", k);
			words_add(&w, "%s", word);
		} else if (!strcmp(k, "rules")) {
			cfg_error(p, key, "\"rules\" of a service is not read: list them in the document's \"rules\", as 'portsteerctl -j save' does");
			goto broken;
		} else if (!is_one_of(k, json_read_only_service)) {
			cfg_error(p, key, "unknown key '%s' (name, queue, queue_count, balance, bypass, mark, ctmark)",
				  k);
			goto broken;
		}
		continue;
type:
		cfg_error(p, key, "invalid '%s' (%s)", k,
			  k[0] == 'q' ? "an integer" :
			  !strcmp(k, "bypass") ? "true or false" :
			  !strcmp(k, "balance") ? "\"flow\" or \"cpu\"" :
			  "{\"value\": V, \"mask\": M}");
		goto broken;
	}
	if (json_object_get(o, "queue")) {
		words_add(&w, "queue");
		if (count < 1) {
			cfg_error(p, key, "invalid queue_count %" JSON_INTEGER_FORMAT " (1 or more)",
				  count);
			goto broken;
		}
		if (count == 1)
			words_add(&w, "%" JSON_INTEGER_FORMAT, queue);
		else
			words_add(&w, "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
				  queue, queue + count - 1);
	}
	config_service(p, w.argc, w.argv, key);
	return;
broken:
	config_broken(p, json_string_value(name), key);
}

static void json_rule(struct cfg_parse *p, json_t *o, int key)
{
	static const char *const keys[] = {
		"family", "proto", "port_min", "port_max", "direction",
		"service", NULL,
	};
	const json_t *min, *max, *dir, *fam, *proto, *svc;
	char a[96], b[96], d[96];
	struct json_words w = { .argc = 0 };
	const char *k;
	json_t *v;

	if (!json_is_object(o)) {
		cfg_error(p, key, "expected an object");
		return;
	}
	json_object_foreach(o, k, v) {
		if (!is_one_of(k, keys)) {
			cfg_error(p, key, "unknown key '%s' (family, proto, port_min, port_max, direction, service)",
				  k);
			return;
		}
	}
	fam = json_object_get(o, "family");
	proto = json_object_get(o, "proto");
	min = json_object_get(o, "port_min");
	max = json_object_get(o, "port_max");
	dir = json_object_get(o, "direction");
	svc = json_object_get(o, "service");
	if (fam && !json_is_string(fam)) {
		cfg_error(p, key, "invalid 'family' (\"ip\", \"ip6\" or \"inet\")");
		return;
	}
	if (!json_is_string(proto) || !json_word(min, a, sizeof(a)) ||
	    (max && !json_word(max, b, sizeof(b))) || !json_is_string(svc)) {
		cfg_error(p, key, "expected \"proto\", \"port_min\" and \"service\" (and \"port_max\", \"family\", \"direction\")");
		return;
	}
	snprintf(d, sizeof(d), "dport");
	if (dir) {
		const char *s = json_string_value(dir);

		if (!s) {
			cfg_error(p, key, "invalid 'direction' (\"dst\", \"src\" or \"any\")");
			return;
		} else if (!strcmp(s, "dst") || !strcmp(s, "src") ||
			   !strcmp(s, "any")) {
			snprintf(d, sizeof(d), "%s",
				 s[0] == 'd' ? "dport" : s[0] == 's' ? "sport" : "port");
		} else if (direction_from_word(s) > 0) {
			snprintf(d, sizeof(d), "%s", s);
		} else {
			cfg_error(p, key, "invalid direction '%s' (dst, src or any)",
				  s);
			return;
		}
	}
	if (fam)
		words_add(&w, "%s", json_string_value(fam));
	words_add(&w, "%s", json_string_value(proto));
	words_add(&w, "%s", d);
	if (max && strcmp(a, b))
		words_add(&w, "%s-%s", a, b);
	else
		words_add(&w, "%s", a);
	words_add(&w, "service");
	words_add(&w, "%s", json_string_value(svc));
	config_rules(p, w.argc, w.argv, key);
}

/*
 * Reads a JSON document, the one that -j save prints: {"json_schema_version":
 * 1, "generation": G, "settings": {...}, "services": [...], "rules": [...]},
 * with the shapes of -j show. Errors are printed to errf as FILE: PLACE:
 * message (services[1], rules[0]); returns the number of errors.
 */
int parse_config_json(const char *buf, size_t len, const char *fname,
		      struct ctl_config *cfg, FILE *errf)
{
	json_t *root, *services, *v;
	struct cfg_parse p;
	json_error_t je;
	const char *k;
	size_t i;

	cfg_parse_init(&p, fname, cfg, true);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		cfg_error(&p, -1, "invalid JSON at line %d, column %d: %s",
			  je.line, je.column, je.text);
		return cfg_finish(&p, errf);
	}
	if (!json_is_object(root)) {
		cfg_error(&p, -1, "expected a JSON object (the document of 'portsteerctl -j save')");
		goto out;
	}
	services = json_object_get(root, "services");
	p.json_services = json_is_array(services) ? json_array_size(services) : 0;
	json_object_foreach(root, k, v) {
		if (!strcmp(k, "json_schema_version")) {
			if (!json_is_integer(v) || json_integer_value(v) != 1)
				cfg_error(&p, -1, "unsupported json_schema_version (this portsteerctl reads 1)");
		} else if (!strcmp(k, "generation")) {
			continue;
		} else if (!strcmp(k, "settings")) {
			json_settings(&p, v);
		} else if (!strcmp(k, "services") || !strcmp(k, "rules")) {
			bool rules = k[0] == 'r';

			if (!json_is_array(v)) {
				cfg_error(&p, -1, "invalid '%s' (an array)", k);
				continue;
			}
			for (i = 0; i < json_array_size(v); i++) {
				if (rules)
					json_rule(&p, json_array_get(v, i),
						  1 + p.json_services + i);
				else
					json_service(&p, json_array_get(v, i),
						     1 + i);
			}
		} else {
			cfg_error(&p, -1, "unknown key '%s' (json_schema_version, generation, settings, services, rules)",
				  k);
		}
	}
	config_check(&p);
out:
	json_decref(root);
	return cfg_finish(&p, errf);
}

/* Whether a file is a JSON document: its first non-blank character is '{'. */
bool config_is_json(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)buf[i]))
			return buf[i] == '{';
	return false;
}

/*
 * A whole file in memory (read_file()): a JSON document if json, else
 * the text grammar. Returns the number of errors, printed to errf.
 */
int parse_config_buf(const char *buf, size_t len, bool json,
		     const char *fname, struct ctl_config *cfg, FILE *errf)
{
	FILE *f;
	int n;

	if (json)
		return parse_config_json(buf, len, fname, cfg, errf);
	if (!len) {
		memset(cfg, 0, sizeof(*cfg));
		return 0;
	}
	f = fmemopen((void *)buf, len, "r");
	if (!f) {
		memset(cfg, 0, sizeof(*cfg));
		fprintf(errf, "%s: %s\n", fname, strerror(errno));
		return 1;
	}
	n = parse_config(f, fname, cfg, errf);
	fclose(f);
	return n;
}

/*
 * Reads the file at path ("-": stdin) whole into *buf, NUL-terminated
 * (free it). On failure err names the file and says why ("Is a
 * directory"), and the return is a negative errno.
 */
int read_file(const char *path, char **buf, size_t *len, char *err)
{
	bool in = !strcmp(path, "-");
	const char *name = in ? "<stdin>" : path;
	size_t cap = 4096, n = 0, got;
	struct stat st;
	char *b = NULL;
	FILE *f;
	int e = 0;

	f = in ? stdin : fopen(path, "re");
	if (!f) {
		e = errno;
		seterr(err, "cannot open '%s': %s", name, strerror(e));
		return -e;
	}
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto fail;
	}
	b = xrealloc(NULL, cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			b = xrealloc(b, cap);
		}
		errno = 0;
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got)
			continue;
		if (ferror(f)) {
			e = errno ? errno : EIO;
			goto fail;
		}
		break;
	}
	b[n] = '\0';
	if (!in)
		fclose(f);
	*buf = b;
	*len = n;
	return 0;
fail:
	seterr(err, "cannot read '%s': %s", name, strerror(e));
	free(b);
	if (!in)
		fclose(f);
	return -e;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Writes len bytes of text to path atomically: into a temporary file in the
 * same directory, synced, then renamed over path (through a symbolic link,
 * over the file it names), so a failure leaves path as it was. The mode is
 * path's if it exists, else 0666 less the umask. path NULL or "-": stdout,
 * all at once, now that all of it is known. For save (text or -j): a save
 * that fails writes nothing, never a part. On failure err says why and the
 * return is a negative errno.
 */
int write_file(const char *path, const char *text, size_t len, char *err)
{
	char *real = NULL, *tmp = NULL, *slash;
	int fd = -1, ret;
	struct stat st;
	mode_t mode;

	if (!path || !strcmp(path, "-")) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
			ret = -errno;
			seterr(err, "cannot write to stdout: %s", strerror(-ret));
			return ret;
		}
		return 0;
	}
	real = realpath(path, NULL);
	if (!real && errno != ENOENT) {
		ret = -errno;
		seterr(err, "cannot write '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (!real)
		real = strdup(path);
	slash = real ? strrchr(real, '/') : NULL;
	if (!real || asprintf(&tmp, "%.*s.%s.XXXXXX",
			      slash ? (int)(slash - real + 1) : 0, real,
			      slash ? slash + 1 : real) < 0) {
		seterr(err, "cannot write '%s': out of memory", path);
		free(real);
		return -ENOMEM;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		seterr(err, "cannot write '%s': cannot create '%s': %s", path,
		       tmp, strerror(-ret));
		goto out;
	}
	if (!stat(real, &st)) {
		mode = st.st_mode & 07777;
	} else {
		mode = umask(0);
		umask(mode);
		mode = 0666 & ~mode;
	}
	ret = fchmod(fd, mode) ? -errno : write_all(fd, text, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	fd = -1;
	if (ret) {
		seterr(err, "cannot write '%s': %s", tmp, strerror(-ret));
		goto out;
	}
	if (rename(tmp, real)) {
		ret = -errno;
		seterr(err, "cannot rename '%s' to '%s': %s", tmp, real,
		       strerror(-ret));
	}
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(tmp);
	free(tmp);
	free(real);
	return ret;
}
