import { memo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { SearchPanel, type SearchScope } from "./search-panel.js";
import { SearchIcon } from "./search-icon.js";

/** Opens the search screen; focus comes back here when it closes. */
function useSearchPanel(scope: SearchScope) {
  const [open, setOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    trigger.current?.focus();
  };
  return { trigger, show: () => setOpen(true), panel: open ? <SearchPanel scope={scope} onClose={close} /> : null };
}

/** Global search, at the top of the conversation list: looks like a field, opens the search screen. */
export const GlobalSearch = memo(function GlobalSearch() {
  const { t } = useTranslation();
  const { trigger, show, panel } = useSearchPanel({});
  return (
    <div className="global-search">
      <button ref={trigger} type="button" className="search-trigger" onClick={show} data-testid="global-search">
        <SearchIcon />
        <span>{t("search.button")}</span>
      </button>
      {panel}
    </div>
  );
});

/** Search inside one conversation, from its header. */
export const ConversationSearchButton = memo(function ConversationSearchButton({ conversationId, title }: { conversationId: string; title: string }) {
  const { t } = useTranslation();
  const { trigger, show, panel } = useSearchPanel({ conversationId, title });
  return (
    <>
      <button ref={trigger} type="button" className="icon" aria-label={t("search.inConversation")} title={t("search.inConversation")} onClick={show} data-testid="conversation-search">
        <SearchIcon />
      </button>
      {panel}
    </>
  );
});
