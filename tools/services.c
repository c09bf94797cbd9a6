// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: port names from the services file, /etc/services or the
 * file named by $PORTSTEER_SERVICES. The file is read here, in the format
 * of services(5), rather than through getservbyname(3): the result does
 * not depend on the NSS configuration, and tests can use a fixed file.
 *
 * A name is looked up for its protocol first; UDP-Lite then falls back to
 * udp, SCTP and DCCP to tcp (few services files list them). The reverse
 * lookup prints a name only when that name resolves back to the port.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "portsteerctl.h"

struct svc_entry {
	char *name;
	uint16_t port;
	char proto[12];
};

static struct svc_entry *entries;
static size_t n_entries;
static bool loaded;

static void add_entry(const char *name, uint16_t port, const char *proto)
{
	struct svc_entry *e;

	entries = xrealloc(entries, (n_entries + 1) * sizeof(*entries));
	e = &entries[n_entries++];
	e->name = strdup(name);
	if (!e->name)
		abort();
	e->port = port;
	snprintf(e->proto, sizeof(e->proto), "%s", proto);
}

static void load(void)
{
	const char *path = getenv("PORTSTEER_SERVICES");
	char line[1024], *save, *name, *pp, *tok, *slash;
	uint32_t port;
	FILE *f;

	if (loaded)
		return;
	loaded = true;
	f = fopen(path && *path ? path : "/etc/services", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		name = strtok_r(line, " \t", &save);
		pp = strtok_r(NULL, " \t", &save);
		if (!name || !pp)
			continue;
		slash = strchr(pp, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (parse_u32(pp, 65535, &port) || !port)
			continue;
		add_entry(name, port, slash + 1);
		while ((tok = strtok_r(NULL, " \t", &save)))
			add_entry(tok, port, slash + 1);
	}
	fclose(f);
}

static const char *fallback(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDPLITE:
		return "udp";
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return "tcp";
	}
	return NULL;
}

static int lookup_port(const char *name, const char *proto)
{
	size_t i;

	for (i = 0; i < n_entries; i++)
		if (!strcmp(entries[i].name, name) &&
		    !strcmp(entries[i].proto, proto))
			return entries[i].port;
	return -1;
}

static const char *lookup_name(uint16_t port, const char *proto)
{
	size_t i;

	/* The first entry for the port is its official name. */
	for (i = 0; i < n_entries; i++)
		if (entries[i].port == port && !strcmp(entries[i].proto, proto))
			return entries[i].name;
	return NULL;
}

/* Returns the port (1..65535) of name for proto, or -1. */
int services_port(const char *name, uint8_t proto)
{
	const char *p = proto_name(proto), *fb;
	int port;

	if (!p)
		return -1;
	load();
	port = lookup_port(name, p);
	fb = fallback(proto);
	if (port < 0 && fb)
		port = lookup_port(name, fb);
	return port;
}

const char *services_name(uint16_t port, uint8_t proto)
{
	const char *p = proto_name(proto), *fb, *name;

	if (!p)
		return NULL;
	load();
	name = lookup_name(port, p);
	fb = fallback(proto);
	if (!name && fb)
		name = lookup_name(port, fb);
	if (name && services_port(name, proto) != port)
		return NULL;
	return name;
}
