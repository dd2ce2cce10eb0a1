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
	return handle_tcp(TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY, sk,
			  skb, size_goal, msg_left(msg));
}

SEC("raw_tp/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_raw, struct sock *sk, struct msghdr *msg, struct sk_buff *skb,
	     int size_goal)
{
	return handle_tcp(TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY, sk,
			  skb, size_goal, msg_left(msg));
}

SEC("fentry")
int BPF_PROG(tcp_sendmsg_locked, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, size);
}

SEC("kprobe")
int BPF_KPROBE(tcp_sendmsg_locked_kprobe, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, size);
}

/* tcp_stream_alloc_skb's arguments changed over time; only sk is used. */
SEC("fentry")
int BPF_PROG(tcp_stream_alloc_skb, struct sock *sk)
{
	return handle_tcp(TSEND_STAGE_TCP_STREAM_ALLOC_SKB, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_stream_alloc_skb_kprobe, struct sock *sk)
{
	return handle_tcp(TSEND_STAGE_TCP_STREAM_ALLOC_SKB, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY,
			  sk, NULL, 0, 0);
}

/* the new skb joins the write queue; its seq is set inside, so the
 * socket's write_seq is what it will get */
SEC("fentry")
int BPF_PROG(tcp_skb_entail, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(TSEND_STAGE_TCP_SKB_ENTAIL, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_skb_entail_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(TSEND_STAGE_TCP_SKB_ENTAIL, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk, skb,
			  0, 0);
}

SEC("fentry")
int BPF_PROG(tcp_push_one, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(TSEND_STAGE_TCP_PUSH_ONE, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk, NULL,
			  mss_now, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_push_one_kprobe, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(TSEND_STAGE_TCP_PUSH_ONE, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk, NULL,
			  mss_now, 0);
}

/* size_goal carries mss_now here: the segment size tcp_write_xmit uses */
SEC("fentry")
int BPF_PROG(tcp_write_xmit, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(TSEND_STAGE_TCP_WRITE_XMIT, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_write_xmit_kprobe, struct sock *sk, unsigned int mss_now)
{
	return handle_tcp(TSEND_STAGE_TCP_WRITE_XMIT, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, mss_now, 0);
}

/* the write-queue original; the clone that goes down is seen from IP on */
SEC("fentry")
int BPF_PROG(__tcp_transmit_skb, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_TRANSMIT_SKB, TSEND_MECH_FENTRY, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("kprobe")
int BPF_KPROBE(__tcp_transmit_skb_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_TRANSMIT_SKB, TSEND_MECH_KPROBE, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("fentry")
int BPF_PROG(tcp_event_new_data_sent, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, TSEND_MECH_FENTRY, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("kprobe")
int BPF_KPROBE(tcp_event_new_data_sent_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, TSEND_MECH_KPROBE, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_btf, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_RETRANSMIT_SKB, TSEND_MECH_TP_BTF, skb, sk, 0, 0,
			  SEQ_FROM_CB, false);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb_raw, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(TSEND_STAGE_TCP_RETRANSMIT_SKB, TSEND_MECH_RAW_TP, skb, sk, 0, 0,
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
	return handle_tcp(TSEND_STAGE_TCP_PROBE, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk, skb, 0,
			  0);
}

SEC("kprobe")
int BPF_KPROBE(tcp_ack_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(TSEND_STAGE_TCP_PROBE, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk, skb, 0,
			  0);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(TSEND_STAGE_TCP_PROBE, TSEND_MECH_TP_BTF, TSEND_PHASE_ENTRY, sk, skb, 0,
			  0);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcp_probe_raw, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp(TSEND_STAGE_TCP_PROBE, TSEND_MECH_RAW_TP, TSEND_PHASE_ENTRY, sk, skb, 0,
			  0);
}
