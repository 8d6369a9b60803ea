/**
 * `riplet doctor TAP`, the guest's half: is the tap's DHCP/RA server there and listening on that tap,
 * and has the guest taken a lease? A server riplet runs cannot be asked from the host's side of the
 * tap (what the host sends into a tap goes to the guest), so doctor checks what answers would come
 * from: the dnsmasq the daemon reports, its DHCP socket bound to the tap (`ss` shows the device of
 * SO_BINDTODEVICE as `%tap0`), its ICMPv6 socket for RAs, and the leases it gave.
 */
import type { GuestReport } from "../guests/servers.js";
import { runCommand } from "../host/exec.js";
import type { CheckResult } from "./checks.js";

export interface GuestObservation {
  tap: string;
  /** What the config asks for this tap (taps.<tap> over guests); undefined without a config. */
  configured?: { dhcp: boolean; ra: boolean };
  /** The daemon's report for the tap; undefined when it serves none there (or cannot be asked). */
  report?: GuestReport;
  /** Sockets of the reported dnsmasq: a DHCP socket bound to the tap, an ICMPv6 one for RAs. */
  listening?: { dhcp: boolean; ra: boolean };
}

const HOOK_FIX = (tap: string) => `riplet hook up ${tap} starts it; the daemon's log says why it stopped`;

export function checkGuests(o: GuestObservation | undefined): CheckResult[] {
  if (!o) return [];
  const { tap, report, configured } = o;
  if (!report) {
    if (configured && (configured.dhcp || configured.ra)) {
      return [
        {
          check: "guests",
          status: "fail",
          message: `${tap}: the config asks for guest addressing (${serves(configured)}) but no server runs on it`,
          fix: HOOK_FIX(tap),
        },
      ];
    }
    return [
      {
        check: "guests",
        status: "ok",
        message: `${tap}: no guest addressing (guests off): give the guest a static address with the tap's address as its gateway`,
      },
    ];
  }
  if (!report.running) {
    return [
      {
        check: "guests",
        status: "fail",
        message: `${tap}: its DHCP/RA server is not running${report.lastError ? ` (${report.lastError})` : ""}; restarted ${report.restarts}x`,
        fix: HOOK_FIX(tap),
      },
    ];
  }
  const deaf = [
    report.dhcp && !o.listening?.dhcp ? `no DHCP socket bound to ${tap}` : "",
    report.ra && !o.listening?.ra ? "no ICMPv6 socket for router advertisements" : "",
  ].filter(Boolean);
  if (deaf.length > 0) {
    return [
      {
        check: "guests",
        status: "fail",
        message: `${tap}: dnsmasq pid ${report.pid} runs but has ${deaf.join(" and ")}`,
        fix: `riplet hook up ${tap} restarts it; run doctor as root so the sockets can be seen`,
      },
    ];
  }
  const serving = `${tap}: ${serves(report)} served by dnsmasq pid ${report.pid}, listening on ${tap}`;
  if (report.dhcp && report.leases.length === 0) {
    return [
      {
        check: "guests",
        status: "warn",
        message: `${serving}; no lease given yet`,
        fix: "is the guest running a DHCP client on its NIC (dhclient, udhcpc, systemd-networkd)?",
      },
    ];
  }
  const leases = report.leases.map((l) => `${l.address}${l.hostname ? ` (${l.hostname})` : ""}`).join(", ");
  return [{ check: "guests", status: "ok", message: `${serving}${leases ? `; leases: ${leases}` : ""}` }];
}

function serves(s: { dhcp: boolean; ra: boolean }): string {
  return [s.dhcp ? "DHCPv4" : "", s.ra ? "router advertisements" : ""].filter(Boolean).join(" + ");
}

/** The sockets `ss` lists for the pid: UDP port 67 bound to the tap, and a raw ICMPv6 one. */
export function parseSockets(
  udp: string,
  raw: string,
  pid: number,
  tap: string,
): { dhcp: boolean; ra: boolean } {
  const owned = (line: string) => line.includes(`pid=${pid},`);
  return {
    dhcp: udp.split("\n").some((l) => owned(l) && l.includes(`%${tap}:67 `)),
    ra: raw.split("\n").some((l) => owned(l) && /:ipv6-icmp|:58\b/.test(l)),
  };
}

export async function observeSockets(pid: number, tap: string): Promise<{ dhcp: boolean; ra: boolean }> {
  const [udp, raw] = await Promise.all([
    runCommand("ss", ["-H", "-u", "-l", "-p", "-n"]).catch(() => ""),
    runCommand("ss", ["-H", "-w", "-a", "-p", "-n", "-6"]).catch(() => ""),
  ]);
  return parseSockets(udp, raw, pid, tap);
}
