// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsend-trace dump: one line per record, as text for people or as JSON for
 * programs, and the file header.
 *
 * Text is compact key=value after a fixed prefix (time since the start,
 * cpu, comm:tid, stage, "ret" for an exit, mechanism): fields that carry
 * nothing for a record (no sequence range, no GSO, no snapshot) are left
 * out rather than printed as zeros. JSON prints every field of the struct
 * under its struct name, so a consumer never has to guess; a field the
 * trace's ABI did not have yet (meta.abi_version) is left out instead, so
 * an old trace reads as it always did.
 */
#include <stdint.h>
#include <time.h>

#include "dump.h"
#include "json.h"
#include "stages.h"

_Static_assert(sizeof(struct tsend_head) == TSEND_HEAD_SIZE, "tsend_head");
_Static_assert(sizeof(struct tsend_flow) == TSEND_FLOW_SIZE, "tsend_flow");
_Static_assert(sizeof(struct tsend_send_event) == TSEND_SEND_EVENT_SIZE, "tsend_send_event");
_Static_assert(sizeof(struct tsend_tcp_event) == TSEND_TCP_EVENT_SIZE, "tsend_tcp_event");
_Static_assert(sizeof(struct tsend_skb_event) == TSEND_SKB_EVENT_SIZE, "tsend_skb_event");
_Static_assert(sizeof(struct tsend_data_event) == TSEND_DATA_EVENT_SIZE, "tsend_data_event");
_Static_assert(sizeof(struct tsend_stack_event) == TSEND_STACK_EVENT_SIZE, "tsend_stack_event");
_Static_assert(sizeof(struct tsend_stack_ips) == TSEND_STACK_IPS_SIZE, "tsend_stack_ips");
_Static_assert(sizeof(struct tsend_ksym) == TSEND_KSYM_SIZE, "tsend_ksym");
_Static_assert(sizeof(struct tsend_maps) == TSEND_MAPS_SIZE, "tsend_maps");

#define DUMP_PAYLOAD_SHOWN 32 /* payload bytes shown as hex in text */
#define NSEC_PER_SEC	   1000000000ULL

static const char *const tcp_state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",	[3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",   [6] = "TIME_WAIT", [7] = "CLOSE",	  [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",    [10] = "LISTEN",	[11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

static const char *tcp_state_name(unsigned int state)
{
	if (state < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]))
		return tcp_state_names[state];
	return NULL;
}

static const char *stage_name(unsigned int stage)
{
	return stage < TSEND_STAGE_MAX ? tsend_stage_name(stage) : NULL;
}

static const char *mech_name(unsigned int mech)
{
	return mech < TSEND_MECH_MAX ? tsend_mech_name(mech) : NULL;
}

static const char *kind_name(unsigned int kind)
{
	switch (kind) {
	case TSEND_KIND_SEND:
		return "send";
	case TSEND_KIND_TCP:
		return "tcp";
	case TSEND_KIND_SKB:
		return "skb";
	case TSEND_KIND_DATA:
		return "data";
	case TSEND_KIND_STACK:
		return "stack";
	case TSEND_KIND_STACK_IPS:
		return "stack_ips";
	case TSEND_KIND_KSYM:
		return "ksym";
	case TSEND_KIND_MAPS:
		return "maps";
	default:
		return NULL;
	}
}

/* tsend_skb_event.csum: 1 + skb->ip_summed (include/linux/skbuff.h) */
static const char *csum_name(unsigned int csum)
{
	switch (csum) {
	case 1:
		return "none";
	case 2:
		return "unnecessary";
	case 3:
		return "complete";
	case 4:
		return "partial";
	default:
		return NULL;
	}
}

/* The trace's records have fields of ABI abi (no meta: this build's). */
static bool has_abi(const struct trace_meta *meta, __u32 abi)
{
	return !meta || meta->abi_version >= abi;
}

static const char *phase_name(unsigned int phase)
{
	switch (phase) {
	case TSEND_PHASE_ENTRY:
		return "entry";
	case TSEND_PHASE_EXIT:
		return "exit";
	default:
		return NULL;
	}
}

/* ns as seconds with decimals digits (6 or 9), signed: "-0.000010". */
static void fmt_secs(char *buf, size_t size, __s64 ns, int decimals)
{
	__u64 a = ns < 0 ? -(__u64)ns : (__u64)ns;
	__u64 frac = a % NSEC_PER_SEC;

	if (decimals == 6)
		frac /= 1000;
	snprintf(buf, size, "%s%llu.%0*llu", ns < 0 ? "-" : "",
		 (unsigned long long)(a / NSEC_PER_SEC), decimals, (unsigned long long)frac);
}

static __s64 rel_ns(__u64 ts, const struct trace_meta *meta)
{
	return (__s64)(ts - (meta ? meta->start_ns : 0));
}

/* tcpdump's letters in its order (FIN SYN RST PSH ACK URG ECE CWR). */
static void fmt_tcp_flags(char *buf, __u8 flags)
{
	static const char letters[] = "FSRP.UEW";
	int n = 0;

	buf[n++] = '[';
	for (int i = 0; i < 8; i++)
		if (flags & (1 << i))
			buf[n++] = letters[i];
	if (n == 1) {
		strcpy(buf, "[none]");
		return;
	}
	buf[n++] = ']';
	buf[n] = '\0';
}

static void print_hex(FILE *out, const __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

/* An enum value as its name, or as the number when the name is unknown. */
static void text_enum(FILE *out, const char *name, unsigned int value)
{
	if (name)
		fputs(name, out);
	else
		fprintf(out, "%u", value);
}

static void text_head(FILE *out, const struct tsend_head *h, const struct trace_meta *meta)
{
	char t[32];

	fmt_secs(t, sizeof(t), rel_ns(h->ts, meta), 6);
	fprintf(out, "%11s %3u ", t, h->cpu);
	tsend_text_str(out, h->comm, sizeof(h->comm), true);
	fprintf(out, ":%u ", h->tid);
	text_enum(out, stage_name(h->stage), h->stage);
	if (h->phase == TSEND_PHASE_EXIT)
		fputs(" ret", out);
	else if (h->phase != TSEND_PHASE_ENTRY)
		fprintf(out, " phase=%u", h->phase);
	fputc(' ', out);
	text_enum(out, mech_name(h->mech), h->mech);
}

static void text_flow(FILE *out, const struct tsend_flow *f)
{
	char buf[128];

	tsend_fmt_flow(buf, sizeof(buf), f);
	if (buf[0])
		fprintf(out, " %s", buf);
}

static void text_skb(FILE *out, const struct tsend_skb_event *e)
{
	text_flow(out, &e->flow);
	fprintf(out, " skb=%llx", (unsigned long long)e->h.skb);
	if (e->seq_valid)
		fprintf(out, " seq=%u-%u", e->seq, e->end_seq);
	fprintf(out, " len=%u", e->len);
	if (e->seq_valid) {
		char flags[16];

		fmt_tcp_flags(flags, e->tcp_flags);
		fprintf(out, " %s", flags);
	}
	if (e->ifindex)
		fprintf(out, " if=%d", e->ifindex);
	if (e->gso_size || e->gso_segs > 1)
		fprintf(out, " gso=%ux%u", e->gso_size, e->gso_segs);
	/* ret means something only where the kernel hands a value back */
	if (e->h.stage == TSEND_STAGE_KFREE_SKB)
		fprintf(out, " reason=%d", e->ret);
	else if (e->h.stage == TSEND_STAGE_NET_DEV_XMIT || e->ret)
		fprintf(out, " ret=%d", e->ret);
	if (e->csum) {
		fputs(" csum=", out);
		text_enum(out, csum_name(e->csum), e->csum);
	}
	if (e->truesize)
		fprintf(out, " truesize=%u", e->truesize);
	if (e->snap_len)
		fprintf(out, " snap=%u", e->snap_len);
}

/* " payload=" and the first DUMP_PAYLOAD_SHOWN of n bytes, "…" if more */
static void text_payload(FILE *out, const __u8 *p, size_t n)
{
	if (!n)
		return;
	fputs(" payload=", out);
	print_hex(out, p, n > DUMP_PAYLOAD_SHOWN ? DUMP_PAYLOAD_SHOWN : n);
	if (n > DUMP_PAYLOAD_SHOWN)
		fputs("…", out);
}

static void text_send(FILE *out, const struct tsend_send_event *e, const __u8 *payload)
{
	text_flow(out, &e->flow);
	fprintf(out, " fd=%u size=%llu flags=0x%x", e->fd, (unsigned long long)e->size, e->flags);
	if (e->h.phase == TSEND_PHASE_EXIT)
		fprintf(out, " ret=%lld", (long long)e->ret);
	text_payload(out, payload, e->payload_len);
}

/* More of a send()'s bytes: where they sit in it, and the first of them. */
static void text_data(FILE *out, const struct tsend_data_event *e, const __u8 *data)
{
	fprintf(out, " data off=%llu len=%u", (unsigned long long)e->offset, e->data_len);
	text_payload(out, data, e->data_len);
}

/* A stack id: the map's, "none" (not asked for), or why it is missing. */
static void text_stack_id(FILE *out, const char *key, __s32 id)
{
	if (id >= 0)
		fprintf(out, " %s=%d", key, id);
	else if (id == TSEND_STACK_NONE)
		fprintf(out, " %s=none", key);
	else
		fprintf(out, " %s=lost(%s)", key, strerror(-id));
}

static void text_stack_records(FILE *out, const union tsend_record *ev, const __u8 *extra)
{
	__u64 ip;

	switch (ev->h.kind) {
	case TSEND_KIND_STACK:
		text_stack_id(out, "kstack", ev->stack.kstack_id);
		text_stack_id(out, "ustack", ev->stack.ustack_id);
		break;
	case TSEND_KIND_STACK_IPS:
		fprintf(out, " stack id=%d %s nr=%u", ev->ips.id, ev->ips.user ? "user" : "kernel",
			ev->ips.nr);
		for (__u32 i = 0; i < ev->ips.nr; i++) {
			memcpy(&ip, extra + 8 * i, sizeof(ip));
			fprintf(out, "%s%llx", i ? "," : " ", (unsigned long long)ip);
		}
		break;
	case TSEND_KIND_KSYM:
		fprintf(out, " ksym %llx+%llu ", (unsigned long long)ev->ksym.addr,
			(unsigned long long)ev->ksym.size);
		tsend_text_str(out, (const char *)extra, ev->ksym.name_len, true);
		if (ev->ksym.mod_len) {
			fputs(" [", out);
			tsend_text_str(out, (const char *)extra + ev->ksym.name_len,
				       ev->ksym.mod_len, true);
			fputc(']', out);
		}
		break;
	case TSEND_KIND_MAPS: {
		__u32 lines = 0;

		for (__u32 i = 0; i < ev->maps.text_len; i++)
			lines += extra[i] == '\n';
		fprintf(out, " maps bytes=%u mappings=%u", ev->maps.text_len, lines);
		break;
	}
	}
}

static void text_tcp(FILE *out, const struct tsend_tcp_event *e)
{
	text_flow(out, &e->flow);
	/* the state is worth a column only when it is not the usual one */
	if (e->state != 1) {
		fputs(" state=", out);
		text_enum(out, tcp_state_name(e->state), e->state);
	}
	fprintf(out, " nxt=%u una=%u cwnd=%u wnd=%u srtt=%uus mss=%u out=%u", e->snd_nxt,
		e->snd_una, e->snd_cwnd, e->snd_wnd, e->srtt_us >> 3, e->mss_cache, e->packets_out);
	if (e->retrans_out)
		fprintf(out, " rtx=%u", e->retrans_out);
	if (e->size_goal || e->msg_left)
		fprintf(out, " goal=%u left=%u", e->size_goal, e->msg_left);
	if (e->h.skb)
		fprintf(out, " skb=%llx seq=%u-%u len=%u", (unsigned long long)e->h.skb, e->skb_seq,
			e->skb_end_seq, e->skb_len);
	if (e->h.stage == TSEND_STAGE_TCP_PROBE && e->h.skb)
		fprintf(out, " ack=%u flags=0x%x", e->skb_ack_seq, e->skb_tcp_flags);
	/* ABI 3: what tcp_write_xmit paces by, and who holds the socket */
	if (e->pacing_status == 1 + 1)
		fprintf(out, " paced=%lluB/s", (unsigned long long)e->pacing_rate);
	if (e->min_rtt_us)
		fprintf(out, " min_rtt=%uus", e->min_rtt_us);
	if (e->owned == 1 + 1)
		fputs(" owned", out);
	if (e->ca_state)
		fprintf(out, " ca=%u sacked=%u lost=%u", e->ca_state, e->sacked_out, e->lost_out);
	if (e->h.stage == TSEND_STAGE_TCP_WRITE_TIMER)
		fprintf(out, " pending=%u", e->icsk_pending);
}

static void text_malformed(FILE *out, const void *rec, __u32 len, const struct trace_meta *meta,
			   const char *why)
{
	struct tsend_head h;

	if (len < sizeof(h)) {
		fprintf(out, "%11s malformed: %s (len=%u)\n", "-", why, len);
		return;
	}
	memcpy(&h, rec, sizeof(h));
	text_head(out, &h, meta);
	fprintf(out, " malformed: %s (size=%u len=%u kind=%u)\n", why, h.size, len, h.kind);
}

static void text_record(FILE *out, const union tsend_record *ev, const __u8 *extra,
			const struct trace_meta *meta)
{
	text_head(out, &ev->h, meta);
	switch (ev->h.kind) {
	case TSEND_KIND_SEND:
		text_send(out, &ev->send, extra);
		break;
	case TSEND_KIND_TCP:
		text_tcp(out, &ev->tcp);
		break;
	case TSEND_KIND_SKB:
		text_skb(out, &ev->skb);
		break;
	case TSEND_KIND_DATA:
		text_data(out, &ev->data, extra);
		break;
	case TSEND_KIND_STACK:
	case TSEND_KIND_STACK_IPS:
	case TSEND_KIND_KSYM:
	case TSEND_KIND_MAPS:
		text_stack_records(out, ev, extra);
		break;
	default:
		fprintf(out, " kind=%u size=%u", ev->h.kind, ev->h.size);
		break;
	}
	fputc('\n', out);
}

/* A JSON object being written: knows whether a comma is due. */
static void j_hex(struct jw *w, const char *key, const __u8 *p, size_t n)
{
	j_key(w, key);
	fputc('"', w->out);
	print_hex(w->out, p, n);
	fputc('"', w->out);
}

static void j_time(struct jw *w, const char *key, __s64 ns)
{
	char buf[32];

	fmt_secs(buf, sizeof(buf), ns, 9);
	j_key(w, key);
	fputs(buf, w->out);
}

static void json_head(struct jw *w, const struct tsend_head *h, const struct trace_meta *meta)
{
	__s64 off = meta ? meta->realtime_offset : 0;

	j_u64(w, "ts_ns", h->ts);
	j_time(w, "ts_rel", rel_ns(h->ts, meta));
	/* unsigned sum: a garbage offset wraps instead of overflowing */
	j_s64(w, "realtime_ns", (__s64)(h->ts + (__u64)off));
	j_u64(w, "cpu", h->cpu);
	j_u64(w, "pid", h->pid);
	j_u64(w, "tid", h->tid);
	j_str(w, "comm", h->comm, sizeof(h->comm));
	j_enum(w, "stage", stage_name(h->stage), h->stage);
	j_u64(w, "stage_id", h->stage);
	j_enum(w, "phase", phase_name(h->phase), h->phase);
	j_enum(w, "mech", mech_name(h->mech), h->mech);
	j_u64(w, "mech_id", h->mech);
	j_enum(w, "kind", kind_name(h->kind), h->kind);
	j_u64(w, "kind_id", h->kind);
	j_u64(w, "rec_size", h->size); /* "size" is send_event.size */
	j_ptr(w, "sk", h->sk);
	j_ptr(w, "skb", h->skb);
}

static void json_addr(struct jw *w, const char *key, unsigned int family, const __u8 *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (family != AF_INET && family != AF_INET6) {
		j_hex(w, key, addr, 16); /* unknown family: the raw bytes */
		return;
	}
	tsend_fmt_addr(buf, sizeof(buf), family, addr);
	j_str(w, key, buf, sizeof(buf));
}

static void json_flow(struct jw *w, const struct tsend_flow *f)
{
	struct jw in;

	j_key(w, "flow");
	j_open(&in, w->out);
	j_u64(&in, "family", f->family);
	j_u64(&in, "protocol", f->protocol);
	json_addr(&in, "saddr", f->family, f->saddr);
	j_u64(&in, "sport", f->sport);
	json_addr(&in, "daddr", f->family, f->daddr);
	j_u64(&in, "dport", f->dport);
	fputc('}', w->out);
}

static void json_skb(struct jw *w, const struct tsend_skb_event *e, const __u8 *snap,
		     const struct trace_meta *meta)
{
	json_flow(w, &e->flow);
	j_ptr(w, "head", e->head);
	j_u64(w, "len", e->len);
	j_u64(w, "data_len", e->data_len);
	j_u64(w, "seq", e->seq);
	j_u64(w, "end_seq", e->end_seq);
	j_u64(w, "ack_seq", e->ack_seq);
	j_u64(w, "gso_type", e->gso_type);
	j_u64(w, "gso_size", e->gso_size);
	j_u64(w, "gso_segs", e->gso_segs);
	j_s64(w, "ifindex", e->ifindex);
	j_s64(w, "ret", e->ret);
	j_u64(w, "queue", e->queue);
	j_u64(w, "tcp_flags", e->tcp_flags);
	j_key(w, "seq_valid");
	fputs(e->seq_valid ? "true" : "false", w->out);
	if (has_abi(meta, 3)) {
		j_enum(w, "csum", csum_name(e->csum), e->csum);
		j_u64(w, "csum_id", e->csum);
		if (e->truesize)
			j_u64(w, "truesize", e->truesize);
	}
	j_u64(w, "snap_len", e->snap_len);
	j_hex(w, "snap", snap, e->snap_len);
}

static void json_send(struct jw *w, const struct tsend_send_event *e, const __u8 *payload)
{
	json_flow(w, &e->flow);
	j_s64(w, "ret", e->ret);
	j_u64(w, "size", e->size);
	j_u64(w, "fd", e->fd);
	j_u64(w, "flags", e->flags);
	j_u64(w, "payload_len", e->payload_len);
	j_hex(w, "payload", payload, e->payload_len);
}

static void json_data(struct jw *w, const struct tsend_data_event *e, const __u8 *data)
{
	j_u64(w, "offset", e->offset);
	j_u64(w, "data_len", e->data_len);
	j_hex(w, "data", data, e->data_len);
}

static void json_stack_records(struct jw *w, const union tsend_record *ev, const __u8 *extra)
{
	__u64 ip;

	switch (ev->h.kind) {
	case TSEND_KIND_STACK:
		j_s64(w, "kstack_id", ev->stack.kstack_id);
		j_s64(w, "ustack_id", ev->stack.ustack_id);
		break;
	case TSEND_KIND_STACK_IPS:
		j_s64(w, "id", ev->ips.id);
		j_u64(w, "user", ev->ips.user);
		j_key(w, "ips");
		fputc('[', w->out);
		for (__u32 i = 0; i < ev->ips.nr; i++) {
			memcpy(&ip, extra + 8 * i, sizeof(ip));
			fprintf(w->out, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)ip);
		}
		fputc(']', w->out);
		break;
	case TSEND_KIND_KSYM:
		j_ptr(w, "addr", ev->ksym.addr);
		j_u64(w, "size", ev->ksym.size);
		j_str(w, "name", (const char *)extra, ev->ksym.name_len);
		j_str(w, "module", (const char *)extra + ev->ksym.name_len, ev->ksym.mod_len);
		break;
	case TSEND_KIND_MAPS:
		j_str(w, "text", (const char *)extra, ev->maps.text_len);
		break;
	}
}

static void json_tcp(struct jw *w, const struct tsend_tcp_event *e, const struct trace_meta *meta)
{
	json_flow(w, &e->flow);
	j_u64(w, "snd_nxt", e->snd_nxt);
	j_u64(w, "snd_una", e->snd_una);
	j_u64(w, "write_seq", e->write_seq);
	j_u64(w, "pushed_seq", e->pushed_seq);
	j_u64(w, "snd_wnd", e->snd_wnd);
	j_u64(w, "rcv_wnd", e->rcv_wnd);
	j_u64(w, "snd_cwnd", e->snd_cwnd);
	j_u64(w, "snd_ssthresh", e->snd_ssthresh);
	j_u64(w, "srtt_us", e->srtt_us);
	j_u64(w, "mss_cache", e->mss_cache);
	j_u64(w, "packets_out", e->packets_out);
	j_u64(w, "retrans_out", e->retrans_out);
	j_u64(w, "size_goal", e->size_goal);
	j_u64(w, "msg_left", e->msg_left);
	j_u64(w, "skb_seq", e->skb_seq);
	j_u64(w, "skb_end_seq", e->skb_end_seq);
	j_u64(w, "skb_len", e->skb_len);
	j_u64(w, "skb_ack_seq", e->skb_ack_seq);
	j_u64(w, "skb_tcp_flags", e->skb_tcp_flags);
	j_enum(w, "state", tcp_state_name(e->state), e->state);
	j_u64(w, "state_id", e->state);
	j_u64(w, "nonagle", e->nonagle);
	if (has_abi(meta, 3)) {
		j_u64(w, "owned", e->owned);
		j_u64(w, "pacing_rate", e->pacing_rate);
		j_u64(w, "pacing_status", e->pacing_status);
		j_u64(w, "pacing_shift", e->pacing_shift);
		j_u64(w, "icsk_pending", e->icsk_pending);
		j_u64(w, "min_rtt_us", e->min_rtt_us);
		j_u64(w, "ca_state", e->ca_state);
		j_u64(w, "sacked_out", e->sacked_out);
		j_u64(w, "lost_out", e->lost_out);
	}
}

static void json_malformed(FILE *out, const void *rec, __u32 len, const struct trace_meta *meta,
			   const char *why)
{
	struct tsend_head h;
	struct jw w;

	j_open(&w, out);
	j_str(&w, "malformed", why, strlen(why));
	j_u64(&w, "len", len);
	if (len >= sizeof(h)) {
		memcpy(&h, rec, sizeof(h));
		json_head(&w, &h, meta);
	}
	fputs("}\n", out);
}

static void json_record(FILE *out, const union tsend_record *ev, const __u8 *extra,
			const struct trace_meta *meta)
{
	struct jw w;

	j_open(&w, out);
	json_head(&w, &ev->h, meta);
	switch (ev->h.kind) {
	case TSEND_KIND_SEND:
		json_send(&w, &ev->send, extra);
		break;
	case TSEND_KIND_TCP:
		json_tcp(&w, &ev->tcp, meta);
		break;
	case TSEND_KIND_SKB:
		json_skb(&w, &ev->skb, extra, meta);
		break;
	case TSEND_KIND_DATA:
		json_data(&w, &ev->data, extra);
		break;
	default:
		json_stack_records(&w, ev, extra);
		break;
	}
	fputs("}\n", out);
}

int dump_record(FILE *out, const void *rec, __u32 len, const struct trace_meta *meta, bool json)
{
	union tsend_record ev = {};
	const char *why;
	__u32 body;

	if (tsend_record_check(rec, len, &why)) {
		if (json)
			json_malformed(out, rec, len, meta, why);
		else
			text_malformed(out, rec, len, meta, why);
		return ferror(out) ? -EIO : -EINVAL;
	}
	body = tsend_record_copy(&ev, sizeof(ev), rec, len);
	/* the checked trailing bytes (snap, payload, data) follow the struct */
	if (json)
		json_record(out, &ev, (const __u8 *)rec + body, meta);
	else
		text_record(out, &ev, (const __u8 *)rec + body, meta);
	return ferror(out) ? -EIO : 0;
}

/* "2024-05-01 12:00:00.123456" in UTC, from a CLOCK_REALTIME ns value. */
static void fmt_realtime(char *buf, size_t size, __s64 ns)
{
	time_t sec = ns / (__s64)NSEC_PER_SEC;
	long usec = (ns % (__s64)NSEC_PER_SEC) / 1000;
	struct tm tm;
	size_t n;

	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	if (!gmtime_r(&sec, &tm) || !(n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf + n, size - n, ".%06ld", usec);
}

static __u32 nr_probes(const struct trace_meta *meta)
{
	return meta->nr_probes < TRACE_MAX_PROBES ? meta->nr_probes : TRACE_MAX_PROBES;
}

static __u32 nr_cpus(const struct trace_stats *stats)
{
	return stats->nr_cpus < TRACE_MAX_CPUS ? stats->nr_cpus : TRACE_MAX_CPUS;
}

static void stats_totals(const struct trace_stats *stats, __u64 *lost, __u64 *untracked)
{
	*lost = *untracked = 0;
	for (__u32 i = 0; i < nr_cpus(stats); i++) {
		*lost += stats->lost[i];
		*untracked += stats->untracked[i];
	}
}

static void text_probe(FILE *out, const struct trace_probe *p)
{
	fputs("  ", out);
	tsend_text_str(out, p->func, sizeof(p->func), false);
	fprintf(out, "%*s", (int)(26 - strnlen(p->func, 26)), "");
	fprintf(out, " %-10s ", mech_name(p->mech) ? mech_name(p->mech) : "?");
	if (p->target[0])
		tsend_text_str(out, p->target, sizeof(p->target), false);
	else
		fputc('-', out);
	fputc('\n', out);
	/* the detail gets its own line: it is a sentence, not a column */
	if (p->detail[0]) {
		fputs("      ", out);
		tsend_text_str(out, p->detail, sizeof(p->detail), false);
		fputc('\n', out);
	}
}

static void text_header(FILE *out, const struct trace_meta *meta, const struct trace_stats *stats)
{
	char t[64], mono[32];
	__u64 lost, untracked;

	fmt_realtime(t, sizeof(t), (__s64)(meta->start_ns + (__u64)meta->realtime_offset));
	fmt_secs(mono, sizeof(mono), (__s64)meta->start_ns, 6);
	fprintf(out, "kernel:   ");
	tsend_text_str(out, meta->kernel_release, sizeof(meta->kernel_release), false);
	fprintf(out, "\nhost:     ");
	tsend_text_str(out, meta->hostname, sizeof(meta->hostname), false);
	fprintf(out, "\nstarted:  %s UTC (monotonic %s)\ncommand:  ", t, mono);
	tsend_text_str(out, meta->cmdline, sizeof(meta->cmdline), false);
	fprintf(out, "\nsnaplen:  %u bytes, payload ", meta->snaplen);
	if (meta->payload_len == UINT32_MAX) /* --payload all */
		fputs("all", out);
	else
		fprintf(out, "%u bytes", meta->payload_len);
	fprintf(out, ", %u cpus, abi %u\n", meta->nr_cpus, meta->abi_version);
	if (stats) {
		stats_totals(stats, &lost, &untracked);
		fmt_secs(t, sizeof(t), (__s64)(stats->end_ns - meta->start_ns), 6);
		fprintf(out, "end:      %llu records in %s s, %llu lost, %llu untracked",
			(unsigned long long)stats->records, t, (unsigned long long)lost,
			(unsigned long long)untracked);
		if (stats->kstack_lost || stats->ustack_lost)
			fprintf(out, ", stacks not taken: %llu kernel, %llu user",
				(unsigned long long)stats->kstack_lost,
				(unsigned long long)stats->ustack_lost);
		fputc('\n', out);
	} else {
		fprintf(out, "end:      no end block: losses are unknown\n");
	}
	fprintf(out, "probes:   %u\n  %-26s %-10s %s\n", nr_probes(meta), "func", "mechanism",
		"target (detail below)");
	for (__u32 i = 0; i < nr_probes(meta); i++)
		text_probe(out, &meta->probes[i]);
}

static void json_per_cpu(struct jw *w, const char *key, const __u64 *v, __u32 n)
{
	bool first = true;

	j_key(w, key);
	fputc('{', w->out);
	for (__u32 i = 0; i < n; i++) {
		if (!v[i])
			continue;
		fprintf(w->out, "%s\"%u\":%llu", first ? "" : ",", i, (unsigned long long)v[i]);
		first = false;
	}
	fputc('}', w->out);
}

static void json_stats(struct jw *w, const struct trace_stats *stats)
{
	__u64 lost, untracked;
	struct jw in;

	j_key(w, "stats");
	if (!stats) {
		fputs("null", w->out);
		return;
	}
	stats_totals(stats, &lost, &untracked);
	j_open(&in, w->out);
	j_u64(&in, "records", stats->records);
	j_u64(&in, "end_ns", stats->end_ns);
	j_u64(&in, "nr_cpus", stats->nr_cpus);
	j_u64(&in, "lost", lost);
	j_u64(&in, "untracked", untracked);
	j_u64(&in, "kstack_lost", stats->kstack_lost);
	j_u64(&in, "ustack_lost", stats->ustack_lost);
	json_per_cpu(&in, "lost_per_cpu", stats->lost, nr_cpus(stats));
	json_per_cpu(&in, "untracked_per_cpu", stats->untracked, nr_cpus(stats));
	fputc('}', w->out);
}

static void json_probe(FILE *out, const struct trace_probe *p)
{
	struct jw w;

	j_open(&w, out);
	j_enum(&w, "stage", stage_name(p->stage), p->stage);
	j_u64(&w, "stage_id", p->stage);
	j_str(&w, "func", p->func, sizeof(p->func));
	j_enum(&w, "mech", mech_name(p->mech), p->mech);
	j_u64(&w, "mech_id", p->mech);
	j_str(&w, "target", p->target, sizeof(p->target));
	j_str(&w, "detail", p->detail, sizeof(p->detail));
	fputc('}', out);
}

static void json_header(FILE *out, const struct trace_meta *meta, const struct trace_stats *stats)
{
	char t[64];
	struct jw w;

	fmt_realtime(t, sizeof(t), (__s64)(meta->start_ns + (__u64)meta->realtime_offset));
	j_open(&w, out);
	j_u64(&w, "abi_version", meta->abi_version);
	j_u64(&w, "snaplen", meta->snaplen);
	j_u64(&w, "payload_len", meta->payload_len);
	j_u64(&w, "nr_cpus", meta->nr_cpus);
	j_s64(&w, "realtime_offset", meta->realtime_offset);
	j_s64(&w, "boottime_offset", meta->boottime_offset);
	j_u64(&w, "start_ns", meta->start_ns);
	j_str(&w, "start_utc", t, sizeof(t));
	j_str(&w, "kernel_release", meta->kernel_release, sizeof(meta->kernel_release));
	j_str(&w, "hostname", meta->hostname, sizeof(meta->hostname));
	j_str(&w, "cmdline", meta->cmdline, sizeof(meta->cmdline));
	j_key(&w, "probes");
	fputc('[', out);
	for (__u32 i = 0; i < nr_probes(meta); i++) {
		if (i)
			fputc(',', out);
		json_probe(out, &meta->probes[i]);
	}
	fputc(']', out);
	json_stats(&w, stats);
	fputs("}\n", out);
}

int dump_header(FILE *out, const struct trace_meta *meta, const struct trace_stats *stats,
		bool json)
{
	if (!meta)
		return -EINVAL;
	if (json)
		json_header(out, meta, stats);
	else
		text_header(out, meta, stats);
	return ferror(out) ? -EIO : 0;
}
