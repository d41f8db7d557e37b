import { DOMAINS, type Domain, type Versions, zeroVersions } from "./common.js";

/**
 * Cursor codec: `chat:<v>,system:<v>,marketing:<v>`; a missing domain means 0.
 * Returns null for anything malformed (unknown domain, repeated domain,
 * non-integer version) so callers can answer `bad_request`.
 */
export function parseCursor(text: string): Versions | null {
  const versions = zeroVersions();
  if (text.trim() === "") return versions;
  if (text.length > 200) return null;
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const match = /^(chat|system|marketing):(\d{1,15})$/.exec(part.trim());
    if (!match || seen.has(match[1]!)) return null;
    seen.add(match[1]!);
    versions[match[1] as Domain] = Number(match[2]);
  }
  return versions;
}

export function formatCursor(versions: Versions): string {
  return DOMAINS.map((d) => `${d}:${versions[d]}`).join(",");
}
