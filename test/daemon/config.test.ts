import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/daemon/config.js";

const noSecrets = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: "ENOENT" });
};
const parse = (text: string, readSecret = noSecrets) => parseConfigText(text, "riplet.yaml", readSecret);

function error(text: string): string {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("config was accepted");
}

const FULL = `
interfaces:                     # uplinks toward the gateway(s)
  - name: eth0
    ipv4:
      version: 2
      auth: { mode: hmac-sha256, keys: [{ id: 3, secret: s3cret }] }
      neighbors: [192.0.2.1]
    ipv6: true
routes: [{ prefix: 198.51.100.0/24, metric: 1, tag: 0 }]
allow: [198.51.100.0/22, 2001:db8::/32]
allowDefault: false
timers: { update: 30, timeout: 180, garbage: 120 }
triggered: { mode: fast }
withdrawOnExit: true
control: { socket: /run/riplet/riplet.sock, mode: "0600" }
state: /var/lib/riplet/state.json
taps: { tap0: { addresses: [198.51.100.1/24, 2001:db8:42::1/64] } }
`;

describe("config (SPEC §4)", () => {
  it("reads the SPEC example", () => {
    const config = parse(FULL);
    expect(config.interfaces).toEqual([
      {
        name: "eth0",
        ipv4: {
          auth: { mode: "hmac-sha256", keys: [{ id: 3, secret: Buffer.from("s3cret") }] },
          neighbors: ["192.0.2.1"],
          multicast: true,
        },
        ipv6: { neighbors: [], multicast: true },
      },
    ]);
    expect(config.routes.map((r) => [r.prefix.text, r.metric, r.tag])).toEqual([["198.51.100.0/24", 1, 0]]);
    expect(config.allow?.map((p) => p.text)).toEqual(["198.51.100.0/22", "2001:db8::/32"]);
    expect(config.timers).toEqual({ updateMs: 30_000, timeoutMs: 180_000, garbageMs: 120_000 });
    // a command check over the socket would run as root: off unless the config turns it on
    expect(config.control).toEqual({
      socket: "/run/riplet/riplet.sock",
      mode: 0o600,
      allowCommandChecks: false,
    });
    expect(config.taps.tap0!.addresses).toEqual(["198.51.100.1/24", "2001:db8:42::1/64"]);
  });

  it("reads JSON and fills defaults", () => {
    const config = parse('{"interfaces":[{"name":"eth0"}]}');
    expect(config.interfaces[0]).toEqual({
      name: "eth0",
      ipv4: { auth: { mode: "none" }, neighbors: [], multicast: true },
      ipv6: { neighbors: [], multicast: true },
    });
    expect(config).toMatchObject({
      allowDefault: false,
      triggered: "fast",
      withdrawOnExit: true,
      state: "/var/lib/riplet/state.json",
    });
  });

  it("reads secretFile through the injected reader", () => {
    const config = parse(
      "interfaces: [{ name: eth0, ipv4: { auth: { mode: md5, keys: [{ id: 1, secretFile: /etc/riplet/key }] } } }]",
      (path) => (path === "/etc/riplet/key" ? "from-file" : ""),
    );
    expect(config.interfaces[0]!.ipv4!.auth).toEqual({
      mode: "md5",
      keys: [{ id: 1, secret: Buffer.from("from-file") }],
    });
  });

  it.each([
    ["interfaces: []", /riplet\.yaml:1: interfaces: list at least one uplink interface/],
    [
      "interfaces:\n  - name: eth0\n    ipv4:\n      auth: { mode: sha256 }\n",
      /riplet\.yaml:4: interfaces\[0\]\.ipv4\.auth\.mode: /,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes:\n  - { prefix: 198.51.100.1/24 }\n",
      /riplet\.yaml:3: routes\[0\]\.prefix: 198\.51\.100\.1\/24 has host bits set; did you mean 198\.51\.100\.0\/24\?/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nallow: [198.51.100.0/24]\nroutes: [{ prefix: 203.0.113.0/24 }]\n",
      /:3: routes\[0\]\.prefix: 203\.0\.113\.0\/24 is outside the allow list/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 0.0.0.0/0 }]\n",
      /default route; set allowDefault: true/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 198.51.100.0/24, metric: 16 }]\n",
      /:2: routes\[0\]\.metric: must be a whole number from 1 to 15 \(got 16\)$/,
    ],
    [
      "interfaces: [{ name: eth0, ipv4: { neighbors: [gateway] } }]",
      /interfaces\[0\]\.ipv4\.neighbors\[0\]: must be an IP address/,
    ],
    ["interfaces: [{ name: eth0 }]\ncontrol: { mode: 600x }", /:2: control\.mode: /],
    // the unknown field's own line, and the fields that are allowed there
    [
      "interfaces: [{ name: eth0 }]\nbogus: 1\n",
      /riplet\.yaml:2: bogus: unknown field; the fields here are interfaces, routes, allow, /,
    ],
    [
      "interfaces:\n  - name: eth0\n    ipv4: { muticast: false }\n",
      /riplet\.yaml:3: interfaces\[0\]\.ipv4\.muticast: unknown field; the fields here are version, auth, neighbors, multicast$/,
    ],
    [
      "interfaces: [{ name: eth0 }]\ntimers: { update: 0 }\n",
      /:2: timers\.update: must be a number of seconds above 0 and up to 86400 \(got 0\)$/,
    ],
    ["{}", /riplet\.yaml:1: interfaces: missing; this field is required$/],
    ["interfaces: eth0", /riplet\.yaml:1: interfaces: must be a list, e\.g\. \[\{ name: eth0 \}\]$/],
    ["interfaces: []", /interfaces: list at least one uplink interface: interfaces: \[\{ name: eth0 \}\]$/],
    [
      "interfaces: [{ name: eth0, ipv4: { auth: { mode: sha1 } } }]",
      /interfaces\[0\]\.ipv4\.auth\.mode: must be one of none, simple, md5, hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512$/,
    ],
    [
      "interfaces: [{ name: eth0, ipv4: 3 }]",
      /interfaces\[0\]\.ipv4: expected true, false or \{ auth, neighbors, multicast \}/,
    ],
    ["interfaces: [{ name: eth0 }, { name: eth0 }]", /interfaces\[1\]\.name: eth0 is listed twice/],
    [
      "interfaces: [{ name: eth0, ipv4: { auth: { mode: md5 } } }]",
      /auth\.keys: mode md5 needs at least one key/,
    ],
    [
      "interfaces: [{ name: eth0, ipv4: { auth: { mode: md5, keys: [{ id: 1, secretFile: /nope }] } } }]",
      /secretFile: cannot read \/nope: ENOENT/,
    ],
    ["interfaces: [{ name: eth0 ]", /riplet\.yaml:1: not valid YAML or JSON/],
    // issue 13: the next-hop rule of the control socket and the state file, with the line
    [
      "interfaces: [{ name: eth0 }]\nroutes:\n  - prefix: 198.51.100.0/24\n    nextHop: bogus\n",
      /riplet\.yaml:4: routes\[0\]\.nextHop: "bogus" is not an IP address/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 198.51.100.0/24, nextHop: 224.0.0.1 }]\n",
      /:2: routes\[0\]\.nextHop: 224\.0\.0\.1 is multicast/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 198.51.100.0/24, nextHop: 'fe80::1' }]\n",
      /routes\[0\]\.nextHop: fe80::1 is IPv6 but the route is IPv4/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: '2001:db8::/32', nextHop: 192.0.2.1 }]\n",
      /routes\[0\]\.nextHop: 192\.0\.2\.1 is IPv4 but the route is IPv6/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: '::ffff:127.0.0.0/104' }]\n",
      /routes\[0\]\.prefix: ::ffff:127\.0\.0\.0\/104 is IPv4-mapped/,
    ],
    [
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 198.51.100.0/24, owner: 'tap 0' }]\n",
      /routes\[0\]\.owner: an interface name/,
    ],
    [
      "interfaces: [{ name: eth0 }]\ntaps:\n  tap0:\n    addresses: [198.51.100.1/24/x]\n",
      /:4: taps\.tap0\.addresses\[0\]: "198\.51\.100\.1\/24\/x" is not an interface address/,
    ],
  ])("%j is refused with the field and line", (text, message) => {
    expect(error(text)).toMatch(message);
  });

  it("keeps a usable next hop, canonical", () => {
    const config = parseConfigText(
      "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: '2001:db8::/32', nextHop: 'FE80::1%eth0' }]\n",
      "riplet.yaml",
      () => "",
    );
    expect(config.routes[0]!.nextHop).toBe("fe80::1");
  });

  it("never puts a secret in an error", () => {
    const message = error(
      "interfaces: [{ name: eth0, ipv4: { auth: { mode: md5, keys: [{ id: 1, secret: 0123456789abcdefXYZ }] } } }]",
    );
    expect(message).toMatch(/at most 16 bytes/);
    expect(message).not.toContain("0123456789abcdefXYZ");
  });
});

describe("guests (SPEC §4): addressing for the VMs behind the taps", () => {
  const withDnsmasq = (text: string, installed: boolean) =>
    parseConfigText(text, "riplet.yaml", noSecrets, () => installed);

  it("is off unless asked for; taps.<ifname> may turn it on or off per tap", () => {
    expect(withDnsmasq("interfaces: [{ name: eth0 }]\n", false).guests).toEqual({
      dhcp: false,
      ra: false,
      dns: [],
    });
    const config = withDnsmasq(
      "interfaces: [{ name: eth0 }]\nguests: { dhcp: true, ra: true, dns: [203.0.113.53, '2001:db8::53'] }\ntaps: { tap0: { addresses: [198.51.100.1/24], ra: false } }\n",
      true,
    );
    expect(config.guests).toEqual({ dhcp: true, ra: true, dns: ["203.0.113.53", "2001:db8::53"] });
    expect(config.taps.tap0).toEqual({ addresses: ["198.51.100.1/24"], ra: false });
  });

  it("without dnsmasq installed is refused at load, naming the field and the apt line", () => {
    const attempt = () =>
      withDnsmasq(
        "interfaces: [{ name: eth0 }]\ntaps:\n  tap0: { addresses: [198.51.100.1/24], dhcp: true }\n",
        false,
      );
    expect(attempt).toThrow(
      "riplet.yaml:3: taps.tap0.dhcp: guest addressing needs dnsmasq, which is not installed; install it with: apt-get install -y dnsmasq-base",
    );
    // off everywhere: dnsmasq is not needed
    expect(() => withDnsmasq("interfaces: [{ name: eth0 }]\nguests: { dhcp: false }\n", false)).not.toThrow();
  });

  it("refuses a DNS server that is not an address", () => {
    expect(error("interfaces: [{ name: eth0 }]\nguests: { dns: [ns1.example] }\n")).toMatch(
      /guests\.dns\[0\]: an IPv4 or IPv6 address/,
    );
  });
});
