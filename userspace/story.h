/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One lifecycle or send() as text (tsend-trace skb): a waterfall, one line
 * per stage with its time from the first stage, the time since the stage
 * before, and a bar placed on a common time axis:
 *
 *   skb #12  10.0.0.1:5000>10.0.0.2:80  seq 1001-2449 (1448 bytes) [P.]
 *     len 1514, if 2, send() #4, acked after 52.110 µs
 *        at µs     +µs  cpu stage
 *        0.000   0.000    1 net_dev_queue       |#                   |
 *        1.553   1.553    1 net_dev_start_xmit  | #                  |
 *       ...
 *
 * or as one JSON object per line (--json). Strings from the trace are
 * escaped (tsend_text_str, tsend_json_str).
 */
#ifndef TSEND_STORY_H
#define TSEND_STORY_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "lifecycle.h"

/* origin: the time "at µs" counts from (a send()'s entry, for its frames);
 * 0 for the lifecycle's own first stage. */
void story_skb(FILE *out, const struct lc_skb *l, bool json, __u64 origin);
void story_send(FILE *out, const struct lc_send *s, bool json);

/* Which stories tsend-trace skb shows; zero fields select everything. */
struct story_filter {
	const char *flow; /* any part of "saddr:sport>daddr:dport" */
	bool have_seq;	  /* those holding TCP sequence number seq */
	__u32 seq;
	__u64 send_id; /* send() #send_id and its frames */
	__u64 skb_id;  /* skb #skb_id */
	__u64 addr;    /* skbs seen at this address */
	bool incomplete;
	__u64 max; /* stories picked at most; 0: no limit */
};

struct story_result {
	__u64 picked, more; /* stories shown; matching ones beyond max */
	__u64 malformed;    /* records skipped */
	char warning[256];  /* the reader's, if the file ended early */
};

/*
 * Reads the trace at path twice: first to pick the stories f selects (a
 * send() brings the frames that carried its bytes), then to keep a copy of
 * those, and prints each picked send() followed by its frames, then the
 * other skbs, in id order. Returns 0; -errno with err set when the file
 * cannot be read (what was picked before a corrupt block is still shown).
 */
int story_select(const char *path, const struct story_filter *f, bool json, FILE *out,
		 struct story_result *res, char *err, size_t errlen);

#endif /* TSEND_STORY_H */
