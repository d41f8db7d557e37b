import js from "@eslint/js";
import tseslint from "typescript-eslint";
import i18next from "eslint-plugin-i18next";

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
  {
    // Issue 17: what a person reads goes through t() (web/i18n), never a literal in the markup.
    // The Chinese catalog's completeness is web/i18n/catalog.test.ts. The operators' dashboard (web/admin) is English only.
    files: ["web/**/*.tsx"],
    ignores: ["web/admin/**", "**/*.test.tsx"],
    plugins: { i18next },
    rules: {
      "i18next/no-literal-string": [
        "error",
        {
          mode: "jsx-only",
          "jsx-attributes": { include: ["^aria-label$", "^aria-description$", "^title$", "^placeholder$", "^alt$", "^label$", "^hint$", "^submitLabel$", "^confirmLabel$", "^busyLabel$"] },
          // Text with no letters (symbols, punctuation, digits: "×", "⋯", "99+") has no words to translate.
          // NOTE: the plugin builds these patterns without the u flag, so no \p{…} classes.
          words: { exclude: ["^[^A-Za-z\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f\\u4e00-\\u9fff]*$"] },
        },
      ],
    },
  },
);
