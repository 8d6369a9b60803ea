/**
 * `riplet demo` as a user runs it (SPEC §7): it builds its own lab, routes a VM through the real hook
 * path, checks the data path, withdraws, and leaves no namespace behind, also when interrupted.
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
  for (const gateway of ["riplet", "frr", "bird"]) {
    it(`routes, checks and withdraws a VM with the ${gateway} gateway, and cleans up`, async () => {
      const child = startChild(`demo ${gateway}`, [
        process.execPath,
        RIPLET,
        "demo",
        "--gateway",
        gateway,
        "--json",
      ]);
      const code = await child.exited;
      const events = child.jsonLines();
      expect(code, child.describe()).toBe(0);
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
      expect(events.filter((e) => e.event === "datapath").every((e) => e.ok === true)).toBe(true);
      console.log(
        JSON.stringify({
          test: "demo",
          gateway,
          learned: events.find((e) => e.event === "learned"),
          withdrawMs: events.find((e) => e.event === "withdrawn")?.withdrawMs,
        }),
      );
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
    expect(child.stderr).toMatch(/interrupted; the lab was removed/);
    expect(child.jsonLines().at(-1)?.event).toBe("cleanup");
    expect(await demoNamespaces()).toEqual([]);
  });
});
