import { z } from "zod";

/**
 * Imported first by main.tsx, before any schema exists: zod compiles object
 * parsers with `new Function` unless told not to, and probes for it when the
 * first object schema is built. The app's Content-Security-Policy has no
 * 'unsafe-eval' (server/http/security-headers.ts), and Chromium reports even
 * that caught probe as a violation. Parsing stays the same, only not compiled.
 */
z.config({ jitless: true });
