// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "../userspace/dump.h"
#include "../userspace/hash.h"
#include "frame.h"
#include "replay_int.h"
#include "verify.h"

#define DIFF_LINE 160

/* How a field is judged. */
enum judge {
	VERIFIED, /* the replay computes it */
	INPUT,	  /* the replay takes it from the recording */
};

/* Where a field exists, and when it is an input after all. */
enum field_flags {
	F_TCP_OPTS = 1, /* needs the whole TCP header in the snap */
	F_V4 = 2,	/* IPv4 only */
	F_V6 = 4,	/* IPv6 only */
	F_SEEDED = 8,	/* an input on the frame whose IP ID seeded the counter */
};

struct field {
	const char *name;
	enum judge judge;
	__u64 (*get)(const struct frame_hdr *h);
	unsigned int flags;
};

#define GETTER(fname, expr)                                                                        \
	static __u64 get_##fname(const struct frame_hdr *h)                                        \
	{                                                                                          \
		return (expr);                                                                     \
	}

static __u64 mac48(const __u8 *m)
{
	__u64 v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

static __u64 addr_hash(const __u8 *a)
{
	return fnv1a(a, 16);
}

static __u64 opts_layout(const struct frame_hdr *h)
{
	__u64 v = h->opts_len;

	/* the option kinds in order; values are judged field by field */
	for (unsigned int i = 0; i < h->opts_len;) {
		__u8 k = h->opts[i];

		v = v * 31 + k;
		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= h->opts_len || h->opts[i + 1] < 2)
			break;
		i += h->opts[i + 1];
	}
	return v;
}

static __u64 sack_hash(const struct frame_hdr *h)
{
	__u64 v = h->nr_sack;

	for (unsigned int i = 0; i < h->nr_sack; i++)
		v = v * 1000003 + ((__u64)h->sack[i][0] << 32 | h->sack[i][1]);
	return v;
}

GETTER(eth_dst, mac48(h->dst))
GETTER(eth_src, mac48(h->src))
GETTER(eth_type, h->ethertype)
GETTER(ip_version, h->ip_version)
GETTER(ip_ihl, h->ihl)
GETTER(ip_tos, h->tos)
GETTER(ip_len, h->ip_len)
GETTER(ip_id, h->ip_id)
GETTER(ip_df, h->frag_off & 0x4000)
GETTER(ip_frag, h->frag_off & ~0x4000)
GETTER(ip_ttl, h->ttl)
GETTER(ip_proto, h->protocol)
GETTER(ip_csum, h->ip_csum)
GETTER(ip_flowlabel, h->flowlabel)
GETTER(ip_saddr, addr_hash(h->saddr))
GETTER(ip_daddr, addr_hash(h->daddr))
GETTER(tcp_sport, h->sport)
GETTER(tcp_dport, h->dport)
GETTER(tcp_seq, h->seq)
GETTER(tcp_ack, h->ack)
GETTER(tcp_doff, h->doff)
GETTER(tcp_flags, h->flags)
GETTER(tcp_window, h->window)
GETTER(tcp_csum, h->tcp_csum)
GETTER(tcp_urg, h->urg)
GETTER(tcp_options, opts_layout(h))
GETTER(tcp_tsval, h->tsval)
GETTER(tcp_tsecr, h->tsecr)
GETTER(tcp_sack, sack_hash(h))

static const struct field fields[] = {
	{"eth.dst", INPUT, get_eth_dst, 0},
	{"eth.src", INPUT, get_eth_src, 0},
	{"eth.type", VERIFIED, get_eth_type, 0},
	{"ip.version", VERIFIED, get_ip_version, 0},
	{"ip.ihl", VERIFIED, get_ip_ihl, F_V4},
	{"ip.tos", INPUT, get_ip_tos, 0},
	{"ip.len", VERIFIED, get_ip_len, 0},
	{"ip.id", VERIFIED, get_ip_id, F_V4 | F_SEEDED},
	{"ip.df", INPUT, get_ip_df, F_V4},
	{"ip.frag", VERIFIED, get_ip_frag, F_V4},
	{"ip.ttl", INPUT, get_ip_ttl, 0},
	{"ip.proto", VERIFIED, get_ip_proto, 0},
	{"ip.checksum", VERIFIED, get_ip_csum, F_V4},
	{"ip6.flowlabel", INPUT, get_ip_flowlabel, F_V6},
	{"ip.src", VERIFIED, get_ip_saddr, 0},
	{"ip.dst", VERIFIED, get_ip_daddr, 0},
	{"tcp.sport", VERIFIED, get_tcp_sport, 0},
	{"tcp.dport", VERIFIED, get_tcp_dport, 0},
	{"tcp.seq", VERIFIED, get_tcp_seq, 0},
	{"tcp.ack", INPUT, get_tcp_ack, 0},
	{"tcp.doff", VERIFIED, get_tcp_doff, 0},
	{"tcp.flags", VERIFIED, get_tcp_flags, 0},
	{"tcp.window", INPUT, get_tcp_window, 0},
	{"tcp.checksum", VERIFIED, get_tcp_csum, 0},
	{"tcp.urg", VERIFIED, get_tcp_urg, 0},
	{"tcp.options", VERIFIED, get_tcp_options, F_TCP_OPTS},
	{"tcp.tsval", INPUT, get_tcp_tsval, F_TCP_OPTS},
	{"tcp.tsecr", INPUT, get_tcp_tsecr, F_TCP_OPTS},
	{"tcp.sack", INPUT, get_tcp_sack, F_TCP_OPTS},
};

#define NR_FIELDS (sizeof(fields) / sizeof(fields[0]))

struct verifier {
	const struct verify_opts *o;
	FILE *out;
	struct verify_result *res;
	__u8 *buf;
	unsigned int shown;
	char diffs[16][DIFF_LINE * 4];
	bool input_seen[NR_FIELDS];
};

static bool field_applies(const struct field *f, const struct frame_hdr *k,
			  const struct frame_hdr *r)
{
	if (f->flags & (k->ip_version == 6 ? F_V4 : F_V6))
		return false;
	return !(f->flags & F_TCP_OPTS) || (k->has_tcp && r->has_tcp);
}

static void note_diff(struct verifier *v, const struct rframe *rf, const struct rs_frame *k,
		      const char *what)
{
	char flow[128], *line;

	if (v->shown >= v->o->max_diffs || v->shown >= 16)
		return;
	line = v->diffs[v->shown++];
	tsend_fmt_flow(flow, sizeof(flow), &rf->rs->flow);
	snprintf(line, sizeof(v->diffs[0]), "record %llu, %s: %s",
		 (unsigned long long)(k ? k->rec : 0), flow, what);
}

/* One pair: the replay's frame f and the kernel's k. */
static void compare(struct verifier *v, const struct rframe *f, const struct rs_frame *k)
{
	struct verify_result *res = v->res;
	struct frame_hdr kh, rh;
	__u32 len = rframe_build(f, VIEW_DEVICE, v->buf, 256 * 1024), n, pay;
	char what[DIFF_LINE * 3] = "";
	size_t wl = 0;
	bool same = true, kok, rok;

	kok = frame_parse(k->snap, k->snap_len, &kh);
	rok = frame_parse(v->buf, len, &rh);
	if (len != k->wire_len) {
		same = false;
		wl += (size_t)snprintf(what + wl, sizeof(what) - wl,
				       "frame.len: kernel %u replay %u; ", k->wire_len, len);
	}
	for (size_t i = 0; i < NR_FIELDS && kok && rok; i++) {
		const struct field *fd = &fields[i];
		__u64 a, b;

		if (!field_applies(fd, &kh, &rh))
			continue;
		if (fd->judge == INPUT || ((fd->flags & F_SEEDED) && f->id_seeded)) {
			res->fields_input++;
			v->input_seen[i] = true;
			continue;
		}
		a = fd->get(&kh);
		b = fd->get(&rh);
		if (a == b) {
			res->fields_matched++;
			continue;
		}
		res->fields_differ++;
		same = false;
		if (wl < sizeof(what) - 64)
			wl += (size_t)snprintf(what + wl, sizeof(what) - wl,
					       "%s: kernel %llu replay %llu; ", fd->name,
					       (unsigned long long)a, (unsigned long long)b);
	}
	if (!kok || !rok) {
		same = false;
		snprintf(what, sizeof(what), "%s frame is not Ethernet/IP/TCP",
			 kok ? "the replay's" : "the kernel's");
	}
	/* every captured byte; payload the recording did not keep is not
	 * judged, nor is what lies past the snap length */
	n = k->snap_len < len ? k->snap_len : len;
	pay = kok ? kh.payload : n;
	if (pay > n)
		pay = n;
	if (n > pay && !replay_sock__known(f->rs, f->payload_off, n - pay)) {
		res->bytes_unverified_payload += n - pay;
		n = pay;
	}
	res->bytes_unverified_snap += len > k->snap_len ? len - k->snap_len : 0;
	res->bytes_compared += n;
	for (__u32 i = 0; i < n; i++) {
		if (v->buf[i] == k->snap[i])
			continue;
		res->bytes_differ++;
		if (same && wl < sizeof(what) - 64)
			wl += (size_t)snprintf(what + wl, sizeof(what) - wl,
					       "byte %u: kernel 0x%02x replay 0x%02x; ", i,
					       k->snap[i], v->buf[i]);
		same = false;
	}
	if (same) {
		res->identical++;
		return;
	}
	res->differ++;
	note_diff(v, f, k, what);
}

static void report_text(const struct verifier *v, const char *trace)
{
	const struct verify_result *res = v->res;
	FILE *out = v->out;
	bool any = false;

	fprintf(out, "verify %s: %llu flows, %llu with send() calls replayed\n", trace,
		(unsigned long long)res->flows, (unsigned long long)res->modeled_flows);
	fprintf(out, "  send-path frames: kernel %llu, replay %llu\n",
		(unsigned long long)res->kernel_frames, (unsigned long long)res->replay_frames);
	fprintf(out, "  identical: %llu of %llu (%.1f%%)", (unsigned long long)res->identical,
		(unsigned long long)res->kernel_frames,
		res->kernel_frames ? 100.0 * (double)res->identical / (double)res->kernel_frames
				   : 100.0);
	fprintf(out, ", differ %llu, missing %llu, extra %llu\n", (unsigned long long)res->differ,
		(unsigned long long)res->missing, (unsigned long long)res->extra);
	fprintf(out, "  fields: %llu matched, %llu differ\n",
		(unsigned long long)res->fields_matched, (unsigned long long)res->fields_differ);
	fprintf(out, "  bytes: %llu compared, %llu differ\n",
		(unsigned long long)res->bytes_compared, (unsigned long long)res->bytes_differ);
	fprintf(out, "  inputs (taken from the recording, not counted):");
	for (size_t i = 0; i < NR_FIELDS; i++) {
		if (v->input_seen[i]) {
			fprintf(out, " %s", fields[i].name);
			any = true;
		}
	}
	fprintf(out, "%s\n", any ? "" : " none");
	fprintf(out,
		"  unverified: %llu bytes past the snap length, %llu payload bytes not "
		"recorded\n",
		(unsigned long long)res->bytes_unverified_snap,
		(unsigned long long)res->bytes_unverified_payload);
	fprintf(out,
		"  passed through as recorded (handshake, pure ACKs: not the send path): "
		"%llu frames\n",
		(unsigned long long)res->passthrough);
	if (v->shown)
		fprintf(out, "first mismatches:\n");
	for (unsigned int i = 0; i < v->shown; i++)
		fprintf(out, "  %s\n", v->diffs[i]);
}

#define J(name) "\"" #name "\":%llu"

static void report_json(const struct verifier *v, const char *trace)
{
	const struct verify_result *res = v->res;
	FILE *out = v->out;
	bool first = true;

	fprintf(out, "{\"trace\":");
	tsend_json_str(out, trace, strlen(trace));
	fprintf(out,
		"," J(flows) "," J(modeled_flows) "," J(kernel_frames) "," J(replay_frames) "," J(identical) "," J(differ) "," J(missing) "," J(extra) "," J(
			passthrough) "," J(fields_matched) "," J(fields_differ) "," J(fields_input) "," J(bytes_compared) "," J(bytes_differ) "," J(bytes_unverified_snap) "," J(bytes_unverified_payload),
		(unsigned long long)res->flows, (unsigned long long)res->modeled_flows,
		(unsigned long long)res->kernel_frames, (unsigned long long)res->replay_frames,
		(unsigned long long)res->identical, (unsigned long long)res->differ,
		(unsigned long long)res->missing, (unsigned long long)res->extra,
		(unsigned long long)res->passthrough, (unsigned long long)res->fields_matched,
		(unsigned long long)res->fields_differ, (unsigned long long)res->fields_input,
		(unsigned long long)res->bytes_compared, (unsigned long long)res->bytes_differ,
		(unsigned long long)res->bytes_unverified_snap,
		(unsigned long long)res->bytes_unverified_payload);
	fprintf(out, ",\"inputs\":[");
	for (size_t i = 0; i < NR_FIELDS; i++) {
		if (!v->input_seen[i])
			continue;
		fprintf(out, "%s\"%s\"", first ? "" : ",", fields[i].name);
		first = false;
	}
	fprintf(out, "],\"mismatches\":[");
	for (unsigned int i = 0; i < v->shown; i++) {
		fprintf(out, "%s", i ? "," : "");
		tsend_json_str(out, v->diffs[i], strlen(v->diffs[i]));
	}
	fprintf(out, "]}\n");
}

int replay__verify(struct replay *r, const struct verify_opts *o, FILE *out,
		   struct verify_result *res)
{
	struct verifier v = {.o = o, .out = out, .res = res};
	const struct replay_input *in = r->in;

	memset(res, 0, sizeof(*res));
	v.buf = malloc(256 * 1024);
	if (!v.buf)
		return -1;
	res->flows = in->nr_socks;
	for (size_t i = 0; i < in->nr_socks; i++) {
		const struct replay_sock *rs = in->socks[i];

		res->modeled_flows += !!rs->nr_sends;
		for (size_t j = 0; j < rs->nr_frames; j++)
			res->kernel_frames += rs->frames[j].modeled;
	}
	/* each replay frame names the kernel frame it pairs with */
	for (size_t i = 0; i < r->dev.nr; i++) {
		const struct rframe *f = &r->dev.frames[i];

		if (f->passthrough) {
			res->passthrough++;
			continue;
		}
		res->replay_frames++;
		if (!f->kframe) {
			res->extra++;
			note_diff(&v, f, NULL, "a frame the kernel did not send");
			continue;
		}
		compare(&v, f, f->kframe);
	}
	res->missing = res->kernel_frames - (res->identical + res->differ);
	if (o->json)
		report_json(&v, r->trace);
	else
		report_text(&v, r->trace);
	free(v.buf);
	return res->identical == res->kernel_frames && !res->extra ? 0 : 1;
}
