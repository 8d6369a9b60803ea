/**
 * The real guest for the interop tests: the image is built once per run into a cache that later runs
 * reuse, and every guest runs inside a lab namespace, so it dies with the lab: Lab.destroy(), the exit
 * handlers and the next run's sweep all SIGKILL whatever runs in the lab's namespaces, QEMU included.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "vitest";
import { Guest, type GuestOptions } from "../../src/vm/guest.js";
import { buildGuestImage, findGuestKernel, type GuestImage } from "../../src/vm/image.js";
import type { Lab } from "../lab/lab.js";
import { missingPrerequisites, underCi } from "../lab/preflight.js";
import { signalPid } from "../lab/proc.js";
import { LAB_ROOT, registerTeardown, unregisterTeardown } from "../lab/registry.js";

export { Guest, type GuestOptions } from "../../src/vm/guest.js";

export const GUEST_CACHE = join(LAB_ROOT, "guest-cache");
export const BUSYBOX = "/bin/busybox";
const DNSMASQ = "/usr/sbin/dnsmasq";

/** What the real-guest tests need beyond the suite's own prerequisites, in one line; "" when all is there. */
function missingGuest(): string {
  const found = findGuestKernel();
  const missing = [missingPrerequisites()].filter(Boolean);
  if ("missing" in found) missing.push(found.missing);
  if (!existsSync(DNSMASQ))
    missing.push(`${DNSMASQ} is missing; install it with: apt-get install -y dnsmasq-base`);
  return missing.join("; ");
}

/** `describe` for real-guest tests: skipped with the reason when something is missing, failed under CI. */
export function guestDescribe(name: string, body: () => void): void {
  const missing = missingGuest();
  if (missing === "") describe(name, body);
  else if (underCi())
    describe(name, () => {
      it("has its real-guest prerequisites", () => {
        throw new Error(
          `${missing} (CI=${process.env.CI}: a missing peer fails the suite instead of skipping it)`,
        );
      });
    });
  else {
    console.log(`skipping real-guest tests "${name}": ${missing}`);
    describe.skip(name, body);
  }
}

let image: Promise<GuestImage> | undefined;

/** The guest image, built at most once per test process (and reused from GUEST_CACHE across runs). */
export function guestImage(): Promise<GuestImage> {
  image ??= buildGuestImage(GUEST_CACHE);
  return image;
}

let macs = 0;

/** A locally administered unicast MAC, distinct for every guest this process starts. */
export function guestMac(): string {
  const n = (process.pid << 8) + ++macs;
  const bytes = [0x52, 0x54, 0x00, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * Starts a real guest in namespace `ns` of `lab`. Besides the lab's own teardown, the guest is
 * SIGKILLed by this process's exit handlers, so a crashed test never leaves a QEMU running.
 */
export async function startGuest(
  lab: Lab,
  ns: string,
  opts: Omit<GuestOptions, "image" | "netns" | "mac"> & { mac?: string },
): Promise<Guest> {
  const guest = await Guest.start({
    ...opts,
    mac: opts.mac ?? guestMac(),
    image: await guestImage(),
    netns: ns,
  });
  const id = `${lab.id}-guest-${guest.pid}`;
  registerTeardown(id, () => signalPid(guest.pid, "SIGKILL"));
  void guest.exited.then(() => unregisterTeardown(id));
  return guest;
}

/** Resident memory of a process in kB (QEMU's cost per guest). */
export async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}
