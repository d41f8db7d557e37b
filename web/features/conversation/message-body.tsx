import { splitLinks } from "../../lib/links.js";

/**
 * Message text with its http(s) addresses as links. Built from a plain split
 * into React text and <a> elements: the text is never parsed as HTML.
 */
export function MessageBody({ text }: { text: string }) {
  const parts = splitLinks(text);
  if (parts.length === 1 && parts[0]!.type === "text") return <>{text}</>;
  return (
    <>
      {parts.map((part, i) =>
        part.type === "link" ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer" className="message-link">
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </>
  );
}
