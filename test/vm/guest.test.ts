/**
 * Guest's side of the console protocol against a stand-in QEMU (a sh script on PATH that speaks like
 * the guest's /init), so start, events, exec, timeouts and QEMU's failures are tested without root.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Guest } from "../../src/vm/guest.js";

const dir = mkdtempSync(join(tmpdir(), "riplet-guest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// FAKE_MODE: ok (boots, leases, runs commands) | upfail (QEMU's message when the up-script fails) | die
writeFileSync(
  join(dir, "qemu-system-x86_64"),
  `#!/bin/sh
if [ "$FAKE_MODE" = upfail ]; then
	echo "qemu-system-x86_64: -netdev tap,id=n0,ifname=tap0,script=/etc/up,downscript=no: network script /etc/up failed with status 256" >&2
	exit 1
fi
echo 'RIPLET-GUEST booted {"hostname":"fake","uptime":"1.00"}'
if [ "$FAKE_MODE" = die ]; then echo "Kernel panic - not syncing"; exit 1; fi
echo 'RIPLET-GUEST lease {"cidr":"198.51.100.23/24","router":"198.51.100.1","source":"dhcp"}'
echo 'RIPLET-GUEST ready {"hostname":"fake"}'
while IFS= read -r line; do
	set -- $line
	[ "$1" = RIPLET-RUN ] || continue
	echo "$3" | base64 -d >"$TMPDIR/cmd"
	sh "$TMPDIR/cmd" </dev/null >"$TMPDIR/out" 2>&1
	rc=$?
	printf 'RIPLET-EXEC %s begin\\r\\n' "$2"
	base64 "$TMPDIR/out"
	echo "RIPLET-EXEC $2 end $rc"
done
`,
);
chmodSync(join(dir, "qemu-system-x86_64"), 0o755);

const image = { kernel: "/k", initrd: "/i", kernelVersion: "6.1.0-57-cloud-amd64" };
const guests: Guest[] = [];
afterEach(() => Promise.all(guests.splice(0).map((g) => g.stop(1000))));

async function start(mode: string, onLine?: (line: string) => void): Promise<Guest> {
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_MODE: mode, TMPDIR: dir };
  const guest = await Guest.start({
    image,
    ifname: "tap0",
    mac: "52:54:00:12:34:56",
    env,
    ...(onLine ? { onLine } : {}),
  });
  guests.push(guest);
  return guest;
}

describe("Guest (stand-in QEMU)", () => {
  it("records when each step happened and what the guest learned", async () => {
    const lines: string[] = [];
    const guest = await start("ok", (l) => lines.push(l));
    const events = await guest.waitFor("lease", 5000);
    expect(events).toMatchObject({ ipv4: "198.51.100.23/24", router: "198.51.100.1", leases: 1, errors: [] });
    expect(events.booted).toBeGreaterThanOrEqual(0);
    expect(events.lease).toBeGreaterThanOrEqual(events.booted!);
    expect(lines[0]).toContain("RIPLET-GUEST booted");
  });

  it("runs commands one at a time, with their exact output (stderr included) and exit code", async () => {
    const guest = await start("ok");
    const results = await Promise.all([
      guest.exec("echo one; echo two >&2"),
      guest.exec("printf 'no newline'; exit 4"),
      guest.exec("for i in 1 2 3; do\n  echo line $i\ndone"),
    ]);
    expect(results).toEqual([
      { code: 0, output: "one\ntwo\n" },
      { code: 4, output: "no newline" },
      { code: 0, output: "line 1\nline 2\nline 3\n" },
    ]);
  });

  it("a command that overruns its timeout is reported, and the next command still gets its own result", async () => {
    const guest = await start("ok");
    await expect(guest.exec("sleep 1; echo late", 200)).rejects.toThrow(/did not finish within 200 ms/);
    expect(await guest.exec("echo next", 5000)).toEqual({ code: 0, output: "next\n" });
  });

  it("waitFor times out with the guest's last console lines", async () => {
    const guest = await start("ok");
    await expect(guest.waitFor("slaac", 300)).rejects.toThrow(
      /no "slaac" within 300 ms[\s\S]*RIPLET-GUEST ready/,
    );
  });

  it("QEMU exiting ends every wait with what the console said last", async () => {
    const guest = await start("die");
    await expect(guest.waitFor("lease", 5000)).rejects.toThrow(
      /QEMU exited before "lease"[\s\S]*Kernel panic/,
    );
    expect(await guest.exited).toBe(1);
    await expect(guest.exec("true")).rejects.toThrow(/QEMU exited/);
  });

  it("an up-script that fails: start rejects naming the script", async () => {
    await expect(start("upfail")).rejects.toThrow(
      "QEMU could not start: the tap up-script /etc/up failed (status 256)",
    );
  });

  it("stop ends QEMU", async () => {
    const guest = await start("ok");
    await guest.waitFor("ready", 5000);
    await guest.stop(1000);
    await expect(guest.waitFor("slaac", 1000)).rejects.toThrow(/QEMU exited/);
  });
});
