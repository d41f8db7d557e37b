/**
 * Makes the installed app's PNG icons (web/public/icon-*.png, named by
 * web/public/manifest.webmanifest) from web/public/icon.svg. Run once after
 * changing the SVG and commit the PNGs:
 *
 *   node --import tsx scripts/make-icons.ts
 *
 * They are committed rather than made by every build: the build then needs
 * no native image library, and the bytes the server hands out do not depend
 * on the machine that built them.
 *
 * The maskable icon fills its whole square with the brand colour and keeps
 * the speech bubble inside the central 80 % circle, the part every launcher's
 * mask (circle, squircle, rounded square) leaves visible.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const publicDir = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "web",
  "public",
);
const svg = readFileSync(path.join(publicDir, "icon.svg"));

/** The SVG's speech bubble, on a full square, scaled to 60 % of the side around its centre (inside the 80 % safe circle). */
const maskable = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="#2563eb"/>` +
    `<g transform="translate(16 16) scale(0.6) translate(-16 -17)"><path d="M8 10h16v10H14l-6 4z" fill="white"/></g></svg>`,
);

const outputs: { file: string; source: Buffer; size: number }[] = [
  { file: "icon-192.png", source: svg, size: 192 },
  { file: "icon-512.png", source: svg, size: 512 },
  { file: "icon-maskable-512.png", source: maskable, size: 512 },
];

for (const { file, source, size } of outputs) {
  await sharp(source, { density: (72 * size) / 32 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(path.join(publicDir, file));
  console.info(`wrote web/public/${file} (${size}×${size})`);
}
