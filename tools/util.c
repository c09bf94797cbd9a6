// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: the words and numbers every part of the tool uses: decimal
 * numbers, service names, the names of protocols, families, balance modes
 * and hooks, and an allocation that does not fail.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "portsteerctl.h"

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		fprintf(stderr, PROG_NAME ": out of memory\n");
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

const char *hook_name(uint8_t hook)
{
	switch (hook) {
	case PORTSTEER_HOOK_PREROUTING:
		return "prerouting";
	case PORTSTEER_HOOK_INPUT:
		return "input";
	}
	return "unknown";
}
