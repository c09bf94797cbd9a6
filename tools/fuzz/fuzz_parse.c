// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of portsteerctl's parsers: the input is a configuration
 * file for parse_config() (what `portsteerctl apply` reads; when it starts
 * with '{', the JSON document of -j save, parse_config_json()), and its first
 * line is also a port list for parse_ports() and a queue range for
 * parse_queue_range(). Built with ASan and UBSan (tools/Makefile, make
 * fuzz). Besides not crashing, what the parsers accept must hold: valid
 * names, protocols, families, ports 1..65535 with min <= max, queue ranges
 * within 0..65535, rules that only name services of the file and do not
 * overlap, a direction, marks with no bit outside their mask, a set of
 * known hooks; and what save prints of it must parse back to the same
 * bytes (save, then apply).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "../portsteerctl.h"

struct ctl_opts opts;		/* print_save() reads no option */
static FILE *devnull;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_parse: accepted input breaks: %s\n", what);
		abort();
	}
}

static int proto_ok(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE ||
	       p == IPPROTO_SCTP || p == IPPROTO_DCCP;
}

static void check_rule(const struct ctl_rule *r)
{
	check(proto_ok(r->proto), "rule protocol");
	check(r->family >= PORTSTEER_FAMILY_IPV4 && r->family <= PORTSTEER_FAMILY_INET,
	      "rule family");
	check(r->port_min >= 1 && r->port_min <= r->port_max, "rule port range");
	check(r->dir >= PORTSTEER_DIRECTION_DST && r->dir <= PORTSTEER_DIRECTION_ANY,
	      "rule direction");
}

/* save's text of an accepted configuration is an apply file saving the same. */
static void check_save(const struct ctl_config *cfg)
{
	char *text = NULL, *again = NULL;
	size_t len = 0, alen = 0;
	struct ctl_config cfg2;
	FILE *m, *f;
	int errors;

	m = open_memstream(&text, &len);
	check(!!m, "memory");
	print_save(m, cfg);
	fclose(m);
	f = fmemopen(text, len ? len : 1, "r");
	check(!!f, "memory");
	errors = parse_config(f, "saved", &cfg2, devnull);
	fclose(f);
	check(errors == 0, "save parses back");
	m = open_memstream(&again, &alen);
	check(!!m, "memory");
	print_save(m, &cfg2);
	fclose(m);
	check(alen == len && !memcmp(again, text, len), "save of the save is the same");
	config_free(&cfg2);
	free(again);
	free(text);
}

static void check_config(const struct ctl_config *cfg)
{
	char err[CTL_ERR_MAX];
	struct ctl_pair pair[1];
	size_t i, j;

	for (i = 0; i < cfg->n_services; i++) {
		const struct ctl_service *s = &cfg->services[i];

		check(valid_service_name(s->name) && !check_service_name(s->name, err),
		      "service name");
		check(s->queue_count >= 1 && (uint32_t)s->queue + s->queue_count - 1 <= 65535,
		      "service queue range");
		check(!(s->mark & ~s->mark_mask) && !(s->ct_mark & ~s->ct_mark_mask),
		      "mark bits outside the mask");
		check(!(s->have & CTL_SVC_MARK) || s->mark_mask, "a mark with mask 0");
		check(!(s->have & CTL_SVC_CT_MARK) || s->ct_mark_mask, "a ctmark with mask 0");
		for (j = 0; j < i; j++)
			check(strcmp(s->name, cfg->services[j].name) != 0, "duplicate service");
	}
	for (i = 0; i < cfg->n_rules; i++) {
		const struct ctl_rule *r = &cfg->rules[i];

		check_rule(r);
		for (j = 0; j < cfg->n_services; j++)
			if (!strcmp(r->service, cfg->services[j].name))
				break;
		check(j < cfg->n_services, "rule names a service of the file");
	}
	check(rules_overlaps(cfg->rules, cfg->n_rules, pair, 1) == 0, "overlapping rules");
	check(!(cfg->settings.have & CTL_SET_HOOK) ||
	      (cfg->settings.hooks && !(cfg->settings.hooks & ~0xfU)), "hook set");
	check_save(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
					  IPPROTO_SCTP, IPPROTO_DCCP };
	struct ctl_config cfg;
	struct ctl_rule *rules;
	char err[CTL_ERR_MAX], *first;
	uint16_t queue;
	uint32_t count;
	size_t n, i, len;
	FILE *f;

	if (!devnull)
		devnull = fopen("/dev/null", "w");

	/* The whole input as a configuration file, text or JSON. */
	if (config_is_json((const char *)data, size)) {
		if (parse_config_json((const char *)data, size, "fuzz", &cfg,
				      devnull) == 0)
			check_config(&cfg);
		config_free(&cfg);
	} else if (size) {
		f = fmemopen((void *)data, size, "r");
		if (f) {
			if (parse_config(f, "fuzz", &cfg, devnull) == 0)
				check_config(&cfg);
			config_free(&cfg);
			fclose(f);
		}
	}

	/* Its first line as a port list of each protocol, and a queue range. */
	for (len = 0; len < size && data[len] != '\n' && data[len]; len++)
		;
	first = malloc(len + 1);
	if (!first)
		return 0;
	memcpy(first, data, len);
	first[len] = '\0';
	for (i = 0; i < sizeof(protos); i++) {
		rules = NULL;
		n = 0;
		if (parse_ports(protos[i], first, "fuzz", &rules, &n, err) == 0) {
			check(n >= 1, "a port list with no port");
			while (n--) {
				rules[n].family = PORTSTEER_FAMILY_INET;
				check(rules[n].dir == PORTSTEER_DIRECTION_DST,
				      "port list direction");
				rules[n].proto = protos[i];
				check_rule(&rules[n]);
			}
		}
		free(rules);
	}
	if (parse_queue_range(first, &queue, &count, err) == 0)
		check(count >= 1 && (uint32_t)queue + count - 1 <= 65535, "queue range");
	free(first);
	return 0;
}
