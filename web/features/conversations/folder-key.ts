/** Where this tab remembers the folder it shows (sessionStorage); no dependency, the boot script reads it too (web/boot/first-paint.ts). */
export const folderStorageKey = (userId: string): string => `courier:folder:${userId}`;
