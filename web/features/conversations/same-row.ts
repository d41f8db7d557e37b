import type { PreviewParts } from "./summary-text.js";

const contents = new WeakMap<object, string>();

/** A stored record's content, serialised once per object (Dexie hands out new objects on every read). */
function contentOf(record: object): string {
  let content = contents.get(record);
  if (content === undefined) contents.set(record, (content = JSON.stringify(record)));
  return content;
}

/**
 * Whether a conversation row would draw the same (the list's `memo`,
 * issue 16 ROWMEMO): the summary by content, the preview field by field, and
 * every other prop, one added later included, by identity. A row's children
 * that subscribe to a store of their own (the preview's status) follow it
 * themselves; what a row reads from a store without subscribing (my remarks,
 * through displayNameFor) must come in as a prop.
 */
export function sameRowProps<P extends { summary: object; preview: PreviewParts }>(a: P, b: P): boolean {
  const keys = Object.keys(a) as (keyof P)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => {
    if (key === "summary") return a.summary === b.summary || contentOf(a.summary) === contentOf(b.summary);
    if (key === "preview") return sameFields(a.preview, b.preview);
    return Object.is(a[key], b[key]);
  });
}

function sameFields(a: PreviewParts, b: PreviewParts): boolean {
  const keys = Object.keys(a) as (keyof PreviewParts)[];
  return keys.length === Object.keys(b).length && keys.every((key) => Object.is(a[key], b[key]));
}
