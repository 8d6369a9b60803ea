/**
 * The whole table's datagrams for one link and family, kept and sent again while the table, the link
 * and its settings are unchanged: with 20,000 routes, building them anew every 30 s was most of the
 * daemon's CPU and garbage (issue 6), and a whole-table answer costs no new memory. Datagrams signed
 * with a sequence number are built fresh every time. Split from speaker.ts: the periodic update and
 * the whole-table answer (receive.ts) both draw on it.
 */
import type { RouteTable } from "./table.js";
import type { Family, InterfaceConfig, LinkState } from "./types.js";
import { familyDatagrams } from "./updates.js";

interface Built {
  version: number;
  link: LinkState;
  config: InterfaceConfig | undefined;
  datagrams: Uint8Array[];
}

export class FullTableDatagrams {
  /** Link and family → the full table's datagrams, while the table, link and settings are unchanged. */
  private readonly built = new Map<string, Built>();

  constructor(
    private readonly table: RouteTable,
    private readonly nextSequence: () => number,
  ) {}

  /**
   * The datagrams of the previous time, as they are, unless the table, the link or its settings
   * changed, or the link signs with a sequence number. Signed, they are built fresh and a sequence
   * number is drawn: only call this for datagrams that will be sent.
   */
  on(link: LinkState, family: Family, config: InterfaceConfig | undefined): Uint8Array[] {
    const key = `${link.name} ${family}`;
    const cached = this.built.get(key);
    const version = this.table.version;
    if (cached && cached.version === version && cached.link === link && cached.config === config) {
      return cached.datagrams;
    }
    const datagrams = familyDatagrams(config, link, family, this.table.all(), () => this.nextSequence());
    const mode = family === "ipv4" ? (config?.ipv4?.auth.mode ?? "none") : "none";
    if (mode === "none" || mode === "simple") this.built.set(key, { version, link, config, datagrams });
    return datagrams;
  }
}
