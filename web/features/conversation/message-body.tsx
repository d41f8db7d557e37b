import type { Message } from "../../../shared/protocol/index.js";
import { splitLinks } from "../../lib/links.js";
import { OfferCard } from "../offers/offer-card.js";
import { LocationCard } from "../presence/location-card.js";

/**
 * Message text with its http(s) addresses as links. Built from a plain split
 * into React text and <a> elements: the text is never parsed as HTML.
 */
export function MessageBody({ text, message }: { text: string; message?: Pick<Message, "conversationId" | "senderId" | "offer" | "location"> & { kind: string } }) {
  if (message?.kind === "offer") return <OfferCard message={message} />;
  if (message?.kind === "location") return <LocationCard location={message.location} />;
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
