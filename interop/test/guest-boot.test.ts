/**
 * The real guest (src/vm) on its own, before riplet's hooks are wired to it: QEMU creates the tap in a
 * lab namespace, a tiny up-script written here addresses it, and a dnsmasq started here serves DHCPv4
 * and router advertisements on it. The guest must boot, take its lease and its SLAAC address, answer
 * ping and HTTP from the host and ping the host itself, renew its lease in place; stopping it runs the
 * down-script; with static addressing it needs no server; a SIGKILLed QEMU takes its tap with it; a
 * failing up-script is named. Prints boot → lease / slaac and QEMU's memory (median of runs).
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildGuestImage } from "../../src/vm/image.js";
import {
  BUSYBOX,
  GUEST_CACHE,
  type Guest,
  guestDescribe,
  guestImage,
  rssKb,
  startGuest,
} from "../guest/index.js";
import { type Child, createLab, type Lab, median, waitFor } from "../lab/index.js";

const TAP = "tap0";
const RUNS = 5;
const BOOT_MS = 90_000;

guestDescribe("a real Linux guest behind a tap (QEMU TCG, cloud kernel, busybox)", () => {
  let lab: Lab;
  let upScript: string;
  let imageMs: number;
  let roles = 0;

  beforeAll(async () => {
    lab = createLab({ name: "guest-boot" });
    upScript = join(lab.dir, "up");
    // what riplet's hook will do, reduced to the addresses: the tap is the guest's router
    writeFileSync(
      upScript,
      '#!/bin/sh\nset -e\nip addr add 198.51.100.1/24 dev "$1"\nip addr add 2001:db8:42::1/64 dev "$1" nodad\nip link set "$1" up\n',
    );
    chmodSync(upScript, 0o755);
    const t0 = performance.now();
    await guestImage();
    imageMs = Math.round(performance.now() - t0);
  });
  afterAll(() => lab?.destroy());

  /** A fresh host namespace for one guest, so taps and leases never carry over between tests. */
  const hostNs = () => lab.addNamespace(`h${++roles}`);

  function startDnsmasq(ns: string): Child {
    const dir = lab.dir;
    return lab.spawn(ns, [
      "dnsmasq",
      "--no-daemon",
      `--interface=${TAP}`,
      "--bind-interfaces",
      "--port=0",
      "--no-resolv",
      "--no-hosts",
      "--dhcp-range=198.51.100.10,198.51.100.254,255.255.255.0,1h",
      "--dhcp-range=2001:db8:42::,ra-only,64",
      "--enable-ra",
      "--dhcp-option=option:router,198.51.100.1",
      `--dhcp-leasefile=${join(dir, `${ns}.leases`)}`,
      `--pid-file=${join(dir, `${ns}.pid`)}`,
      // without it dnsmasq pings every new address for ~3 s before offering it: that would be measured
      // as the guest's boot → lease (on a tap the guest is the only other host, so the check buys nothing)
      "--no-ping",
    ]);
  }

  const address = (cidr: string | undefined) => (cidr ?? "").split("/")[0]!;

  async function hostPings(ns: string, target: string): Promise<boolean> {
    const { code } = await lab.exec(ns, [BUSYBOX, "ping", "-c1", "-W2", target], { allowFail: true });
    return code === 0;
  }

  async function httpGet(ns: string, host: string): Promise<string> {
    const url = host.includes(":") ? `http://[${host}]/` : `http://${host}/`;
    // Node's fetch, not busybox wget: busybox 1.35's wget segfaults when given a timeout (-T)
    const get =
      "fetch(process.argv[1],{signal:AbortSignal.timeout(5000)}).then(r=>r.text()).then(t=>process.stdout.write(t))";
    return (await lab.exec(ns, [process.execPath, "-e", get, url])).stdout;
  }

  /** Boots a DHCP/SLAAC guest with its own dnsmasq; returns both, the guest past lease and slaac. */
  async function bootDhcpGuest(
    ns: string,
    hostname: string,
    downscript?: string,
  ): Promise<{ guest: Guest; dnsmasq: Child }> {
    const guest = await startGuest(lab, ns, {
      ifname: TAP,
      script: upScript,
      hostname,
      ...(downscript ? { downscript } : {}),
    });
    const dnsmasq = startDnsmasq(ns); // after QEMU: --bind-interfaces needs the tap to exist
    await guest.waitFor("lease", BOOT_MS);
    await guest.waitFor("slaac", BOOT_MS);
    return { guest, dnsmasq };
  }

  it("boots, takes a DHCP lease and a SLAAC address, and talks to the host both ways", async () => {
    const ns = await hostNs();
    const { guest, dnsmasq } = await bootDhcpGuest(ns, "alpha");
    const { ipv4, router, ipv6 } = guest.events;
    expect(ipv4).toMatch(/^198\.51\.100\.(\d+)\/24$/);
    const host = Number(/\.(\d+)\//.exec(ipv4!)![1]);
    expect(host).toBeGreaterThanOrEqual(10);
    expect(router).toBe("198.51.100.1");
    expect(ipv6).toMatch(/^2001:db8:42:0?:[0-9a-f:]+\/64$/);
    expect(guest.events.errors).toEqual([]);
    // the DHCP server learned the guest's name (what `riplet status` will list)
    expect(readFileSync(join(lab.dir, `${ns}.leases`), "utf8")).toContain(` ${address(ipv4)} alpha `);

    expect(await hostPings(ns, address(ipv4))).toBe(true);
    expect(await hostPings(ns, address(ipv6))).toBe(true);
    expect((await httpGet(ns, address(ipv4))).trim()).toBe("riplet-guest alpha");
    expect((await httpGet(ns, address(ipv6))).trim()).toBe("riplet-guest alpha");
    expect((await guest.exec("ping -c1 -W2 198.51.100.1")).code).toBe(0);
    expect((await guest.exec("ping -c1 -W2 2001:db8:42::1")).code).toBe(0);
    const routes = await guest.exec("ip route show default; ip -6 route show default");
    expect(routes.output).toMatch(/^default via 198\.51\.100\.1 dev eth0/m);
    expect(routes.output).toMatch(/^default via fe80::[0-9a-f:]+ dev eth0/m);
    expect(await guest.exec("echo out; echo err >&2; exit 7")).toEqual({ code: 7, output: "out\nerr\n" });

    expect(await guest.stop(5000)).toBe(0);
    await dnsmasq.stop(2000);
  });

  it("renews its lease in place (udhcpc keeps running), and stopping runs the down-script", async () => {
    const ns = await hostNs();
    const downscript = join(lab.dir, "down");
    const marker = join(lab.dir, "down-ran");
    writeFileSync(downscript, `#!/bin/sh\necho "$1" >${marker}\n`);
    chmodSync(downscript, 0o755);
    const { guest, dnsmasq } = await bootDhcpGuest(ns, "gamma", downscript);
    const first = guest.events.ipv4;
    // SIGUSR1 makes udhcpc renew now instead of at T1 (half the 1 h lease)
    expect((await guest.exec("kill -USR1 $(pidof udhcpc)")).code).toBe(0);
    await waitFor(() => guest.events.leases >= 2, { timeoutMs: 10_000, what: "a renewed lease" });
    expect(guest.events.ipv4).toBe(first);
    expect(await hostPings(ns, address(first))).toBe(true);

    expect(await guest.stop(5000)).toBe(0);
    expect(readFileSync(marker, "utf8")).toBe(`${TAP}\n`);
    await dnsmasq.stop(2000);
  });

  it("boots with static addressing (riplet.ip=…) and no DHCP server", async () => {
    const ns = await hostNs();
    const guest = await startGuest(lab, ns, {
      ifname: TAP,
      script: upScript,
      hostname: "beta",
      addressing: { cidr: "198.51.100.5/24", gateway: "198.51.100.1" },
    });
    const events = await guest.waitFor("lease", BOOT_MS);
    expect(events.ipv4).toBe("198.51.100.5/24");
    expect(events.router).toBe("198.51.100.1");
    expect(await hostPings(ns, "198.51.100.5")).toBe(true);
    expect((await guest.exec("ping -c1 -W2 198.51.100.1")).code).toBe(0);
    expect((await httpGet(ns, "198.51.100.5")).trim()).toBe("riplet-guest beta");

    // SIGKILL: no down-script runs, but the kernel deletes the tap with QEMU's file descriptor
    guest.kill("SIGKILL");
    await guest.exited;
    await waitFor(
      async () => (await lab.exec(ns, ["ip", "link", "show", TAP], { allowFail: true })).code !== 0,
      {
        timeoutMs: 5000,
        what: `${TAP} gone after QEMU's SIGKILL`,
      },
    );
  });

  it("a failing up-script: QEMU does not start, and the error names the script", async () => {
    const ns = await hostNs();
    const failing = join(lab.dir, "up-fails");
    writeFileSync(failing, "#!/bin/sh\necho cannot >&2\nexit 3\n");
    chmodSync(failing, 0o755);
    await expect(startGuest(lab, ns, { ifname: TAP, script: failing })).rejects.toThrow(
      `the tap up-script ${failing} failed`,
    );
  });

  it(`measures image build, boot → lease, boot → slaac and QEMU memory (median of ${RUNS})`, async () => {
    const toLease: number[] = [];
    const toSlaac: number[] = [];
    const toBooted: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ns = await hostNs();
      const { guest, dnsmasq } = await bootDhcpGuest(ns, `run${i}`);
      const e = guest.events;
      toBooted.push(e.booted!);
      toLease.push(e.lease! - e.booted!);
      toSlaac.push(e.slaac! - e.booted!);
      rss.push(await rssKb(guest.pid));
      await guest.stop(5000);
      await dnsmasq.stop(2000);
    }
    // cold: a cache directory of its own; cached: the same call again
    const cold = join(lab.dir, "cold-cache");
    let t0 = performance.now();
    await buildGuestImage(cold);
    const imageColdMs = Math.round(performance.now() - t0);
    t0 = performance.now();
    await buildGuestImage(cold);
    const imageCachedMs = Math.round(performance.now() - t0);
    console.log(
      JSON.stringify({
        test: "guest-boot",
        cache: GUEST_CACHE,
        imageFirstCallMs: imageMs,
        imageColdMs,
        imageCachedMs,
        qemuStartToBootedMedianMs: median(toBooted),
        bootToLeaseMedianMs: median(toLease),
        bootToSlaacMedianMs: median(toSlaac),
        qemuRssMedianKb: median(rss),
        toBooted,
        toLease,
        toSlaac,
        rss,
      }),
    );
    expect(toLease).toHaveLength(RUNS);
  });
});
