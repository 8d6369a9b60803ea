/** The host's reading of the guest's serial console: events, command output frames, noise. */
import { describe, expect, it } from "vitest";
import { ConsoleParser, type GuestEventName, runLine } from "../../src/vm/console.js";

function parse(text: string | string[]) {
  const events: [GuestEventName, Record<string, string>][] = [];
  const results: [number, number, string][] = [];
  const lines: string[] = [];
  const parser = new ConsoleParser({
    line: (l) => lines.push(l),
    event: (name, data) => events.push([name, data]),
    result: (id, code, output) => results.push([id, code, output.toString("utf8")]),
  });
  for (const chunk of Array.isArray(text) ? text : [text]) parser.feed(chunk);
  return { events, results, lines, parser };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("guest console", () => {
  it("turns event lines into events with their facts, whatever the chunking and line endings", () => {
    const text =
      'RIPLET-GUEST booted {"hostname":"alpha","uptime":"2.18"}\r\n' +
      'RIPLET-GUEST lease {"cidr":"198.51.100.23/24","router":"198.51.100.1","leaseSeconds":"3600","source":"dhcp"}\r\n' +
      'RIPLET-GUEST slaac {"address":"2001:db8:42:0:5054:ff:fe12:3456/64"}\n';
    const whole = parse(text).events;
    const split = parse(text.match(/[\s\S]{1,7}/g)!).events;
    expect(split).toEqual(whole);
    expect(whole).toEqual([
      ["booted", { hostname: "alpha", uptime: "2.18" }],
      ["lease", { cidr: "198.51.100.23/24", router: "198.51.100.1", leaseSeconds: "3600", source: "dhcp" }],
      ["slaac", { address: "2001:db8:42:0:5054:ff:fe12:3456/64" }],
    ]);
  });

  it("ignores unknown events, broken JSON and lines that only look like events", () => {
    const { events, lines } = parse(
      'RIPLET-GUEST reboot {"x":1}\nRIPLET-GUEST lease {"cidr":\nxRIPLET-GUEST ready {}\nRIPLET-GUEST ready {}\n',
    );
    expect(events).toEqual([["ready", {}]]);
    expect(lines).toHaveLength(4);
  });

  it("decodes a command's framed output exactly, skipping stray lines inside the frame", () => {
    const output = "line one\n\tno newline at the end";
    const encoded = b64(output);
    const { results, events } = parse(
      `RIPLET-EXEC 4 begin\r\n${encoded.slice(0, 8)}\r\n[    5.1] virtio_net virtio0 eth0: renamed\r\n` +
        `RIPLET-GUEST slaac {"address":"2001:db8::5/64"}\r\n${encoded.slice(8)}\r\nRIPLET-EXEC 4 end 3\r\n`,
    );
    expect(results).toEqual([[4, 3, output]]);
    expect(events).toEqual([["slaac", { address: "2001:db8::5/64" }]]);
  });

  it("reports empty output, and ignores an end without its begin", () => {
    expect(parse("RIPLET-EXEC 9 end 0\nRIPLET-EXEC 2 begin\nRIPLET-EXEC 2 end 0\n").results).toEqual([
      [2, 0, ""],
    ]);
  });

  it("keeps the last 20 lines (and a partial one) for error messages", () => {
    const { parser } = parse(`${Array.from({ length: 30 }, (_, i) => `l${i}`).join("\n")}\nKernel panic`);
    const tail = parser.lastLines();
    expect(tail).toHaveLength(21);
    expect(tail[0]).toBe("l10");
    expect(tail.at(-1)).toBe("Kernel panic");
  });

  it("sends any sh text as one base64 line, and refuses what the guest's tty would cut", () => {
    const line = runLine(7, "echo 'a b'\nexit 2\n");
    expect(line).toBe(`RIPLET-RUN 7 ${b64("echo 'a b'\nexit 2\n")}\n`);
    expect(line.trimEnd().split(" ")).toHaveLength(3);
    expect(() => runLine(8, "x".repeat(3500))).toThrow(/too long/);
  });
});
