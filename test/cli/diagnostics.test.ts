/**
 * Diagnostics that fail fast and say what is wrong (issue 16 point 6): each case is what a user
 * typed and what they must see, in-process through runCli.
 */
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

describe("riplet run", () => {
  it("refuses an -i interface that does not exist, at once, in one line, exit 2", async () => {
    const { code, out, err } = await cli("run", "198.51.100.0/24", "-i", "up9");
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^riplet run: -i up9: no such interface \(there are .*lo/);
  });
});
