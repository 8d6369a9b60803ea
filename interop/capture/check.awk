# check.awk: check the records of one capture (from rip-records.awk) against what the lab configured.
# Variables (-v):
#   speakers  "SRC|PREFIXFILE|AUTH|KEYID|AUTHLEN|SECRET;..." first one is the router under test;
#             AUTH none|simple|crypto; "-" for a field that does not apply
#   version   expected RIP version (RIPng: 1)
#   tagged    "PREFIX|TAG" or ""    metricp  "PREFIX|METRIC" or ""    nexthopp  "PREFIX|ADDR" or ""
#   min_updates  every configured prefix must be announced at least this many times
#   answers_min, answers_max  bounds on unicast Responses (answers to Requests), if set
#   progress  1: only print "A W" (A: fewest announcements of any configured prefix, W: 1 when every
#             speaker has withdrawn every prefix) so the capture can stop as soon as it has enough
# Prints one summary line; prints "ERROR: ..." lines and exits 1 when something does not hold.

function err(m) { errors++; if (errors <= 12 && !progress) printf "ERROR: %s\n", m }
function unicast(a) { return a !~ /^(224\.0\.0\.9|ff02::9|.*\.255)$/ }
BEGIN {
	ns = split(speakers, sp, ";")
	for (i = 1; i <= ns; i++) {
		split(sp[i], f, "|"); s = f[1]; order[i] = s; known[s] = 1
		eauth[s] = f[3]; ekey[s] = f[4]; ealen[s] = f[5]; esecret[s] = f[6]
		while ((getline p < f[2]) > 0) if (p != "") { want[s, p] = 1; nwant[s]++; wlist[s, nwant[s]] = p }
		close(f[2])
	}
	primary = order[1]
	split(tagged, t, "|"); split(metricp, m, "|"); split(nexthopp, h, "|")
}
$1 == "P" {
	n = $2; s = $3; src[n] = s; cmd[n] = $7; packets++
	if ($7 == "request") { requests++; reqauth[$8 ($9 == "-" ? "" : " key " $9)]++ }
	else if ($7 == "response") { responses++; if (unicast($4)) uresp++ }
	else err("packet " n ": neither request nor response")
	if ($6 != version) err("packet " n ": version " $6 ", want " version)
	if ($12 != "ok") err("packet " n ": UDP checksum " $12)
	if (!(s in known)) { err("packet " n ": unexpected source " s); next }
	ttls[$13] = 1
	if ($7 != "response") next
	if ($8 != eauth[s]) err("packet " n ": auth " $8 ", want " eauth[s])
	if (ekey[s] != "-" && $9 != ekey[s]) err("packet " n ": key id " $9 ", want " ekey[s])
	if (ealen[s] != "-" && $10 != ealen[s]) err("packet " n ": auth data length " $10 ", want " ealen[s])
	if (eauth[s] == "simple" && $14 != esecret[s]) err("packet " n ": password " $14 ", want " esecret[s])
	if ($11 != "-") {
		if ((s in lastseq) && $11 + 0 < lastseq[s]) err("packet " n ": sequence number went back")
		if (!(s in firstseq)) firstseq[s] = $11
		lastseq[s] = $11 + 0
	}
	next
}
$1 == "W" { wholetable++; next }
$1 == "N" { nhrtes++; next }
$1 == "R" {
	n = $2; s = src[n]; p = $3
	if (cmd[n] != "response" || !(s in known)) next
	if (++rtes[n] > maxrtes) maxrtes = rtes[n]
	if ($5 >= 16) { withdrawn[s, p]++; next }
	if (!((s, p) in want)) { err("packet " n ": " s " announces " p ", which it was not given"); next }
	announced[s, p]++
	if (s != primary) next
	if ($4 != "-") {
		if (p == t[1] && $4 != t[2]) err(p " tag " $4 ", want " t[2])
		if (p != t[1] && $4 != 0) err(p " tag " $4 ", want 0")
	}
	if (p == m[1] && $5 != m[2]) err(p " metric " $5 ", want " m[2])
	if (p != m[1] && $5 != 1) err(p " metric " $5 ", want 1")
	if ($6 != "-") {
		if (p == h[1] && $6 != h[2]) err(p " next hop " $6 ", want " h[2])
		if (p != h[1] && $6 != "0.0.0.0" && $6 != "::") err(p " next hop " $6 ", want none")
	}
	next
}
END {
	if (progress) {
		mina = -1; allw = 1
		for (i = 1; i <= ns; i++) for (j = 1; j <= nwant[order[i]]; j++) {
			c = announced[order[i], wlist[order[i], j]] + 0
			if (mina < 0 || c < mina) mina = c
			if (!(withdrawn[order[i], wlist[order[i], j]] > 0)) allw = 0
		}
		print mina, allw
		exit 0
	}
	summary = sprintf("%d packets: %d requests", packets, requests)
	for (a in reqauth) summary = summary sprintf(" (auth %s)", a)
	summary = summary sprintf(", %d responses (%d unicast)", responses, uresp)
	if (requests < 1 || wholetable < 1) err("no whole-table request")
	if (answers_min != "" && uresp < answers_min + 0) err(uresp + 0 " unicast responses, want >= " answers_min)
	if (answers_max != "" && uresp > answers_max + 0) err(uresp + 0 " unicast responses, want <= " answers_max)
	for (i = 1; i <= ns; i++) {
		s = order[i]; min = -1; nw = 0
		for (j = 1; j <= nwant[s]; j++) {
			p = wlist[s, j]; c = announced[s, p] + 0
			if (c == 0) err(s " never announced " p)
			if (min < 0 || c < min) min = c
			if (withdrawn[s, p] > 0) nw++
		}
		if (min < min_updates) err(s ": some prefix announced only " min " times, want " min_updates)
		if (nw != nwant[s]) err(s ": withdrew " nw " of " nwant[s] " prefixes")
		summary = summary sprintf("; %s: %d prefixes, each announced >= %d times, %d withdrawn", s, nwant[s], min, nw)
		if (s in firstseq) summary = summary sprintf(", seq %s..%s", firstseq[s], lastseq[s])
	}
	summary = summary sprintf("; <= %d RTEs/packet", maxrtes)
	if (nhrtes) summary = summary sprintf(", %d next-hop RTEs", nhrtes)
	tl = ""; for (x in ttls) tl = tl (tl == "" ? "" : ",") x
	summary = summary sprintf(", ttl/hlim %s", tl)
	print summary
	exit errors > 0
}
