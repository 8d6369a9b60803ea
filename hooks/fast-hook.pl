#!/usr/bin/perl
# The fast path of hooks/qemu-ifup and -ifdown: when a riplet daemon runs, ask it to set up (or tear
# down) the tap in one control-socket round trip, instead of starting Node.js (about 130 ms) for it.
# Uses no module at all (perl-base is Debian Essential): `use Socket` and `use warnings` alone would
# take 12 of the 18 ms it costs to start, so the two Linux constants it needs are written out.
#   perl fast-hook.pl up|down IFNAME     env: RIPLET_SOCKET, RIPLET_ADDRESSES, RIPLET_DHCP, RIPLET_RA
# Exit 0 done, 1 refused by the daemon (one line on stderr), 75 "use the Node.js hook instead": no
# daemon to talk to, an input this client does not vouch for, or a daemon too old to know the op.
use strict;

# <sys/socket.h> on Linux: AF_UNIX = 1, SOCK_STREAM = 1; sockaddr_un = u16 family + path.
my ($AF_UNIX, $SOCK_STREAM) = (1, 1);

my ($action, $ifname) = @ARGV;
$action //= "";
my $FALLBACK = 75;
exit $FALLBACK unless defined $ifname && ($action eq "up" || $action eq "down");
# Only what needs no escaping goes into the JSON; anything else gets the Node.js hook's full checks.
# \z, not $: a trailing newline must not pass. The daemon parses each address strictly (one slash, a
# unicast address, an admissible network, host/addresses.ts); this only keeps the JSON well-formed.
exit $FALLBACK unless $ifname =~ /\A[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}\z/;
my @addresses = grep { length } split /[\s,]+/, ($ENV{RIPLET_ADDRESSES} // "");
exit $FALLBACK if @addresses > 32;
for (@addresses) { exit $FALLBACK unless m{\A[0-9A-Fa-f.:]{2,45}/[0-9]{1,3}\z} }

# RIPLET_DHCP / RIPLET_RA: 0 or 1 (anything else: the Node.js hook explains what is wrong)
my $guests = "";
for (["RIPLET_DHCP", "dhcp"], ["RIPLET_RA", "ra"]) {
  my ($name, $key) = @$_;
  my $value = $ENV{$name} // "";
  next if $value eq "";
  exit $FALLBACK unless $value eq "0" || $value eq "1";
  $guests .= ",\"$key\":" . ($value eq "1" ? "true" : "false");
}

my $path = $ENV{RIPLET_SOCKET} || "/run/riplet/riplet.sock";
exit $FALLBACK if length($path) > 107;
socket(my $sock, $AF_UNIX, $SOCK_STREAM, 0) or exit $FALLBACK;
connect($sock, pack("S Z*", $AF_UNIX, $path)) or exit $FALLBACK;

my $list = join(",", map { "\"$_\"" } @addresses);
my $request = "{\"id\":1,\"op\":\"hook\",\"action\":\"$action\",\"ifname\":\"$ifname\""
  . (@addresses ? ",\"addresses\":[$list]" : "") . ($action eq "up" ? $guests : "") . "}\n";
# SPEC §6: the down-script never holds QEMU for more than 2 s; an up-script gives up after 5 s.
local $SIG{ALRM} = sub { print STDERR "riplet hook $action $ifname: no answer from the daemon on $path\n"; exit($action eq "up" ? 1 : 0) };
alarm($action eq "up" ? 5 : 2);
syswrite($sock, $request) == length($request) or exit $FALLBACK;
my $reply = "";
while ($reply !~ /\n/) {
  my $n = sysread($sock, my $chunk, 65536);
  last unless $n;
  $reply .= $chunk;
}
alarm(0);
# BUSY (every control slot taken): the Node.js hook retries it with a backoff
exit $FALLBACK if $reply eq "" || $reply =~ /"code":"(?:UNKNOWN_OP|BUSY)"/;
exit 0 if $reply =~ /"ok":true/;
my ($message) = $reply =~ /"message":"((?:[^"\\]|\\.)*)"/;
$message = "the daemon refused the request" unless defined $message;
$message =~ s/\\(["\\\/])/$1/g;
print STDERR "riplet hook $action $ifname: $message\n";
exit($action eq "up" ? 1 : 0);
