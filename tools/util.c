// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: the words and numbers every part of the tool uses: decimal
 * and hexadecimal numbers, service names, the names of protocols, families,
 * balance modes, hooks and rule directions, a string hash, an allocation
 * that does not fail, and the prefix of error messages.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "portsteerctl.h"

/* "portsteerctl: ", or "FILE:LINE: " while a batch line runs */
static const char *err_file;
static int err_line;

void ctl_set_err_prefix(const char *fname, int line)
{
	err_file = fname;
	err_line = line;
}

/* Made when a message is printed, not for every line of a batch. */
const char *ctl_err_prefix(void)
{
	static char buf[CTL_ERR_MAX];

	if (!err_file)
		return PROG_NAME ": ";
	snprintf(buf, sizeof(buf), "%s:%d: ", err_file, err_line);
	return buf;
}

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs(ctl_err_prefix(), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		ctl_err("out of memory\n");
		exit(EXIT_ERROR);
	}
	return p;
}

/* Decimal digits only: no sign, no spaces, no hex. */
int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_s32(const char *s, int32_t *out)
{
	uint32_t v;
	bool neg = *s == '-';

	if (parse_u32(s + neg, neg ? 2147483648U : 2147483647U, &v))
		return -EINVAL;
	*out = neg ? (int32_t)(0 - (int64_t)v) : (int32_t)v;
	return 0;
}

/* Decimal as parse_u32(), or 0x then 1 to 8 hex digits (marks, as nft). */
int parse_u32_hex(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	size_t n;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_u32(s, UINT32_MAX, out);
	s += 2;
	n = strlen(s);
	if (!n || strspn(s, "0123456789abcdefABCDEF") != n)
		return -EINVAL;
	for (; *s == '0' && n > 1; s++)
		n--;
	if (n > 8)
		return -ERANGE;
	for (; *s; s++)
		v = v << 4 | (isdigit((unsigned char)*s) ? *s - '0' :
			      (tolower((unsigned char)*s) - 'a' + 10));
	*out = v;
	return 0;
}

/* FNV-1a over a string, from @h (HASH_STR_INIT for a new hash). */
uint32_t hash_str(const char *s, uint32_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x01000193;
	return h;
}

bool valid_service_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > PORTSTEER_SERVICE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "udplite", IPPROTO_UDPLITE },
	{ "sctp", IPPROTO_SCTP },
	{ "dccp", IPPROTO_DCCP },
};

int proto_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name))
			return protos[i].proto;
	return -1;
}

const char *proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

int family_from_name(const char *s)
{
	if (!strcmp(s, "ip"))
		return PORTSTEER_FAMILY_IPV4;
	if (!strcmp(s, "ip6"))
		return PORTSTEER_FAMILY_IPV6;
	if (!strcmp(s, "inet"))
		return PORTSTEER_FAMILY_INET;
	return -1;
}

const char *family_name(uint8_t family)
{
	switch (family) {
	case PORTSTEER_FAMILY_IPV4:
		return "ip";
	case PORTSTEER_FAMILY_IPV6:
		return "ip6";
	case PORTSTEER_FAMILY_INET:
		return "inet";
	}
	return "unknown";
}

const char *balance_name(uint8_t balance)
{
	switch (balance) {
	case PORTSTEER_BALANCE_FLOW:
		return "flow";
	case PORTSTEER_BALANCE_CPU:
		return "cpu";
	}
	return "unknown";
}

/* Indexed by enum portsteer_hook: bit N of enum portsteer_hooks. */
static const char *const hooks[] = {
	[PORTSTEER_HOOK_PREROUTING] = "prerouting",
	[PORTSTEER_HOOK_INPUT] = "input",
	[PORTSTEER_HOOK_FORWARD] = "forward",
	[PORTSTEER_HOOK_OUTPUT] = "output",
};

#define N_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

const char *hook_name(uint8_t hook)
{
	return hook < N_HOOKS ? hooks[hook] : "unknown";
}

int hook_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < N_HOOKS; i++)
		if (!strcmp(s, hooks[i]))
			return i;
	return -1;
}

/* A set of hooks as names in hook order: "input,output". */
void format_hooks(char *buf, size_t len, uint32_t set)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < 32 && n < len; i++)
		if (set & (1U << i))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      hook_name(i));
	if (!set)
		snprintf(buf, len, "none");
}

/* Indexed by enum portsteer_direction: the grammar's word, JSON's name. */
static const struct {
	const char *word, *name;
} dirs[] = {
	[PORTSTEER_DIRECTION_DST] = { "dport", "dst" },
	[PORTSTEER_DIRECTION_SRC] = { "sport", "src" },
	[PORTSTEER_DIRECTION_ANY] = { "port", "any" },
};

#define N_DIRS (sizeof(dirs) / sizeof(dirs[0]))

int direction_from_word(const char *s)
{
	size_t i;

	for (i = PORTSTEER_DIRECTION_DST; i < N_DIRS; i++)
		if (!strcmp(s, dirs[i].word))
			return i;
	return -1;
}

/* 0, no direction sent, is the kernel's default: dst. */
const char *direction_word(uint8_t dir)
{
	if (!dir)
		dir = PORTSTEER_DIRECTION_DST;
	return dir < N_DIRS ? dirs[dir].word : "unknown";
}

const char *direction_name(uint8_t dir)
{
	if (!dir)
		dir = PORTSTEER_DIRECTION_DST;
	return dir < N_DIRS ? dirs[dir].name : "unknown";
}
