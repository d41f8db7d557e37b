import { memo, useState } from "react";
import type { StoredSummary } from "../db/records.js";
import { conversationTitle, otherMembers } from "../features/conversations/summary-text.js";
import { avatarColor } from "./avatar-color.js";
import { initials } from "./initials.js";

/**
 * Avatars, wherever people and conversations are shown (the list, the
 * conversation header, group members, people found by search): a person in
 * their own colour (avatar-color.ts), a group in the group colour, an item
 * chat as the listing's first photo (or a neutral item icon). Decorative:
 * the name next to it says who it is.
 */

type Size = "tiny" | "small" | "medium";

/**
 * One person: their initials on their colour. `name` is what the screen calls them (my remark first). Drawn
 * again only when one of those changes: the rows and the header around it draw again for every message.
 */
export const PersonAvatar = memo(function PersonAvatar({ userId, name, size = "medium" }: { userId: string; name: string; size?: Size }) {
  const colour = avatarColor(userId);
  return (
    <span className={`avatar person-avatar size-${size}`} style={{ backgroundColor: colour }} data-testid="person-avatar" data-colour={colour} aria-hidden="true">
      {initials(name, { person: true })}
    </span>
  );
});

/**
 * A conversation's avatar: the other person in a direct chat, the group's,
 * the listing's photo for an item chat (`listing`; where the listing shows
 * beside it anyway, as in the chat's header, the person instead).
 */
export function ConversationAvatar(props: { summary: StoredSummary; me: string; size?: Size; listing?: boolean }) {
  const { summary, me, size = "medium", listing = true } = props;
  const type = summary.conversation.type;
  const title = conversationTitle(summary, me);
  const other = otherMembers(summary, me)[0];
  if (type === "item" && listing) return <ItemThumb summary={summary} me={me} />;
  if (type !== "group" && other) return <PersonAvatar userId={other.id} name={title} size={size} />;
  return (
    <span className={`avatar type-${type} size-${size}`} aria-hidden="true">
      {initials(title)}
    </span>
  );
}

/**
 * The listing's first photo (its thumbnail), else an item icon, never
 * initials; the other person's avatar small in its corner. A photo that
 * cannot load (offline, not in the browser's cache) shows the icon.
 */
function ItemThumb({ summary, me }: { summary: StoredSummary; me: string }) {
  const photo = summary.item?.photos?.[0];
  const [failed, setFailed] = useState<string | null>(null);
  const other = otherMembers(summary, me)[0];
  const showPhoto = photo && failed !== photo.thumbUrl;
  return (
    <span className="avatar item-thumb" data-testid="item-thumb" data-photo={showPhoto ? "" : undefined} aria-hidden="true">
      {showPhoto ? <img src={photo.thumbUrl} alt="" loading="lazy" decoding="async" onError={() => setFailed(photo.thumbUrl)} /> : <ItemIcon />}
      {other ? <PersonAvatar userId={other.id} name={conversationTitle(summary, me)} size="small" /> : null}
    </span>
  );
}

/** A price tag: "a listing", without a photo. */
export const ItemIcon = () => (
  <svg className="item-icon" width={22} height={22} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
    <path d="M20.6 13.4l-7.2 7.2a2 2 0 0 1-2.8 0L3 13V3h10l7.6 7.6a2 2 0 0 1 0 2.8z" />
    <circle cx="8" cy="8" r="1.5" />
  </svg>
);
