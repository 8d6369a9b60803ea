/**
 * The Debian package's /etc/riplet/riplet.yaml (packaging/debian/riplet.yaml): as shipped it is refused
 * with the line to edit (the postinst then does not start the service), and with its commented-out
 * examples turned on it is a valid config that touches every section of SPEC §4.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/daemon/config.js";
import { configSchema } from "../../src/daemon/config-schema.js";

const SHIPPED = readFileSync(new URL("../../packaging/debian/riplet.yaml", import.meta.url), "utf8");
const secret = (path: string) => {
  expect(path).toBe("/etc/riplet/key");
  return "s3cret";
};
const parse = (text: string) => parseConfigText(text, "/etc/riplet/riplet.yaml", secret, () => true);

/**
 * The examples turned on, as a user would: `#key` and `#  key` lines lose their `#`; prose comments
 * (`# Text`) stay, and the placeholder `interfaces: []` gives way to the example uplink.
 */
function uncommented(text: string): string {
  return text
    .split("\n")
    .filter((line) => line !== "interfaces: []")
    .map((line) => (/^#(?! \S)/.test(line) ? line.slice(1) : line))
    .join("\n");
}

describe("packaging/debian/riplet.yaml", () => {
  it("is refused as shipped, naming the line of the uplink list to fill in", () => {
    const line = SHIPPED.split("\n").indexOf("interfaces: []") + 1;
    expect(line).toBeGreaterThan(0);
    expect(() => parse(SHIPPED)).toThrow(ConfigError);
    expect(() => parse(SHIPPED)).toThrow(
      `/etc/riplet/riplet.yaml:${line}: interfaces: list at least one uplink interface`,
    );
  });

  it("is a valid config with its examples turned on", () => {
    const config = parse(uncommented(SHIPPED));
    expect(config.interfaces.map((i) => i.name)).toEqual(["eth0"]);
    expect(config.routes.map((r) => r.prefix.text)).toEqual(["198.51.100.0/24", "198.51.103.10/32"]);
    expect(config.withdrawOnExit).toBe(true);
  });

  it("explains every section of the config", () => {
    const shown = new Set([...uncommented(SHIPPED).matchAll(/^([a-zA-Z]+):/gm)].map((m) => m[1]));
    expect([...Object.keys(configSchema.entries)].filter((key) => !shown.has(key))).toEqual([]);
  });
});
