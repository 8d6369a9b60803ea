#!/usr/bin/env node
// riplet(8) from the command line's own help, so the page never falls behind it: the top-level help,
// then one section per command (`riplet help COMMAND`, and each subcommand's), then what the help
// does not say (hooks, files, environment). Commander already wraps the help at 80 columns, so each
// help text goes in as a no-fill block; a man page reader sees it exactly as `--help` prints it.
//   node packaging/manpage.mjs RIPLET_JS VERSION DATE > riplet.8
import { execFileSync } from "node:child_process";

const [script, version, date] = process.argv.slice(2);
if (!script || !version || !date) {
  console.error("usage: node packaging/manpage.mjs RIPLET_JS VERSION YYYY-MM-DD");
  process.exit(2);
}

const help = (...args) =>
  execFileSync(process.execPath, [script, ...args], {
    encoding: "utf8",
    // no terminal: commander wraps at 80 columns; no socket or config of this machine leaks in
    env: { PATH: process.env.PATH, LC_ALL: "C", COLUMNS: "80" },
  }).trimEnd();

/** Text made safe for roff: backslashes, minus signs, and lines that would read as requests. */
const roff = (text) =>
  text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join("\n");

const block = (text) => [".nf", roff(text), ".fi"];

/** Command names from a help text's "Commands:" list (each line starts with two spaces and a name). */
function commandNames(text) {
  const list = text.split(/^Commands:$/m)[1] ?? "";
  return [...list.matchAll(/^ {2}([a-z][a-z0-9-]*)/gm)].map((m) => m[1]).filter((n) => n !== "help");
}

const top = help("--help");
const description = top.split("\n\n")[1]?.replace(/\s+/g, " ").trim() ?? "";
const sections = [];
for (const name of commandNames(top)) {
  const text = help("help", name);
  sections.push(`.SS "riplet ${name}"`, ...block(text.replace(/\n\nExit status:[\s\S]*$/, "")));
  for (const sub of commandNames(text)) {
    sections.push(`.SS "riplet ${name} ${sub}"`, ...block(help(name, sub, "--help").replace(/\n\nExit status:[\s\S]*$/, "")));
  }
}

const page = [
  `.TH RIPLET 8 "${date}" "riplet ${roff(version)}" "System Administration"`,
  ".SH NAME",
  `riplet, riplet\\-qemu\\-ifup, riplet\\-qemu\\-ifdown \\- ${roff(description.replace(/^A /, "a "))}`,
  ".SH SYNOPSIS",
  ".B riplet",
  "[\\fB\\-\\-socket\\fR \\fIPATH\\fR] [\\fB\\-\\-log\\-level\\fR \\fILEVEL\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
  ".br",
  ".B riplet\\-qemu\\-ifup",
  ".I IFNAME",
  ".br",
  ".B riplet\\-qemu\\-ifdown",
  ".I IFNAME",
  ".SH DESCRIPTION",
  "riplet announces a VM's subnet to the host's gateway by RIPv2 (IPv4) and RIPng (IPv6) when the VM",
  "starts, and withdraws it when the VM stops. The daemon runs as the systemd service",
  ".BR riplet.service ;",
  "QEMU's and libvirt's tap scripts talk to it through its control socket.",
  ".SH OPTIONS",
  ...block(top.split(/^Options:\n/m)[1]?.split(/^Commands:$/m)[0]?.trimEnd() ?? ""),
  ".SH COMMANDS",
  ...sections,
  ".SH HOOKS",
  ".B riplet\\-qemu\\-ifup",
  "and",
  ".B riplet\\-qemu\\-ifdown",
  "(also /usr/libexec/riplet/qemu\\-ifup and qemu\\-ifdown) are QEMU's",
  ".B script=",
  "and",
  ".B downscript=",
  "and libvirt's",
  '.B "<script path=.../>"',
  "and",
  '.BR "<downscript path=.../>" .',
  "They run",
  ".B riplet hook up",
  "or",
  ".B riplet hook down",
  "with the tap's name, in one control socket round trip when the daemon runs. They need no PATH.",
  ".SH ENVIRONMENT",
  ".TP",
  ".B RIPLET_SOCKET",
  "the control socket (default /run/riplet/riplet.sock), like \\fB\\-\\-socket\\fR",
  ".TP",
  ".B RIPLET_CONFIG",
  "the config file read when no \\fB\\-c\\fR is given (daemon, check, hooks, doctor; default /etc/riplet/riplet.yaml)",
  ".TP",
  ".B RIPLET_ADDRESSES",
  "for a hook: the tap's addresses, e.g. 198.51.100.1/24,2001:db8:42::1/64 (else taps.IFNAME.addresses)",
  ".TP",
  ".B RIPLET_DHCP",
  "for a hook: 0 or 1, DHCPv4 for the guest on this tap (else taps.IFNAME.dhcp, then guests.dhcp)",
  ".TP",
  ".B RIPLET_RA",
  "for a hook: 0 or 1, router advertisements for the guest on this tap (else taps.IFNAME.ra, then guests.ra)",
  ".TP",
  ".B RIPLET_LOG",
  "for a hook that starts a detached daemon: its log file (default /var/log/riplet/daemon.log)",
  ".TP",
  ".B RIPLET_CODE_CACHE",
  "off: load the CLI without its code cache; debug: say for each file loaded whether its cache was used",
  ".SH FILES",
  ".TP",
  ".I /etc/riplet/riplet.yaml",
  "the daemon's configuration (commented; \\fBriplet check\\fR validates it)",
  ".TP",
  ".I /run/riplet/riplet.sock",
  "the control socket",
  ".TP",
  ".I /var/lib/riplet/state.json",
  "announced routes and the crypto sequence number, kept across restarts",
  ".TP",
  ".I /var/log/riplet/daemon.log",
  "the log of a daemon started by a hook where systemd does not run (rotated by logrotate);",
  "under systemd the log is in the journal: \\fBjournalctl \\-u riplet\\fR",
  ".TP",
  ".I /usr/lib/riplet/dist/cli/*.v8",
  "the CLI's V8 code cache, compiled by the package's postinst for this machine's node (a command starts",
  "faster with it, and the same without it); removed with the package",
  ".SH EXIT STATUS",
  "0 ok, 1 the operation failed (refused, timed out), 2 usage or config error (a refused prefix too),",
  "3 the daemon could not be reached.",
  ".SH SEE ALSO",
  ".BR systemctl (1),",
  ".BR journalctl (1),",
  ".BR qemu\\-system\\-x86_64 (1),",
  ".BR ripd (8),",
  ".BR bird (8);",
  "/usr/share/doc/riplet/",
];
process.stdout.write(`${page.join("\n")}\n`);
