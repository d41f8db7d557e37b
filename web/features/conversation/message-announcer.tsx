import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSession } from "../../session.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { useBlockedIds } from "../safety/blocks.js";
import { type Announcement, KEPT, watchLandings } from "./announce.js";

/**
 * What a screen reader hears when a message arrives (issue 17): a visually
 * hidden, polite live region (`role="log"`) apart from the message list, so
 * opening a conversation, its history pages and every re-render are never
 * read again. Only messages arriving by sync are told (useLanding: not those
 * read from IndexedDB, not history pages, not a snapshot); what is said is
 * worded by watchLandings (announce.ts).
 */
export function MessageAnnouncer() {
  const { db, user } = useSession();
  const blocked = useBlockedIds(db);
  const [said, setSaid] = useState<Announcement[]>([]);
  const blockedNow = useRef(blocked);
  blockedNow.current = blocked;

  useEffect(() => {
    let alive = true;
    const unsubscribe = watchLandings({
      db,
      me: user.id,
      blocked: () => blockedNow.current,
      open: () => selectedConversationId(useUi.getState().route),
      say: (items) => alive && items.length > 0 && setSaid((list) => [...list, ...items].slice(-KEPT)),
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [db, user.id]);

  return <AnnouncerRegion said={said} />;
}

function AnnouncerRegion({ said }: { said: Announcement[] }) {
  const { t } = useTranslation();
  return (
    <div className="visually-hidden" role="log" aria-live="polite" aria-relevant="additions" aria-label={t("conversation.announce.label")} data-testid="message-announcer">
      {said.map((s) => (
        <p key={s.key}>{s.text}</p>
      ))}
    </div>
  );
}
