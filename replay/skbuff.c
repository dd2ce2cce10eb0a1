// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* mirrors the queue helpers of include/linux/skbuff.h and alloc_skb(),
 * net/core/skbuff.c, v6.1: only what the replay's TCP uses */
#include <stdlib.h>

#include "skbuff.h"

void skb_queue_head_init(struct sk_buff_head *q)
{
	q->next = q->prev = (struct sk_buff *)q;
}

bool skb_queue_empty(const struct sk_buff_head *q)
{
	return q->next == (const struct sk_buff *)q;
}

struct sk_buff *skb_peek(const struct sk_buff_head *q)
{
	return skb_queue_empty(q) ? NULL : q->next;
}

struct sk_buff *skb_peek_tail(const struct sk_buff_head *q)
{
	return skb_queue_empty(q) ? NULL : q->prev;
}

struct sk_buff *skb_queue_next(const struct sk_buff_head *q, const struct sk_buff *skb)
{
	return skb->next == (const struct sk_buff *)q ? NULL : skb->next;
}

void __skb_queue_after(struct sk_buff *prev, struct sk_buff *skb)
{
	skb->prev = prev;
	skb->next = prev->next;
	prev->next->prev = skb;
	prev->next = skb;
}

void __skb_queue_tail(struct sk_buff_head *q, struct sk_buff *skb)
{
	__skb_queue_after(q->prev, skb);
}

void __skb_unlink(struct sk_buff *skb)
{
	skb->prev->next = skb->next;
	skb->next->prev = skb->prev;
	skb->next = skb->prev = NULL;
}

void skb_queue_purge(struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = skb_peek(q))) {
		__skb_unlink(skb);
		kfree_skb(skb);
	}
}

struct sk_buff *alloc_skb(void)
{
	return calloc(1, sizeof(struct sk_buff));
}

void kfree_skb(struct sk_buff *skb)
{
	free(skb);
}
