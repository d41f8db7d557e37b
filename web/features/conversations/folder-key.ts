/** Where this tab remembers the folder it shows (sessionStorage); no dependency, the boot script reads it too (web/boot/first-paint.ts). */
export const folderStorageKey = (userId: string): string => `courier:folder:${userId}`;

/** The remembered folder as the first paint compares it: none and All are one (folders.ts: parseFolderKey). */
export const rememberedFolder = (stored: string | null): string => (stored === null || stored === "all" ? "" : stored);
