/**
 * Each person's own avatar colour, from their user id: the same on every
 * screen and device, with no setting to sync. Ten hues, each dark enough for
 * white initials at WCAG AA (≥ 4.5:1, checked in avatar-color.test.ts); the
 * same colours in light and dark mode, so the contrast is the same in both.
 */
export const AVATAR_PALETTE = [
  "#b91c1c", // red
  "#c2410c", // orange
  "#a16207", // ochre
  "#4d7c0f", // lime
  "#15803d", // green
  "#0f766e", // teal
  "#0369a1", // sky
  "#4338ca", // indigo
  "#a21caf", // fuchsia
  "#be185d", // pink
] as const;

/** FNV-1a (32 bit) over the id's UTF-16 units: cheap, stable, and spreads ids evenly. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function avatarColorIndex(userId: string): number {
  return hash(userId) % AVATAR_PALETTE.length;
}

export function avatarColor(userId: string): string {
  return AVATAR_PALETTE[avatarColorIndex(userId)]!;
}
