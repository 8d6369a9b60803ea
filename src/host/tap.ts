/**
 * Tap and sysctl plumbing for the hooks: the only place that runs iproute2 or writes /proc/sys.
 * Every operation is idempotent, so running a hook twice changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { IFNAME } from "./addresses.js";
import { HostError, runCommand } from "./exec.js";

export { HostError };

/** Anything written into `ip -batch` input is one word: no space, no newline, no second command. */
const BATCH_WORD = /^[0-9A-Fa-f.:/]{1,49}$/;

function batchSafe(name: string, cidrs: readonly string[]): void {
  if (!IFNAME.test(name)) throw new HostError(`${JSON.stringify(name)} is not an interface name`);
  const bad = cidrs.find((cidr) => !BATCH_WORD.test(cidr));
  if (bad !== undefined) throw new HostError(`${JSON.stringify(bad)} is not an address like 198.51.100.1/24`);
}

/** A name that is not an interface name (`..`, `a/b`) names no interface. */
export function interfaceExists(name: string): boolean {
  return IFNAME.test(name) && name !== "." && name !== ".." && existsSync(`/sys/class/net/${name}`);
}

/** A tun/tap device (QEMU's, libvirt's): the only kind the hooks will touch (up and down). */
export function isTunTap(name: string): boolean {
  return interfaceExists(name) && existsSync(`/sys/class/net/${name}/tun_flags`);
}

/**
 * Link up and every address on, in one `ip -batch` process (one fork instead of one per address: this
 * is on the VM's start path). `ip addr replace` adds the address or leaves it as it is: safe to repeat.
 * IPv6 addresses skip duplicate address detection: the tap is a link to one VM, DAD would hold the
 * address unusable for a second or more, and it never finishes while the VM's NIC is not up yet.
 */
export async function configureTap(name: string, cidrs: readonly string[]): Promise<void> {
  batchSafe(name, cidrs);
  const lines = [`link set dev ${name} up`];
  for (const cidr of cidrs)
    lines.push(`addr replace ${cidr} dev ${name}${cidr.includes(":") ? " nodad" : ""}`);
  await runCommand("ip", ["-batch", "-"], 2000, `${lines.join("\n")}\n`);
}

/**
 * Removes addresses, in one `ip -force -batch` process; an address or interface already gone is not
 * an error (a down-script runs as the tap is being deleted).
 */
export async function removeAddresses(
  name: string,
  cidrs: readonly string[],
  timeoutMs: number,
): Promise<void> {
  if (cidrs.length === 0 || !interfaceExists(name)) return;
  batchSafe(name, cidrs);
  const lines = cidrs.map((cidr) => `addr del ${cidr} dev ${name}`);
  try {
    await runCommand("ip", ["-force", "-batch", "-"], timeoutMs, `${lines.join("\n")}\n`);
  } catch (error) {
    if (!/Cannot assign requested address|Cannot find device|does not exist/i.test((error as Error).message))
      throw error;
  }
}

const FORWARDING = ["/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"];

/** Turns on IPv4/IPv6 forwarding (needed to route the VM's traffic); returns what it changed. */
export function enableForwarding(families: { ipv4: boolean; ipv6: boolean }): string[] {
  const changed: string[] = [];
  for (const [i, path] of FORWARDING.entries()) {
    if ((i === 0 && !families.ipv4) || (i === 1 && !families.ipv6)) continue;
    try {
      if (readFileSync(path, "utf8").trim() === "1") continue;
      writeFileSync(path, "1\n");
      changed.push(path);
    } catch (error) {
      throw new HostError(
        `cannot turn on forwarding (${path}): ${(error as NodeJS.ErrnoException).code}; run as root`,
      );
    }
  }
  return changed;
}
