# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Sourced by tests/integration/replay_*.sh after tests/lib.sh: the checks
# every replayed trace gets. Needs $d (a scratch dir), $REPLAY, $TRACE and
# $CHECK (check_replay.py).

# rep N WORD...: WORD... N times over
rep() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do printf '%s ' "$@"; done
}

# verdict NAME: passes NAME if the command just before exited 0
verdict() {
	local st=$?
	if [ "$st" = 0 ]; then pass "$1"; else fail "$1"; fi
	return "$st"
}

# tshark_quiet FILE: tshark's stderr in FILE, less its root warning
tshark_quiet() {
	grep -v 'Running as user' "$1"
}

# verify_ok NAME: verify exits 0 and every kernel send-path frame is identical
verify_ok() {
	local rc=0
	"$REPLAY" verify --json "$d/$1.trace" >"$d/$1.verify.json" 2>"$d/$1.verify.err" || rc=$?
	python3 "$CHECK" verify "$1" "$d/$1.verify.json" "$rc" | tee "$d/$1.verify.line"
	if ! grep -q '^ok - ' "$d/$1.verify.line"; then
		"$REPLAY" verify -n 3 "$d/$1.trace" 2>&1 | head -40 | sed 's/^/    /'
	fi
}

# replay_checks NAME [TOTAL]: the checks every trace gets; with TOTAL (the
# bytes tcp_sender wrote on its one connection), that the wire view
# carries exactly those bytes
replay_checks() {
	local name=$1 total=${2:-} t=$d/$1.trace bad
	verify_ok "$name"
	# determinism: the same trace, the same bytes
	if "$REPLAY" run -q "$t" -o "pcap:$d/$name.dev1.pcap" --view device 2>"$d/$name.run.err" &&
		"$REPLAY" run -q "$t" -o "pcap:$d/$name.dev2.pcap" --view device 2>"$d/$name.run.err"; then
		check "$name: device view twice: byte-identical files" \
			cmp -s "$d/$name.dev1.pcap" "$d/$name.dev2.pcap"
		# the device view against the kernel's own frames
		if "$TRACE" pcap "$t" -o "$d/$name.kernel.pcapng" 2>"$d/$name.kpcap.err"; then
			python3 "$CHECK" device "$name" "$d/$name.dev1.pcap" "$d/$name.kernel.pcapng"
		else
			fail "$name: tsend-trace pcap exits 0"
			sed 's/^/    /' "$d/$name.kpcap.err"
		fi
	else
		fail "$name: run -o pcap:F --view device exits 0"
		sed 's/^/    /' "$d/$name.run.err"
	fi
	# the wire view: every checksum complete, as a NIC sends it
	if ! "$REPLAY" run "$t" -o "pcap:$d/$name.wire.pcap" 2>"$d/$name.run.err"; then
		fail "$name: run -o pcap:F (wire view) exits 0"
		sed 's/^/    /' "$d/$name.run.err"
		return
	fi
	! grep -q "did not keep" "$d/$name.run.err"
	verdict "$name: every payload byte was recorded (--payload all)" ||
		sed 's/^/    /' "$d/$name.run.err"
	[ -z "$total" ] || python3 "$CHECK" stream "$name" "$d/$name.wire.pcap" "$total"
	python3 "$CHECK" order "$name: wire view" "$d/$name.wire.pcap"
	tshark -r "$d/$name.wire.pcap" -w /dev/null -F pcap 2>"$d/$name.tshark.err" &&
		! tshark_quiet "$d/$name.tshark.err" | grep -q .
	verdict "$name: tshark reads the wire view without error" ||
		sed 's/^/    /' "$d/$name.tshark.err"
	if bad=$(tshark -r "$d/$name.wire.pcap" -o tcp.check_checksum:TRUE \
		-o ip.check_checksum:TRUE -Y "$BAD_CSUM" 2>/dev/null); then
		check "$name: wire view: no bad IP or TCP checksum ($(printf '%s' "$bad" | grep -c .) bad)" \
			[ -z "$bad" ]
		[ -z "$bad" ] || printf '%s\n' "$bad" | head -5 | sed 's/^/    /'
	else
		fail "$name: tshark checks the wire view's checksums"
	fi
}

# "Bad" is 0 in both fields' value strings (tshark 4.0: Bad 0, Good 1,
# Unverified 2); a check below shows the filter does catch the device
# view's partial checksums
BAD_CSUM='tcp.checksum.status == 0 || ip.checksum.status == 0'
