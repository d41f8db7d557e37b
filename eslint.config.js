import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Dependencies point web → shared ← server. These rules hold that line.
const noImport = (patterns, message) => ({
  "no-restricted-imports": ["error", { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test-results/**", "playwright-report/**", "data/**", ".tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": ["error", { allow: ["warn", "error", "info"] }],
    },
  },
  {
    files: ["shared/**/*.ts"],
    rules: noImport(["**/web/**", "**/server/**", "node:*", "react", "dexie", "fastify", "socket.io*"], "shared/ must not depend on web/, server/, Node or DOM libraries."),
  },
  {
    files: ["server/**/*.ts"],
    rules: noImport(["**/web/**", "react", "dexie", "zustand"], "server/ must not import web/."),
  },
  {
    files: ["web/**/*.ts", "web/**/*.tsx"],
    rules: noImport(["**/server/**", "node:*", "fastify", "better-sqlite3", "socket.io"], "web/ must not import server/ or Node modules."),
  },
);
