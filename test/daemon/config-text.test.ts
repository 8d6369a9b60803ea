import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/daemon/config.js";
import { parseText } from "../../src/daemon/config-text.js";

const noSecrets = (path: string): string => {
  throw new Error(`no ${path}`);
};

const JSON_CONFIG = `{
  "interfaces": [{ "name": "eth0" }],
  "routes": [{ "prefix": "198.51.100.0/24", "owner": "tap0" }, { "prefix": "2001:db8:42::/64" }]
}`;

describe("config text", () => {
  it("reads JSON and YAML to the same value", () => {
    const yaml =
      "interfaces: [{ name: eth0 }]\nroutes:\n  - { prefix: 198.51.100.0/24, owner: tap0 }\n  - { prefix: 2001:db8:42::/64 }\n";
    expect(parseText(JSON_CONFIG)).toEqual(parseText(yaml));
  });

  it("takes YAML flow text that only looks like JSON", () => {
    expect(parseText("{ interfaces: [{ name: eth0 }] } # a comment")).toEqual({
      ok: true,
      value: { interfaces: [{ name: "eth0" }] },
    });
  });

  it("names the line of a syntax error in JSON text", () => {
    const bad = '{\n  "interfaces": [{ "name": "eth0" }],\n  "routes": [\n}';
    expect(() => parseConfigText(bad, "riplet.json", noSecrets)).toThrow(
      /^riplet\.json:4: not valid YAML or JSON/,
    );
  });

  it("names the line of a schema error in JSON text", () => {
    const bad = '{\n  "interfaces": [{ "name": "eth0" }],\n  "routes": [{ "prefix": "198.51.100.1/24" }]\n}';
    expect(() => parseConfigText(bad, "riplet.json", noSecrets)).toThrow(
      /^riplet\.json:3: routes\[0\]\.prefix: 198\.51\.100\.1\/24 has host bits set/,
    );
  });

  it("gives every route the same keys, and JSON output no empty ones", () => {
    const config = parseConfigText(JSON_CONFIG, "riplet.json", noSecrets);
    const [owned, plain] = config.routes;
    expect(Object.keys(owned!)).toEqual(Object.keys(plain!));
    expect(JSON.parse(JSON.stringify(plain))).not.toHaveProperty("owner");
    expect(owned!.owner).toBe("tap0");
  });
});

// The child-process path runs from the build (dist/); `npm ci` builds it, a bare checkout may not have it.
const built = new URL("../../dist/src/daemon/config-text.js", import.meta.url);
describe.runIf(existsSync(built))("config text parsed in a child process", () => {
  it("returns what this process would, errors included", async () => {
    const { parseTextIsolated } = (await import(
      built.href
    )) as typeof import("../../src/daemon/config-text.js");
    const yaml = "interfaces: [{ name: eth0 }]\nroutes:\n  - { prefix: 198.51.100.0/24 }\n";
    expect(parseTextIsolated(yaml)).toEqual(parseText(yaml));
    expect(parseTextIsolated("a: [1\nb: 2")).toEqual(parseText("a: [1\nb: 2"));
    expect(parseTextIsolated("a: [1\nb: 2")).toMatchObject({ ok: false, fault: { line: 2 } });
  });
});
