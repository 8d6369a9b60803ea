/**
 * riplet's hooks under real libvirt (issue 14 item 4), exactly as README's libvirt section says to set
 * them up: a domain with `<interface type='ethernet'>`, `<target dev>` naming the tap, and as
 * `<script>`/`<downscript>` two wrappers that export RIPLET_SOCKET/RIPLET_CONFIG (libvirt gives the
 * scripts a bare environment) and exec hooks/qemu-ifup and -ifdown; the tap's addresses come from
 * `taps.<tap>` in the config, the guest's from riplet's dnsmasq (`guests`). `virsh start` with the real
 * Linux guest: the guest is addressed and routed by FRR, the gateway reaches it; `virsh destroy`: the
 * routes are withdrawn and the tap's server stops. libvirt's own behaviour is in libvirt.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { kernelCommandLine } from "../../src/vm/init.js";
import { guestDescribe, guestImage, guestMac } from "../guest/index.js";
import {
  type Child,
  createPairLab,
  ethernetDomainXml,
  guestReports,
  HOST_IF,
  kernelHasAll,
  kernelHasNone,
  type Libvirt,
  libvirtMissing,
  type PairLab,
  REPO_ROOT,
  startDaemon,
  startGateway,
  startLibvirt,
  waitFor,
} from "../lab/index.js";

const TAP = "vm1tap";
const V4 = "198.51.100.0/24";
const V6 = "2001:db8:42::/64";

/** The guest's event lines (init.ts) as QEMU wrote its serial console to the file libvirt gave it. */
function consoleEvents(file: string): Record<string, Record<string, string>> {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {}
  const events: Record<string, Record<string, string>> = {};
  for (const m of text.matchAll(/^RIPLET-GUEST (\w+) (\{.*\})\r?$/gm)) events[m[1]!] = JSON.parse(m[2]!);
  return events;
}

guestDescribe("riplet's hooks under libvirt, with a real guest", () => {
  let pair: PairLab;
  let libvirt: Libvirt;
  let daemon: Child;
  let socket: string;
  let serial: string;

  beforeAll(async () => {
    const missing = libvirtMissing();
    if (missing) throw new Error(missing);
    pair = await createPairLab("libvirt-guest");
    await startGateway("frr", pair.lab, pair.gw);
    const dir = pair.lab.dir;
    socket = join(dir, "riplet.sock");
    const config = join(dir, "riplet.yaml");
    writeFileSync(
      config,
      `interfaces: [{ name: ${HOST_IF} }]\ncontrol: { socket: ${socket} }\nstate: ${join(dir, "state", "state.json")}\n` +
        `taps: { ${TAP}: { addresses: [198.51.100.1/24, 2001:db8:42::1/64] } }\nguests: { dhcp: true, ra: true }\n`,
    );
    // README: "point <script>/<downscript> at a wrapper" that sets what the hook should see
    const wrapper = (hook: string) => {
      const path = join(dir, `vm1-${hook}`);
      writeFileSync(
        path,
        `#!/bin/sh\nexport RIPLET_SOCKET=${socket} RIPLET_CONFIG=${config}\nexec ${join(REPO_ROOT, "hooks", `qemu-${hook}`)} "$@"\n`,
        { mode: 0o755 },
      );
      return path;
    };
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    libvirt = await startLibvirt(pair.lab, pair.host.ns);
    const image = await guestImage();
    serial = join(dir, "vm1.serial");
    await libvirt.defineDomain(
      ethernetDomainXml({
        name: "vm1",
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: kernelCommandLine("vm1", "dhcp"),
        memoryMb: 128,
        tap: TAP,
        mac: guestMac(),
        script: wrapper("ifup"),
        downscript: wrapper("ifdown"),
        serialLog: serial,
      }),
    );
  });
  afterAll(async () => {
    await libvirt?.stop();
    await pair?.lab.destroy();
  });

  const guests = () => guestReports(socket);

  it("virsh start: the tap addressed and announced, the guest leased and routed; virsh destroy: all gone", async () => {
    const t0 = performance.now();
    await libvirt.start("vm1"); // returns after <script> ran: the routes are announced already
    await waitFor(() => kernelHasAll(pair.lab, pair.gw.ns, [V4, V6]), { timeoutMs: 10_000, what: "routes" });
    const routedMs = Math.round(performance.now() - t0);
    await waitFor(
      () => consoleEvents(serial).slaac !== undefined && consoleEvents(serial).lease !== undefined,
      {
        timeoutMs: 120_000,
        what: "the guest's lease and SLAAC address",
      },
    );
    const addressedMs = Math.round(performance.now() - t0);
    const events = consoleEvents(serial);
    expect(events.lease?.router).toBe("198.51.100.1");
    const v4 = events.lease!.cidr!.split("/")[0]!;
    const v6 = events.slaac!.address!.split("/")[0]!;
    expect(v6.startsWith("2001:db8:42:")).toBe(true);
    const server = (await guests()).find((g) => g.tap === TAP);
    expect(server?.leases).toEqual([expect.objectContaining({ address: v4, hostname: "vm1" })]);
    for (const target of [v4, v6]) {
      const ping = await pair.lab.exec(pair.gw.ns, ["busybox", "ping", "-c", "1", "-W", "3", target], {
        allowFail: true,
      });
      expect(ping.code, `gateway → ${target}`).toBe(0);
    }
    const dnsmasq = server!.pid!;
    const d0 = performance.now();
    await libvirt.destroy("vm1"); // returns after <downscript> ran
    await waitFor(() => kernelHasNone(pair.lab, pair.gw.ns, [V4, V6]), {
      timeoutMs: 5000,
      intervalMs: 10,
      what: "withdrawal",
    });
    const withdrawnMs = Math.round(performance.now() - d0);
    expect(await guests()).toEqual([]);
    expect(() => process.kill(dnsmasq, 0)).toThrow();
    expect(daemon.running).toBe(true);
    console.log(
      JSON.stringify({
        test: "libvirt-guest",
        virshStartToRouteMs: routedMs,
        virshStartToAddressedMs: addressedMs,
        destroyToWithdrawnMs: withdrawnMs,
      }),
    );
  }, 240_000);
});
