/**
 * `riplet demo` as a user runs it (SPEC §7): it builds its own lab, routes a VM through the real hook
 * path, checks the data path, withdraws, and leaves no namespace behind, also when interrupted. With
 * the guest's packages installed (CI installs them) the VM is a real Linux guest addressed by riplet's
 * DHCP/RA, reached from the gateway and reaching the gateway's far side; `--no-guest` falls back to
 * QEMU without a guest and `--no-qemu` to a plain tap, each with the tap's UDP echo as the data path.
 */
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { exec, interopDescribe, startChild, waitFor } from "../lab/index.js";

const RIPLET = fileURLToPath(new URL("../../bin/riplet.js", import.meta.url));

async function demoNamespaces(): Promise<string[]> {
  const { stdout } = await exec(["ip", "netns", "list"]);
  return stdout.split("\n").filter((l) => l.startsWith("riplet-demo-"));
}

interopDescribe("riplet demo", () => {
  const run = async (label: string, args: string[]) => {
    const child = startChild(`demo ${label}`, [process.execPath, RIPLET, "demo", ...args, "--json"]);
    const code = await child.exited;
    expect(code, child.describe()).toBe(0);
    return child.jsonLines();
  };

  for (const gateway of ["riplet", "frr", "bird"]) {
    it(`boots a real guest, addresses, routes, reaches and withdraws it with the ${gateway} gateway, and cleans up`, async () => {
      const events = await run(gateway, ["--gateway", gateway]);
      expect(events.map((e) => e.event)).toEqual([
        "lab",
        "gateway",
        "vm",
        "learned",
        "booted",
        "lease",
        "slaac",
        "datapath",
        "datapath",
        "far-side",
        "far-side",
        "stop",
        "withdrawn",
        "cleanup",
      ]);
      expect(events.find((e) => e.event === "vm")?.vm).toBe("guest");
      expect(events.find((e) => e.event === "lease")?.ipv4).toMatch(/^198\.51\.100\.\d+\/24$/);
      expect(
        events.filter((e) => e.event === "datapath" || e.event === "far-side").every((e) => e.ok === true),
      ).toBe(true);
      console.log(
        JSON.stringify({
          test: "demo",
          gateway,
          learned: events.find((e) => e.event === "learned"),
          leaseMs: events.find((e) => e.event === "lease")?.leaseMs,
          routeAheadOfLeaseMs: events.find((e) => e.event === "lease")?.routeAheadMs,
          withdrawMs: events.find((e) => e.event === "withdrawn")?.withdrawMs,
        }),
      );
      expect(await demoNamespaces()).toEqual([]);
    });
  }

  for (const [flag, kind] of [
    ["--no-guest", "qemu"],
    ["--no-qemu", "tap"],
  ]) {
    it(`${flag}: ${kind === "qemu" ? "QEMU without a guest" : "a plain tap"}, the tap's echo as the data path`, async () => {
      const events = await run(flag, [flag!]);
      expect(events.map((e) => e.event)).toEqual([
        "lab",
        "gateway",
        "vm",
        "learned",
        "datapath",
        "datapath",
        "stop",
        "withdrawn",
        "cleanup",
      ]);
      expect(events.find((e) => e.event === "vm")?.vm).toBe(kind);
      expect(events.filter((e) => e.event === "datapath").every((e) => e.ok === true)).toBe(true);
      expect(await demoNamespaces()).toEqual([]);
    });
  }

  it("Ctrl-C in the middle removes the lab and says so", async () => {
    const child = startChild("demo interrupted", [process.execPath, RIPLET, "demo", "--json"]);
    await waitFor(() => child.stdout.includes('"event":"vm"') || !child.running, {
      timeoutMs: 20_000,
      what: "the VM step",
    });
    child.signal("SIGINT");
    expect(await child.exited).toBe(1);
    // under --json the error is the last object on stdout (SPEC §2), right after the cleanup event
    const lines = child.jsonLines();
    expect(lines.at(-1)).toEqual({
      ok: false,
      error: { code: "FAILED", message: "interrupted; the lab was removed" },
    });
    expect(lines.at(-2)?.event).toBe("cleanup");
    expect(await demoNamespaces()).toEqual([]);
  });
});
