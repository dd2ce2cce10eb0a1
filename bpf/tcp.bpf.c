// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP: net/ipv4/tcp.c (tcp_sendmsg_locked and the write queue) and
 * net/ipv4/tcp_output.c (tcp_write_xmit, __tcp_transmit_skb), plus the
 * tracepoints that carry what the peer did (tcp_probe on ACK arrival,
 * tcp_retransmit_skb).
 */
#include "tsend.bpf.h"

/* tracepoint: once per loop of tcp_sendmsg_locked, with the tail skb */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_btf, struct sock *sk, struct msghdr *msg, struct sk_buff *skb,
	     int size_goal)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY,
			  sk, skb, size_goal, msg_left(msg));
}

SEC("raw_tp/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_raw, struct sock *sk, struct msghdr *msg, struct sk_buff *skb,
	     int size_goal)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY,
			  sk, skb, size_goal, msg_left(msg));
}

SEC("fentry")
int BPF_PROG(tcp_sendmsg_locked, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, size);
}

SEC("kprobe")
int BPF_KPROBE(tcp_sendmsg_locked_kprobe, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, size);
}

/* tcp_stream_alloc_skb's arguments changed over time; only sk is used. */
SEC("fentry")
int BPF_PROG(tcp_stream_alloc_skb, struct sock *sk)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_STREAM_ALLOC_SKB, TSEND_MECH_FENTRY,
			  TSEND_PHASE_ENTRY, sk, NULL, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_stream_alloc_skb_kprobe, struct sock *sk)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_STREAM_ALLOC_SKB, TSEND_MECH_KPROBE,
			  TSEND_PHASE_ENTRY, sk, NULL, 0, 0);
}

/* the new skb joins the write queue; its seq is set inside, so the
 * socket's write_seq is what it will get */
SEC("fentry")
int BPF_PROG(tcp_skb_entail, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SKB_ENTAIL, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  skb, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_skb_entail_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SKB_ENTAIL, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  skb, 0, 0);
}

SEC("fentry")
int BPF_PROG(tcp_push_one, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PUSH_ONE, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_push_one_kprobe, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PUSH_ONE, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

/* size_goal carries mss_now here: the segment size tcp_write_xmit uses */
SEC("fentry")
int BPF_PROG(tcp_write_xmit, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_XMIT, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_write_xmit_kprobe, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_XMIT, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

/* the write-queue original; the clone that goes down is seen from IP on */
SEC("fentry")
int BPF_PROG(__tcp_transmit_skb, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_TRANSMIT_SKB, TSEND_MECH_FENTRY, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("kprobe")
int BPF_KPROBE(__tcp_transmit_skb_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_TRANSMIT_SKB, TSEND_MECH_KPROBE, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("fentry")
int BPF_PROG(tcp_event_new_data_sent, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, TSEND_MECH_FENTRY, skb, sk, 0,
			  0, SEQ_FROM_CB, false);
}

SEC("kprobe")
int BPF_KPROBE(tcp_event_new_data_sent_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, TSEND_MECH_KPROBE, skb, sk, 0,
			  0, SEQ_FROM_CB, false);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_btf, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_RETRANSMIT_SKB, TSEND_MECH_TP_BTF, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_raw, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_TCP_RETRANSMIT_SKB, TSEND_MECH_RAW_TP, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

/*
 * An ACK arrives: the window and cwnd the sender sees, and in the segment
 * what it acknowledges, before it is processed. tcp_ack runs for every one,
 * in every state; the tcp_probe tracepoint fires in ESTABLISHED only, so it
 * misses the ACKs that come after close().
 */
SEC("fentry")
int BPF_PROG(tcp_ack, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PROBE, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_ack_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PROBE, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PROBE, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcp_probe_raw, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_PROBE, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

/*
 * The pacing hrtimer fires and tcp_pace_kick runs tcp_write_xmit again (or
 * defers it to release_sock when the socket is busy): a clock input the
 * replay needs to send what pacing held back, when the kernel did.
 */
SEC("fentry")
int BPF_PROG(tcp_pace_kick, struct hrtimer *timer)
{
	struct sock *sk = (void *)timer - bpf_core_field_offset(struct tcp_sock, pacing_timer);

	return handle_tcp(ctx, TSEND_STAGE_TCP_PACE_KICK, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_pace_kick_kprobe, struct hrtimer *timer)
{
	struct sock *sk = (void *)timer - bpf_core_field_offset(struct tcp_sock, pacing_timer);

	return handle_tcp(ctx, TSEND_STAGE_TCP_PACE_KICK, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, 0);
}

/* every hrtimer of the system passes here: compare one pointer, go */
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(tcp_pace_kick_btf, struct hrtimer *timer, ktime_t *now)
{
	struct sock *sk;

	if ((__u64)timer->function != targ_pace_kick || !targ_pace_kick)
		return 0;
	sk = (void *)timer - bpf_core_field_offset(struct tcp_sock, pacing_timer);
	return handle_tcp(ctx, TSEND_STAGE_TCP_PACE_KICK, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, 0);
}

SEC("raw_tp/hrtimer_expire_entry")
int BPF_PROG(tcp_pace_kick_raw, struct hrtimer *timer, ktime_t *now)
{
	struct sock *sk;

	if ((__u64)BPF_CORE_READ(timer, function) != targ_pace_kick || !targ_pace_kick)
		return 0;
	sk = (void *)timer - bpf_core_field_offset(struct tcp_sock, pacing_timer);
	return handle_tcp(ctx, TSEND_STAGE_TCP_PACE_KICK, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, 0);
}

/*
 * The retransmit timer fires: tcp_write_timer_handler() retransmits (RTO),
 * probes the tail (TLP: new data, cwnd or not) or a zero window, as
 * icsk_pending says. Deferred to release_sock when the socket is busy.
 */
SEC("fentry")
int BPF_PROG(tcp_write_timer, struct timer_list *t)
{
	struct sock *sk = (void *)t -
			  bpf_core_field_offset(struct inet_connection_sock, icsk_retransmit_timer);

	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_TIMER, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_write_timer_kprobe, struct timer_list *t)
{
	struct sock *sk = (void *)t -
			  bpf_core_field_offset(struct inet_connection_sock, icsk_retransmit_timer);

	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_TIMER, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(tcp_write_timer_btf, struct timer_list *t, unsigned long baseclk)
{
	struct sock *sk;

	if ((__u64)t->function != targ_write_timer || !targ_write_timer)
		return 0;
	sk = (void *)t - bpf_core_field_offset(struct inet_connection_sock, icsk_retransmit_timer);
	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_TIMER, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}

SEC("raw_tp/timer_expire_entry")
int BPF_PROG(tcp_write_timer_raw, struct timer_list *t, unsigned long baseclk)
{
	struct sock *sk;

	if ((__u64)BPF_CORE_READ(t, function) != targ_write_timer || !targ_write_timer)
		return 0;
	sk = (void *)t - bpf_core_field_offset(struct inet_connection_sock, icsk_retransmit_timer);
	return handle_tcp(ctx, TSEND_STAGE_TCP_WRITE_TIMER, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}
