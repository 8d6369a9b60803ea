/**
 * The state file's temp file when its name is known anyway (issue 13 item 7): randomBytes is pinned
 * here, so the test can plant a symlink at the very name the writer will use. O_EXCL|O_NOFOLLOW must
 * refuse it rather than write through it.
 */
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { writeStateAtomically } from "../../src/daemon/state.js";

vi.mock("node:crypto", async (original) => ({
  ...(await original<typeof import("node:crypto")>()),
  randomBytes: (n: number) => Buffer.alloc(n, 0xab),
}));

describe("state temp file at a known name", () => {
  it("a symlink planted at the exact temp name is refused, never followed", async () => {
    const d = mkdtempSync(join(tmpdir(), "riplet-state-temp-"));
    const victim = join(d, "victim");
    writeFileSync(victim, "precious\n");
    const path = join(d, "state.json");
    const temp = join(d, `.state.json.tmp-${"ab".repeat(12)}`);
    symlinkSync(victim, temp);
    await expect(writeStateAtomically(path, { version: 2, routes: [], sequence: 1 })).rejects.toThrow(
      /EEXIST/,
    );
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(readdirSync(d).sort()).toEqual([`.state.json.tmp-${"ab".repeat(12)}`, "victim"]);
  });
});
