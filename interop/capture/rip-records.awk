# rip-records.awk: turn `tcpdump -nn -vv -r FILE` output for RIPv1/v2/RIPng into records, one a line:
#   P n src dst family version command auth keyid authlen seqno csum ttl password
#   W n                      whole-table request entry
#   N n address              RIPng next-hop RTE (metric 0xff)
#   R n prefix tag metric nexthop
# A P record comes before the W/N/R records of its packet. "-" marks a field that does not apply.
# Written for mawk (Debian's default awk): no gawk extensions.

function hex2dec(h,    i, c, v) {
	h = tolower(h); sub(/^0x/, "", h); v = 0
	for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }
	return v
}
function classful(a,    o) { # RIPv1 entries carry no mask (RFC 1058 3.2): derive it from the class
	split(a, o, "."); o[1] += 0
	if (a == "0.0.0.0") return a "/0"
	if (o[1] < 128) return a "/8"
	if (o[1] < 192) return a "/16"
	return a "/24"
}
function strip_port(a) { sub(/\.[0-9]+:?$/, "", a); return a }
function addresses(line,    i, left, right, nl, lt, rt) {
	i = index(line, " > "); if (i == 0) return 0
	left = substr(line, 1, i - 1); right = substr(line, i + 3)
	nl = split(left, lt, " "); split(right, rt, " ")
	src = strip_port(lt[nl]); dst = strip_port(rt[1])
	csum = (line ~ /udp sum ok/) ? "ok" : (line ~ /bad udp cksum/ ? "bad" : "-")
	return 1
}
function flush(    i) {
	if (n == 0 || done[n]) return
	done[n] = 1
	printf "P %d %s %s %s %s %s %s %s %s %s %s %s %s\n", n, src, dst, fam, ver, cmd, auth, keyid, alen, seq, csum, ttl, pw
	for (i = 1; i <= nbuf; i++) print buf[i]
	nbuf = 0
}
function emit(s) { buf[++nbuf] = s }
function reset() {
	src = "-"; dst = "-"; ver = "-"; cmd = "-"; auth = "none"; keyid = "-"; alen = "-"; seq = "-"
	csum = "-"; ttl = "-"; pw = "-"; nh = "::"; nbuf = 0
}

/^[ \t]+0x[0-9a-f]+:/ { next } # hex dump lines (packet bytes, auth trailer)

/^[0-9]+:[0-9]+:[0-9]+\.[0-9]+ / {
	flush(); n++; reset()
	fam = ($0 ~ / IP6 /) ? "ipv6" : "ipv4"
	if (match($0, /ttl [0-9]+/)) ttl = substr($0, RSTART + 4, RLENGTH - 4)
	if (match($0, /hlim [0-9]+/)) ttl = substr($0, RSTART + 5, RLENGTH - 5)
	if (fam == "ipv6") {
		addresses($0); ver = 1
		if ($0 ~ /ripng-req/) { cmd = "request"; if ($0 ~ /ripng-req dump/) emit("W " n) }
		else if ($0 ~ /ripng-resp/) cmd = "response"
	}
	next
}
fam == "ipv4" && src == "-" && / > / { addresses($0); next }
/^\tRIPv[12], / {
	ver = substr($1, 5, 1); cmd = tolower($2); sub(/,$/, "", cmd)
	next
}
/Simple Text Authentication data: / {
	auth = "simple"; pw = $0; sub(/.*Authentication data: /, "", pw); sub(/[ \t]+$/, "", pw)
	next
}
/Auth header: / {
	auth = "crypto"; line = $0; sub(/.*Auth header: /, "", line); nf = split(line, f, ", ")
	for (i = 1; i <= nf; i++) {
		if (f[i] ~ /^Key-ID /) keyid = substr(f[i], 8)
		else if (f[i] ~ /^Auth Data Len /) alen = substr(f[i], 15)
		else if (f[i] ~ /^SeqNo /) seq = substr(f[i], 7)
	}
	next
}
/^\t  AFI 0,/ { if ($0 ~ /metric: 16/) emit("W " n); next } # whole-table request entry
/^\t  AFI IPv4,/ { # RIPv2: AFI IPv4, PREFIX, tag 0xTTTT, metric: M, next-hop: self|ADDR
	line = $0; gsub(/[ \t]+/, "", line); split(line, f, ",")
	hop = f[5]; sub(/^next-hop:/, "", hop); if (hop == "self") hop = "0.0.0.0"
	met = f[4]; sub(/^metric:/, "", met); tg = f[3]; sub(/^tag/, "", tg)
	emit("R " n " " f[2] " " hex2dec(tg) " " met " " hop)
	next
}
/^\t  [0-9.]+, metric: [0-9]+/ { # RIPv1: ADDRESS, metric: M
	line = $0; gsub(/[ \t,]+/, " ", line); split(line, f, " ")
	emit("R " n " " classful(f[1]) " - " f[3] " -")
	next
}
fam == "ipv6" && /^\t[0-9a-f:]+\/[0-9]+/ { # RIPng: PREFIX [TAG] (METRIC)
	pre = $1; tg = 0; met = $NF; gsub(/[()]/, "", met)
	if ($2 ~ /^\[/) { tg = $2; gsub(/[][]/, "", tg) }
	if (met == 255) { nh = pre; sub(/\/.*/, "", nh); emit("N " n " " nh); next }
	emit("R " n " " pre " " tg " " met " " nh)
	next
}
END { flush() }
