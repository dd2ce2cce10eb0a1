#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace top on real traffic, in network namespaces this test creates
# (198.51.100.0/24 is TEST-NET-2; the host's routes are never touched). Its
# sums are checked against the workload's own numbers: bytes at least the
# payload sent, the device path's steps counted, a port filter that keeps
# everything out, and, across a veth whose peer goes down for a while,
# drops and retransmits.
set -u
. "$(dirname "$0")/../lib.sh"
requires "top" || exit 0
d=$(tmpdir)
ns=tsend-top-$$
na=tsend-top-a-$$
nb=tsend-top-b-$$
cleanup() {
	# a top left running would keep the harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	for n in "$ns" "$na" "$nb"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$d"
}
trap cleanup EXIT

ip netns add "$ns" && ip -n "$ns" link set lo up
check "a new namespace with its lo up" [ $? = 0 ] || exit 0
port=$((20000 + RANDOM % 20000))
unused=$((port + 1))

# top_ns NAME TOP_ARGS... -- SENDER_ARGS...: top in $ns following a
# tcp_sender it starts; the sender's own output goes to NAME.send
top_ns() {
	local name=$1 rc=0 args=()
	shift
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	# shellcheck disable=SC2016 # expanded by the sh it starts
	ip netns exec "$ns" "$TRACE" top "${args[@]}" -- \
		sh -c 'out=$1; shift; exec "$@" >"$out"' sh "$d/$name.send" "$SENDER" "$@" \
		>"$d/$name.out" 2>"$d/$name.err" || rc=$?
	check "$name: top exits 0" [ "$rc" = 0 ]
	check "$name: no program refused by the verifier" \
		bash -c "! grep -q 'rejected by the verifier' '$d/$name.err'"
}

# sums FILE.jsonl: "frames bytes drops retransmits" over every row and refresh
sums() {
	python3 -c '
import json, sys
t = [0, 0, 0, 0]
for line in open(sys.argv[1]):
    for r in json.loads(line)["rows"]:
        for i, k in enumerate(("frames", "bytes", "drops", "retransmits")):
            t[i] += r[k]
print(*t)' "$1"
}

# steps FILE.jsonl: "from>to count" per step, over every row and refresh
steps() {
	python3 -c '
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    for r in json.loads(line)["rows"]:
        for t in r["transitions"]:
            n[t["from"] + ">" + t["to"]] += t["count"]
for k, v in sorted(n.items()):
    print(k, v)' "$1"
}

# has_steps NAME FILE.jsonl: the device path of every frame on lo is counted
has_steps() {
	local s
	steps "$2" >"$2.steps"
	for s in net_dev_queue\>net_dev_start_xmit net_dev_start_xmit\>net_dev_xmit \
		net_dev_xmit\>consume_skb; do
		# shellcheck disable=SC2016 # awk's fields
		check "$1: $s counted ($(awk -v s="$s" '$1 == s {print $2}' "$2.steps"))" \
			awk -v s="$s" '$1 == s && $2 > 0 {ok = 1} END {exit !ok}' "$2.steps"
	done
}

# 1. --by dev, JSON, by port alone: started before the workload, stopped
# by SIGINT after it, with a last refresh; every byte sent is there
sizes=(100 2000 70000 5 1448 1 65536)
payload=$((100 + 2000 + 70000 + 5 + 1448 + 1 + 65536))
ip netns exec "$ns" "$TRACE" top --json -i 1 -P "$port" >"$d/dev-json.out" 2>"$d/dev-json.err" &
top=$!
wait_for "$d/dev-json.err" "Ctrl-C to stop" || fail "dev-json: top did not start"
ip netns exec "$ns" "$SENDER" loop -w 100 "$port" "${sizes[@]}" >/dev/null
kill -INT "$top"
rc=0
wait "$top" || rc=$?
check "dev-json: top exits 0 on SIGINT" [ "$rc" = 0 ]
check "dev-json: no program refused by the verifier" \
	bash -c "! grep -q 'rejected by the verifier' '$d/dev-json.err'"
check "dev-json: every line is a JSON object with rows" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
sys.exit(not lines or any("rows" not in json.loads(l) for l in lines))' "$d/dev-json.out"
read -r frames bytes drops retrans < <(sums "$d/dev-json.out")
check "dev-json: frames counted ($frames)" [ "${frames:-0}" -gt 0 ]
check "dev-json: bytes ($bytes) at least the payload sent ($payload)" \
	[ "${bytes:-0}" -ge "$payload" ]
check "dev-json: drops ($drops) add up to their named reasons" python3 -c '
import json, sys
rows = [r for l in open(sys.argv[1]) for r in json.loads(l)["rows"]]
sys.exit(any(r["drops"] != sum(r["drop_reasons"].values()) or
             any(k.isdigit() for k in r["drop_reasons"]) for r in rows))' "$d/dev-json.out"
check "dev-json: every row is lo, named in top's namespace" python3 -c '
import json, sys
rows = [r for l in open(sys.argv[1]) for r in json.loads(l)["rows"]]
sys.exit(not rows or any(r["dev"] != "lo" or r["ifindex"] != 1 for r in rows))' "$d/dev-json.out"
has_steps dev-json "$d/dev-json.out"

# 2. --by flow, text, following the command until it exits: the sender's
# flow carries the payload
top_ns flow-text --by flow -i 1 -P "$port" -- loop -w 100 "$port" "${sizes[@]}"
sport=$(awk '/^sport/ {print $2}' "$d/flow-text.send")
fbytes=$(awk -v f="127.0.0.1:$sport>127.0.0.1:$port:" \
	'$1 == f {sub(",", "", $5); b += $5} END {print b + 0}' "$d/flow-text.out")
check "flow-text: each refresh is a block headed by a time line" \
	grep -Eq '^tsend-trace top  [0-9-]+ [0-9:]+  interval [0-9.]+ s  by flow$' \
	"$d/flow-text.out"
check "flow-text: flow $sport>$port carries at least the payload ($fbytes of $payload)" \
	[ "$fbytes" -ge "$payload" ]
check "flow-text: a step line with count and bucket bounds" \
	grep -Eq '^  net_dev_queue → net_dev_start_xmit +[1-9][0-9]* +<[0-9.]+[num]?s ' \
	"$d/flow-text.out"

# 3. -n 2 -i 1 during a longer transfer: two refreshes, each with traffic;
# top stops its command after the second
long=()
for _ in $(seq 400); do long+=(1000); done
top_ns n2-text -n 2 -i 1 --hist -P "$port" -- loop -w 20 "$port" "${long[@]}"
check "n2-text: exactly 2 refreshes" [ "$(grep -c '^tsend-trace top ' "$d/n2-text.out")" = 2 ]
check "n2-text: lo has frames in both" \
	[ "$(grep -Ec '^lo: frames [1-9]' "$d/n2-text.out")" = 2 ]
check "n2-text: --hist draws bars" grep -Eq '^    \[[0-9KM]+, [0-9KM]+\) +[0-9]+ \|@+ *\|$' \
	"$d/n2-text.out"
top_ns n2-json -n 2 -i 1 --json --by flow -P "$port" -- loop -w 20 "$port" "${long[@]}"
check "n2-json: exactly 2 lines, each a refresh with a flow of port $port" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ok = len(lines) == 2
for l in lines:
    o = json.loads(l)
    ok &= o["by"] == "flow" and o["interval_s"] > 0
    ok &= any(r["flow"].endswith(":" + sys.argv[2]) and r["frames"] > 0 for r in o["rows"])
sys.exit(not ok)' "$d/n2-json.out" "$port"

# 4. a port nothing uses: the command's traffic is all filtered out
top_ns unused -n 2 -i 1 --json -P "$unused" -- loop -w 20 "$port" "${long[@]}"
check "unused port: 2 refreshes, no rows" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
sys.exit(len(lines) != 2 or any(json.loads(l)["rows"] for l in lines))' "$d/unused.out"

# 5. drops and retransmits: a veth between two namespaces whose receiving
# end goes down for a while mid-transfer
veth_pair "$na" "$nb"
check "veth pair between two new namespaces" [ $? = 0 ] || exit 0
ip netns exec "$nb" timeout 60 "$SENDER" recv "$port" >"$d/recv.out" &
recv=$!
wait_for "$d/recv.out" listening || fail "veth: receiver did not start"
flap=()
for _ in $(seq 100); do flap+=(1000); done
ip netns exec "$na" "$TRACE" top --json -i 0.5 -P "$port" -- sh -c 'exec "$@" >/dev/null' sh \
	"$SENDER" send -w 50 198.51.100.2 "$port" "${flap[@]}" >"$d/veth.out" 2>"$d/veth.err" &
top=$!
# down once frames flow, up again 1 s later: the transfer goes on 5 s
wait_for "$d/veth.out" '"frames":[1-9]' || fail "veth: no frames seen before the link went down"
ip -n "$nb" link set vb down
sleep 1
ip -n "$nb" link set vb up
rc=0
wait "$top" || rc=$?
timeout 30 tail --pid="$recv" -f /dev/null
check "veth: top exits 0" [ "$rc" = 0 ]
check "veth: the receiver got every byte after all" grep -q "received 100000" "$d/recv.out"
read -r frames bytes drops retrans < <(sums "$d/veth.out")
check "veth: bytes ($bytes) at least the payload sent (100000)" [ "${bytes:-0}" -ge 100000 ]
check "veth: drops counted while the peer was down ($drops)" [ "${drops:-0}" -gt 0 ]
check "veth: retransmits counted after it came back ($retrans)" [ "${retrans:-0}" -gt 0 ]
check "veth: drops and retransmits are va's" python3 -c '
import json, sys
rows = [r for l in open(sys.argv[1]) for r in json.loads(l)["rows"]]
bad = [r for r in rows if (r["drops"] or r["retransmits"]) and r["dev"] != "va"]
sys.exit(bool(bad) or not any(r["drop_reasons"] for r in rows))' "$d/veth.out"
