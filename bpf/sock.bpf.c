// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * send(2) down to tcp_sendmsg: net/socket.c, net/ipv4/af_inet.c.
 *
 * The syscall is where a task filter (--pid, --comm, --cgroup) can be
 * checked: the sockets it lets through go into the socks map, and every
 * later stage, which may run in softirq on another task, follows them.
 */
#include "tsend.bpf.h"

/* The struct sock behind fd in the current task, or NULL if not a socket. */
static __always_inline struct sock *fd_to_sock(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	/* a socket's file points at its struct socket, which points back */
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* iovecs of a sendmsg() read at its entry: for its size and payload */
#define SEND_IOV_MAX 8
#define UIO_MAXIOV   1024 /* sendmsg() refuses more */

/*
 * The entry record's payload from a sendmsg()'s iovecs, in order: at most
 * want (<= targ_payload) bytes. dst has TSEND_DATA_MAX bytes of room more
 * than targ_payload: the verifier sees off and n apart, each up to that.
 */
static __always_inline __u32 copy_iovecs(__u8 *dst, const struct iovec *iov, __u32 nr, __u64 want)
{
	__u64 off = 0, n;

	for (int i = 0; i < SEND_IOV_MAX; i++) {
		if (i >= nr || off >= want)
			break;
		n = iov[i].iov_len;
		if (n > want - off)
			n = want - off;
		barrier_var(n); /* see snap_frame() */
		if (n > targ_payload)
			n = targ_payload;
		barrier_var(off);
		if (off > TSEND_DATA_MAX)
			break;
		if (bpf_probe_read_user(dst + off, n, iov[i].iov_base))
			break;
		off += n;
	}
	return off;
}

/*
 * A send() call: its entry record, and what its exit needs in the sends
 * map. ubuf is sendto()'s buffer, or sendmsg()'s user msghdr, whose first
 * nr_iov (<= SEND_IOV_MAX) iovecs iov holds.
 */
static __always_inline int handle_send_enter(void *ctx, __u8 stage, __u8 mech, int fd,
					     const void *ubuf, const struct iovec *iov,
					     __u32 nr_iov, __u64 size, __u32 flags)
{
	struct tsend_send_event *e;
	struct send_args args = {};
	__u32 zero = 0, n = 0, tid;
	struct sock *sk;
	__u64 key;

	/* top needs send() only to follow the sockets of a task filter */
	if (targ_top && !filter_by_sock)
		return 0;
	if (!task_wanted())
		return 0;
	sk = fd_to_sock(fd);
	if (!sk)
		return 0;
	key = (__u64)sk;
	if (filter_by_sock && bpf_map_update_elem(&socks, &key, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&socks, &key))
		return 0; /* socks map full: this socket cannot be followed */
	if (!sock_wanted(sk))
		return 0;
	if (filter_by_sock) {
		/* its ports, for frames the kernel sends for it from elsewhere */
		__u32 ports = ((__u32)BPF_CORE_READ(sk, __sk_common.skc_num) << 16) |
			      bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		bpf_map_update_elem(&flow_ports, &ports, &zero, BPF_NOEXIST);
	}
	if (targ_top)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	args.sk = key;
	args.fd = fd;
	args.ubuf = (__u64)ubuf;
	args.msg = iov != NULL;

	if (targ_payload && iov)
		e = reserve_tail(sizeof(*e) + TSEND_DATA_MAX, targ_payload);
	else if (targ_payload)
		e = reserve_tail(sizeof(*e), targ_payload);
	else
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		/* the exit still comes, and with it the rest of the bytes */
		bpf_map_update_elem(&sends, &tid, &args, BPF_ANY);
		return 0;
	}
	__builtin_memset(&e->flow, 0, sizeof(e->flow));
	fill_flow_sk(&e->flow, sk);
	e->ret = 0;
	e->size = size;
	e->fd = fd;
	e->flags = flags;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	if (targ_payload) {
		__u64 want = size;

		barrier_var(want); /* see snap_frame() */
		if (want > targ_payload)
			want = targ_payload;
		if (iov)
			n = copy_iovecs(e->payload, iov, nr_iov, want);
		else if (ubuf)
			n = bpf_probe_read_user(e->payload, want, ubuf) ? 0 : want;
	}
	e->payload_len = n;
	args.kept = n;
	bpf_map_update_elem(&sends, &tid, &args, BPF_ANY);
	fill_head(&e->h, sizeof(*e) + n, stage, TSEND_KIND_SEND, TSEND_PHASE_ENTRY, mech, sk, NULL);
	take_stacks(ctx, &e->h, true);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/*
 * The walk over a send()'s bytes that emits its TSEND_KIND_DATA records,
 * one step per bpf_loop() iteration: read an iovec, skip the bytes the
 * entry record holds, or emit one chunk. A chunk ends at TSEND_CHUNK_MAX
 * and at the end of an iovec.
 */
struct data_walk {
	__u64 sk;
	__u64 base;	/* user address of the byte at pos */
	__u64 seg_left; /* bytes from base to the end of its buffer or iovec */
	__u64 pos;	/* offset of base in the send()'s bytes */
	__u64 start;	/* bytes [start, end) become DATA records */
	__u64 end;
	__u64 iov;	/* sendmsg: user address of the next iovec */
	__u32 iov_left; /* iovecs not read yet */
	__u8 stage;
	__u8 mech;
	__u8 pad[2];
};

static long data_step(__u32 i, void *ctx)
{
	struct data_walk *w = ctx;
	struct tsend_data_event *e;
	struct iovec iov;
	__u64 n;

	if (w->pos >= w->end)
		return 1;
	if (!w->seg_left) {
		if (!w->iov_left)
			return 1;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)w->iov)) {
			count(TSEND_CNT_LOST); /* bytes promised, not delivered */
			return 1;
		}
		w->iov += sizeof(iov);
		w->iov_left--;
		w->base = (__u64)iov.iov_base;
		w->seg_left = iov.iov_len;
		return 0;
	}
	if (w->pos < w->start) {
		n = w->start - w->pos;
		if (n > w->seg_left)
			n = w->seg_left;
		w->base += n;
		w->pos += n;
		w->seg_left -= n;
		return 0;
	}
	n = w->end - w->pos;
	if (n > w->seg_left)
		n = w->seg_left;
	barrier_var(n);
	if (n > TSEND_CHUNK_MAX)
		n = TSEND_CHUNK_MAX;
	e = bpf_ringbuf_reserve(&events, sizeof(*e) + TSEND_CHUNK_MAX, 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 1; /* the rest of this send()'s chunks go too */
	}
	if (bpf_probe_read_user(e->data, n, (void *)w->base)) {
		bpf_ringbuf_discard(e, 0);
		count(TSEND_CNT_LOST);
		return 1;
	}
	fill_head(&e->h, sizeof(*e) + n, w->stage, TSEND_KIND_DATA, TSEND_PHASE_EXIT, w->mech,
		  (void *)w->sk, NULL);
	e->offset = w->pos;
	e->data_len = n;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, rb_flags());
	w->base += n;
	w->pos += n;
	w->seg_left -= n;
	return 0;
}

/*
 * --payload beyond the entry record: the bytes [kept, min(ret, N)) of the
 * send() as DATA records, read again from the user's memory now that ret
 * says how many the kernel took. They go into the ring before the exit
 * record: the same task on the same CPU reserves both.
 */
static __always_inline void send_data(const struct send_args *a, __u8 stage, __u8 mech, long ret)
{
	struct data_walk w = {.sk = a->sk, .start = a->kept, .stage = stage, .mech = mech};
	struct user_msghdr m;
	__u64 nr;

	if (targ_payload_total <= TSEND_DATA_MAX || ret <= 0)
		return;
	w.end = ret < targ_payload_total ? ret : targ_payload_total;
	if (w.end <= w.start)
		return;
	if (a->msg) {
		if (bpf_probe_read_user(&m, sizeof(m), (void *)a->ubuf)) {
			count(TSEND_CNT_LOST);
			return;
		}
		w.iov = (__u64)m.msg_iov;
		w.iov_left = m.msg_iovlen < UIO_MAXIOV ? m.msg_iovlen : UIO_MAXIOV;
	} else {
		w.base = a->ubuf;
		w.seg_left = w.end;
	}
	/* per iovec: one read, one skip and one short chunk at its end */
	nr = (w.end - w.start) / TSEND_CHUNK_MAX + 3 * (__u64)w.iov_left + 2;
	bpf_loop(nr < (1 << 23) ? nr : (1 << 23), data_step, &w, 0);
}

static __always_inline int handle_send_exit(__u8 stage, __u8 mech, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tsend_send_event *e;
	struct send_args *p, args;
	struct sock *sk;

	p = bpf_map_lookup_elem(&sends, &tid);
	if (!p)
		return 0;
	args = *p;
	bpf_map_delete_elem(&sends, &tid);
	sk = (void *)args.sk;
	send_data(&args, stage, mech, ret);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_head(&e->h, sizeof(*e), stage, TSEND_KIND_SEND, TSEND_PHASE_EXIT, mech, sk, NULL);
	fill_flow_sk(&e->flow, sk);
	e->fd = args.fd;
	e->ret = ret;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/* sendmsg(2): the size is the sum of the iovecs (the first 8 are read). */
static __always_inline int handle_sendmsg_enter(void *ctx, __u8 mech, int fd,
						struct user_msghdr *umsg, __u32 flags)
{
	struct iovec iov[SEND_IOV_MAX] = {};
	struct user_msghdr m = {};
	__u64 size = 0;
	__u32 nr = 0;

	if (bpf_probe_read_user(&m, sizeof(m), umsg))
		return 0;
	for (int i = 0; i < SEND_IOV_MAX; i++) {
		if (i >= m.msg_iovlen ||
		    bpf_probe_read_user(&iov[i], sizeof(iov[i]), &m.msg_iov[i]))
			break;
		size += iov[i].iov_len;
		nr++;
	}
	return handle_send_enter(ctx, TSEND_STAGE_SYS_SENDMSG, mech, fd, umsg, iov, nr, size,
				 flags);
}

/*
 * Classic tracepoints return 1: with 0 the kernel drops the event for every
 * perf user of the tracepoint too (perf_trace_run_bpf_submit), so perf
 * record -e syscalls:... beside tsend would lose it.
 */
SEC("tp/syscalls/sys_enter_sendto")
int sys_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	handle_send_enter(ctx, TSEND_STAGE_SYS_SENDTO, TSEND_MECH_TP, ctx->args[0],
			  (void *)ctx->args[1], NULL, 0, ctx->args[2], ctx->args[3]);
	return 1;
}

SEC("tp/syscalls/sys_exit_sendto")
int sys_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	handle_send_exit(TSEND_STAGE_SYS_SENDTO, TSEND_MECH_TP, ctx->ret);
	return 1;
}

SEC("fentry")
int BPF_PROG(__sys_sendto, int fd, void *buff, size_t len, unsigned int flags)
{
	return handle_send_enter(ctx, TSEND_STAGE_SYS_SENDTO, TSEND_MECH_FENTRY, fd, buff, NULL, 0,
				 len, flags);
}

SEC("fexit")
int BPF_PROG(__sys_sendto_exit, int fd, void *buff, size_t len, unsigned int flags,
	     struct sockaddr *addr, int addr_len, long ret)
{
	return handle_send_exit(TSEND_STAGE_SYS_SENDTO, TSEND_MECH_FEXIT, ret);
}

SEC("kprobe")
int BPF_KPROBE(__sys_sendto_kprobe, int fd, void *buff, size_t len, unsigned int flags)
{
	return handle_send_enter(ctx, TSEND_STAGE_SYS_SENDTO, TSEND_MECH_KPROBE, fd, buff, NULL, 0,
				 len, flags);
}

SEC("kretprobe")
int BPF_KRETPROBE(__sys_sendto_kretprobe, long ret)
{
	return handle_send_exit(TSEND_STAGE_SYS_SENDTO, TSEND_MECH_KRETPROBE, ret);
}

SEC("tp/syscalls/sys_enter_sendmsg")
int sys_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	handle_sendmsg_enter(ctx, TSEND_MECH_TP, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
	return 1;
}

SEC("tp/syscalls/sys_exit_sendmsg")
int sys_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	handle_send_exit(TSEND_STAGE_SYS_SENDMSG, TSEND_MECH_TP, ctx->ret);
	return 1;
}

SEC("fentry")
int BPF_PROG(__sys_sendmsg, int fd, struct user_msghdr *msg, unsigned int flags)
{
	return handle_sendmsg_enter(ctx, TSEND_MECH_FENTRY, fd, msg, flags);
}

SEC("fexit")
int BPF_PROG(__sys_sendmsg_exit, int fd, struct user_msghdr *msg, unsigned int flags,
	     bool forbid_cmsg_compat, long ret)
{
	return handle_send_exit(TSEND_STAGE_SYS_SENDMSG, TSEND_MECH_FEXIT, ret);
}

SEC("kprobe")
int BPF_KPROBE(__sys_sendmsg_kprobe, int fd, struct user_msghdr *msg, unsigned int flags)
{
	return handle_sendmsg_enter(ctx, TSEND_MECH_KPROBE, fd, msg, flags);
}

SEC("kretprobe")
int BPF_KRETPROBE(__sys_sendmsg_kretprobe, long ret)
{
	return handle_send_exit(TSEND_STAGE_SYS_SENDMSG, TSEND_MECH_KRETPROBE, ret);
}

/* sock_sendmsg's result for every send path, write(2) included (6.3+). */
static __always_inline int handle_send_length(void *ctx, __u8 mech, struct sock *sk, int ret,
					      int flags)
{
	struct tsend_send_event *e;

	if (targ_top || !sock_wanted(sk))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_head(&e->h, sizeof(*e), TSEND_STAGE_SOCK_SENDMSG, TSEND_KIND_SEND, TSEND_PHASE_EXIT,
		  mech, sk, NULL);
	fill_flow_sk(&e->flow, sk);
	e->ret = ret;
	e->flags = flags;
	take_stacks(ctx, &e->h, false);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send_length_btf, struct sock *sk, int ret, int flags)
{
	return handle_send_length(ctx, TSEND_MECH_TP_BTF, sk, ret, flags);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(sock_send_length_raw, struct sock *sk, int ret, int flags)
{
	return handle_send_length(ctx, TSEND_MECH_RAW_TP, sk, ret, flags);
}

SEC("fentry")
int BPF_PROG(sock_sendmsg, struct socket *sock, struct msghdr *msg)
{
	return handle_tcp(ctx, TSEND_STAGE_SOCK_SENDMSG, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY,
			  BPF_CORE_READ(sock, sk), NULL, 0, msg_left(msg));
}

SEC("kprobe")
int BPF_KPROBE(sock_sendmsg_kprobe, struct socket *sock, struct msghdr *msg)
{
	return handle_tcp(ctx, TSEND_STAGE_SOCK_SENDMSG, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY,
			  BPF_CORE_READ(sock, sk), NULL, 0, msg_left(msg));
}

SEC("fentry")
int BPF_PROG(inet_sendmsg, struct socket *sock, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_INET_SENDMSG, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY,
			  BPF_CORE_READ(sock, sk), NULL, 0, size);
}

SEC("kprobe")
int BPF_KPROBE(inet_sendmsg_kprobe, struct socket *sock, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_INET_SENDMSG, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY,
			  BPF_CORE_READ(sock, sk), NULL, 0, size);
}

SEC("fentry")
int BPF_PROG(tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG, TSEND_MECH_FENTRY, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, size);
}

SEC("kprobe")
int BPF_KPROBE(tcp_sendmsg_kprobe, struct sock *sk, struct msghdr *msg, size_t size)
{
	return handle_tcp(ctx, TSEND_STAGE_TCP_SENDMSG, TSEND_MECH_KPROBE, TSEND_PHASE_ENTRY, sk,
			  NULL, 0, size);
}

/*
 * With a task filter, a socket is followed from its connect(): the task
 * that moves it to SYN_SENT owns it, so the handshake is recorded too. It
 * is forgotten at close, before its address can be reused.
 */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state_raw, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	__u8 one = 1;

	if (newstate == TCP_SYN_SENT && task_wanted())
		bpf_map_update_elem(&socks, &key, &one, BPF_ANY);
	else if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&socks, &key);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
