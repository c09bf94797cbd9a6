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
	if (!valid_service_name(argv[0])) {
		seterr(err, "invalid service name '%s' " NAME_CHARS, argv[0]);
		return -EINVAL;
	}
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
		if (!valid_service_name(service)) {
			seterr(err, "invalid service name '%s' " NAME_CHARS,
			       service);
			goto bad;
		}
		i += 2;
	}
	if (i < argc) {
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

static int line_error(FILE *errf, int *errors, const char *fname, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int line_error(FILE *errf, int *errors, const char *fname, int line,
		      const char *fmt, ...)
{
	va_list ap;

	if (++*errors > MAX_LINE_ERRORS)
		return -1;
	fprintf(errf, "%s:%d: ", fname, line);
	va_start(ap, fmt);
	vfprintf(errf, fmt, ap);
	va_end(ap);
	fputc('\n', errf);
	return 0;
}

/* A "service add" line of a configuration file. */
static void config_service(struct ctl_config *cfg, struct svc_index *ix,
			   int argc, char **argv, int lineno,
			   const char *fname, FILE *errf, int *errors)
{
	const struct ctl_service *old;
	char err[CTL_ERR_MAX];
	struct ctl_service s;

	if (parse_service_cmd(argc, argv, false, &s, err)) {
		line_error(errf, errors, fname, lineno, "%s", err);
		return;
	}
	old = find_service(cfg, ix, s.name);
	if (old) {
		line_error(errf, errors, fname, lineno,
			   "duplicate service '%s' (first added at line %d)",
			   s.name, old->line);
		return;
	}
	s.line = lineno;
	cfg->services = xrealloc(cfg->services,
				 (cfg->n_services + 1) * sizeof(s));
	cfg->services[cfg->n_services++] = s;
	svc_index_add(ix, cfg);
}

/* A "rule add" line; @rcap: the room in cfg->rules. */
static void config_rules(struct ctl_config *cfg, size_t *rcap, int argc,
			 char **argv, int lineno, const char *fname,
			 FILE *errf, int *errors)
{
	char err[CTL_ERR_MAX];
	struct ctl_rule *v;
	size_t n, i;

	if (parse_rule_cmd(argc, argv, true, &v, &n, err)) {
		line_error(errf, errors, fname, lineno, "%s", err);
		return;
	}
	if (cfg->n_rules + n > *rcap) {
		*rcap = (cfg->n_rules + n) * 2;
		cfg->rules = xrealloc(cfg->rules, *rcap * sizeof(*v));
	}
	for (i = 0; i < n; i++) {
		v[i].line = lineno;
		cfg->rules[cfg->n_rules++] = v[i];
	}
	free(v);
}

/* A "settings set" line; @settings_line: the last one that set any. */
static void config_settings(struct ctl_config *cfg, int *settings_line,
			    int argc, char **argv, int lineno,
			    const char *fname, FILE *errf, int *errors)
{
	char err[CTL_ERR_MAX];
	struct ctl_settings s;

	if (parse_settings_cmd(argc, argv, &s, err)) {
		line_error(errf, errors, fname, lineno, "%s", err);
		return;
	}
	if (s.have & cfg->settings.have) {
		line_error(errf, errors, fname, lineno,
			   "a setting given again (already set at line %d)",
			   *settings_line);
		return;
	}
	*settings_line = lineno;
	s.have |= cfg->settings.have;
	if (cfg->settings.have & CTL_SET_HOOK)
		s.hooks = cfg->settings.hooks;
	if (cfg->settings.have & CTL_SET_PRIORITY)
		s.priority = cfg->settings.priority;
	if (cfg->settings.have & CTL_SET_DEFRAG)
		s.defrag = cfg->settings.defrag;
	if (cfg->settings.have & CTL_SET_ICMP_ERRORS)
		s.icmp_errors = cfg->settings.icmp_errors;
	if (cfg->settings.have & CTL_SET_SEED)
		s.seed = cfg->settings.seed;
	cfg->settings = s;
}

/* What a whole file must hold: known services, rules that do not overlap. */
static void config_check(const struct ctl_config *cfg,
			 const struct svc_index *ix, const char *fname,
			 FILE *errf, int *errors)
{
	struct ctl_pair *pairs;
	size_t i, np;

	for (i = 0; i < cfg->n_rules; i++)
		if (!find_service(cfg, ix, cfg->rules[i].service))
			line_error(errf, errors, fname, cfg->rules[i].line,
				   "unknown service '%s'",
				   cfg->rules[i].service);

	pairs = xrealloc(NULL, MAX_LINE_ERRORS * sizeof(*pairs));
	np = rules_overlaps(cfg->rules, cfg->n_rules, pairs, MAX_LINE_ERRORS);
	for (i = 0; i < np; i++) {
		const struct ctl_rule *a = &cfg->rules[pairs[i].first];
		const struct ctl_rule *b = &cfg->rules[pairs[i].second];
		char da[64], db[64];

		format_rule(da, sizeof(da), a);
		format_rule(db, sizeof(db), b);
		line_error(errf, errors, fname, b->line,
			   "rule '%s' overlaps rule '%s' of line %d",
			   db, da, a->line);
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

/*
 * Reads a whole configuration file: "service add", "rule add" and
 * "settings set" lines, '#' comments, blank lines. Every error is printed
 * to errf as FILE:LINE: message; returns the number of errors.
 */
int parse_config(FILE *f, const char *fname, struct ctl_config *cfg,
		 FILE *errf)
{
	int settings_line = 0, argc, errors = 0, lineno;
	struct line_words w = { 0 };
	struct svc_index ix = { 0 };
	size_t rcap = 0;
	char **argv;

	memset(cfg, 0, sizeof(*cfg));
	while (read_words(f, &w)) {
		argc = w.argc;
		argv = w.argv;
		lineno = w.lineno;
		if (argc >= 2 && !strcmp(argv[0], "service") &&
		    !strcmp(argv[1], "add"))
			config_service(cfg, &ix, argc - 2, argv + 2, lineno,
				       fname, errf, &errors);
		else if (argc >= 2 && !strcmp(argv[0], "rule") &&
			 !strcmp(argv[1], "add"))
			config_rules(cfg, &rcap, argc - 2, argv + 2, lineno,
				     fname, errf, &errors);
		else if (argc >= 2 && !strcmp(argv[0], "settings") &&
			 !strcmp(argv[1], "set"))
			config_settings(cfg, &settings_line, argc - 2, argv + 2,
					lineno, fname, errf, &errors);
		else
			line_error(errf, &errors, fname, lineno,
				   "'%s%s%s' is not allowed in a configuration file (only 'service add', 'rule add', 'settings set')",
				   argv[0], argc > 1 ? " " : "",
				   argc > 1 ? argv[1] : "");
	}
	line_words_free(&w);
	if (ferror(f)) {
		line_error(errf, &errors, fname, w.lineno, "read error");
		free(ix.slots);
		return errors;
	}
	config_check(cfg, &ix, fname, errf, &errors);
	free(ix.slots);
	if (errors > MAX_LINE_ERRORS)
		fprintf(errf, "%s: %d more errors not shown\n", fname,
			errors - MAX_LINE_ERRORS);
	return errors;
}
