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
 *
 * The file is read once, on the first lookup, into two hash tables: by
 * (name, protocol) and by (port, protocol), each keeping the first entry
 * of the file for its key, as a scan of the file in order would find.
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
static size_t n_entries, cap_entries;
static bool loaded;

/* Open addressing, linear probing: entry index + 1, 0 for a free slot. */
static uint32_t *by_name, *by_port;
static size_t table_mask;

static void add_entry(const char *name, uint16_t port, const char *proto)
{
	struct svc_entry *e;

	if (n_entries == cap_entries) {
		cap_entries = cap_entries ? cap_entries * 2 : 256;
		entries = xrealloc(entries, cap_entries * sizeof(*entries));
	}
	e = &entries[n_entries++];
	e->name = strdup(name);
	if (!e->name)
		abort();
	e->port = port;
	snprintf(e->proto, sizeof(e->proto), "%s", proto);
}

static uint32_t name_hash(const char *name, const char *proto)
{
	return hash_str(proto, hash_str(name, HASH_STR_INIT) ^ '/');
}

static uint32_t port_hash(uint16_t port, const char *proto)
{
	return hash_str(proto, (HASH_STR_INIT ^ port) * 0x01000193);
}

static void index_entries(void)
{
	size_t size = 16, i, j;

	while (size < 2 * n_entries)
		size *= 2;
	table_mask = size - 1;
	by_name = calloc(size, sizeof(*by_name));
	by_port = calloc(size, sizeof(*by_port));
	if (!by_name || !by_port)
		abort();
	for (i = 0; i < n_entries; i++) {
		const struct svc_entry *e = &entries[i];

		for (j = name_hash(e->name, e->proto) & table_mask; by_name[j];
		     j = (j + 1) & table_mask) {
			const struct svc_entry *o = &entries[by_name[j] - 1];

			if (!strcmp(o->name, e->name) &&
			    !strcmp(o->proto, e->proto))
				break;
		}
		if (!by_name[j])
			by_name[j] = i + 1;
		for (j = port_hash(e->port, e->proto) & table_mask; by_port[j];
		     j = (j + 1) & table_mask) {
			const struct svc_entry *o = &entries[by_port[j] - 1];

			if (o->port == e->port && !strcmp(o->proto, e->proto))
				break;
		}
		if (!by_port[j])
			by_port[j] = i + 1;
	}
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
	if (f) {
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
	index_entries();
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
	size_t j;

	for (j = name_hash(name, proto) & table_mask; by_name[j];
	     j = (j + 1) & table_mask) {
		const struct svc_entry *e = &entries[by_name[j] - 1];

		if (!strcmp(e->name, name) && !strcmp(e->proto, proto))
			return e->port;
	}
	return -1;
}

/* The first entry for the port is its official name. */
static const char *lookup_name(uint16_t port, const char *proto)
{
	size_t j;

	for (j = port_hash(port, proto) & table_mask; by_port[j];
	     j = (j + 1) & table_mask) {
		const struct svc_entry *e = &entries[by_port[j] - 1];

		if (e->port == port && !strcmp(e->proto, proto))
			return e->name;
	}
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
