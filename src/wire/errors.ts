/**
 * The one error the wire layer throws. A structural fault (the datagram cannot be parsed as a whole)
 * throws WireError and the caller drops the datagram; faults in the meaning of one RTE are returned as
 * skip reasons instead (see validate.ts), so one bad route never costs the rest of the packet.
 */
export type WireErrorCode =
  | "TRUNCATED" // fewer bytes than a field needs
  | "TRAILING_BYTES" // payload is not header + whole entries
  | "BAD_COMMAND" // RFC 2453 §4 / RFC 2080 §2.1: command must be 1 (request) or 2 (response)
  | "BAD_VERSION" // version 0, or a version this family does not define
  | "BAD_AUTH" // authentication entry or trailer is malformed (RFC 2082, RFC 4822)
  | "TOO_LARGE" // encoded packet exceeds the MTU / maximum datagram size
  | "BAD_VALUE" // a value to encode is out of range
  | "BAD_PACKET" // a captured frame's link, IP or UDP header is malformed
  | "PCAP_BAD_FILE" // not a pcap/pcapng file, or a corrupt block/record header
  | "PCAP_UNSUPPORTED"; // a link type or format version we cannot read

export class WireError extends Error {
  override readonly name = "WireError";
  constructor(
    readonly code: WireErrorCode,
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Throws TRUNCATED unless `need` bytes are available at `offset`. Call before every read. */
export function need(buf: Uint8Array, offset: number, need: number, what: string, end = buf.length): void {
  // `end` is where the datagram stops inside buf: reading past it would parse the next one's bytes
  if (offset < 0 || offset + need > end) {
    throw new WireError(
      "TRUNCATED",
      offset,
      `${what}: need ${need} bytes at offset ${offset}, only ${Math.max(0, end - offset)} left`,
    );
  }
}
