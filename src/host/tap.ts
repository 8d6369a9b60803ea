/**
 * Tap and sysctl plumbing for the hooks: the only place that runs iproute2 or writes /proc/sys.
 * Every operation is idempotent, so running a hook twice changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { HostError, runCommand } from "./exec.js";

export { HostError };

function ip(args: string[], timeoutMs = 2000): Promise<string> {
  return runCommand("ip", args, timeoutMs);
}

export function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export async function setLinkUp(name: string): Promise<void> {
  await ip(["link", "set", "dev", name, "up"]);
}

/**
 * `ip addr replace` adds the address or leaves it as it is: safe to repeat. IPv6 addresses skip
 * duplicate address detection: the tap is a link to one VM, DAD would hold the address unusable for
 * a second or more, and it never finishes while the VM's NIC is not up yet.
 */
export async function addAddress(name: string, cidr: string): Promise<void> {
  await ip(["addr", "replace", cidr, "dev", name, ...(cidr.includes(":") ? ["nodad"] : [])]);
}

/** Removes an address; an address or interface already gone is not an error. */
export async function removeAddress(name: string, cidr: string, timeoutMs: number): Promise<void> {
  if (!interfaceExists(name)) return;
  try {
    await ip(["addr", "del", cidr, "dev", name], timeoutMs);
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
