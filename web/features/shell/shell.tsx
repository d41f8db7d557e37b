import { useTranslation } from "react-i18next";
import { useSession } from "../../session.js";
import { useUi, type Route } from "../../stores/ui.js";
import { ConversationView } from "../conversation/conversation-view.js";
import { ConversationList } from "../conversations/conversation-list.js";
import { ListingsView } from "../listings/listings-view.js";
import { SellForm } from "../listings/sell-form.js";
import { NewChatView } from "../new-chat/new-chat-view.js";
import { usePushResync } from "../notifications/use-push-resync.js";
import { SettingsView } from "../settings/settings-view.js";
import { useBlockListOnStart } from "../safety/blocked-people.js";
import { SignOutButton } from "../account/sign-out-button.js";
import { ConnectionStatus } from "../status/connection-status.js";
import { GearIcon } from "../../lib/icons.js";
import { useContacts } from "../conversations/contacts.js";
import { Toasts } from "./toasts.js";
import { MessageAnnouncer } from "../conversation/message-announcer.js";

/**
 * The signed-in layout. Wide screens show the conversation list beside the
 * main pane; narrow ones show one of them (chosen by `data-pane`, see CSS)
 * and every main view has a back button.
 */
export function Shell() {
  const { t } = useTranslation();
  usePushResync();
  useBlockListOnStart(); // safety (issue 14)
  const route = useUi((s) => s.route);
  const navigate = useUi((s) => s.navigate);
  const pane = route.name === "chats" ? "list" : "main";
  // Names on screen read my remarks for people (contacts.ts): a changed remark renders them again.
  useContacts((s) => s.remarks);
  return (
    <div className="shell" data-pane={pane}>
      <Header route={route} navigate={navigate} />
      <div className="panes">
        <aside className="sidebar" aria-label={t("shell.conversations")}>
          <div className="sidebar-head">
            <h2>{t("shell.chats")}</h2>
            <button type="button" className="secondary small" onClick={() => navigate({ name: "new-chat" })}>
              {t("shell.newChat")}
            </button>
          </div>
          <ConversationList />
        </aside>
        <main className="main-pane">
          <MainView route={route} />
        </main>
      </div>
      <Toasts />
      <MessageAnnouncer />
    </div>
  );
}

function MainView({ route }: { route: Route }) {
  const { t } = useTranslation();
  switch (route.name) {
    case "chats":
      return (
        <div className="placeholder">
          <p>{t("shell.selectConversation")}</p>
        </div>
      );
    case "conversation":
      return <ConversationView key={route.id} conversationId={route.id} />;
    case "listings":
      return <ListingsView />;
    case "sell":
      return <SellForm />;
    case "new-chat":
      return <NewChatView />;
    case "settings":
      return <SettingsView />;
  }
}

function Header({ route, navigate }: { route: Route; navigate: (r: Route) => void }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const inChats = route.name === "chats" || route.name === "conversation" || route.name === "new-chat";
  const inListings = route.name === "listings" || route.name === "sell";
  const inSettings = route.name === "settings";
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <h1 className="brand-name">{t("common.appName")}</h1>
      </div>
      <nav className="tabs" aria-label={t("shell.sections")}>
        <button type="button" aria-current={inChats ? "page" : undefined} onClick={() => navigate({ name: "chats" })}>
          {t("shell.chats")}
        </button>
        <button type="button" aria-current={inListings ? "page" : undefined} onClick={() => navigate({ name: "listings" })}>
          {t("shell.listings")}
        </button>
      </nav>
      <ConnectionStatus />
      <div className="account">
        <span className="who" title={`@${user.username}`} data-testid="current-user">
          {user.displayName}
        </span>
        <button
          type="button"
          className="icon settings-button"
          aria-label={t("shell.settings")}
          aria-current={inSettings ? "page" : undefined}
          title={t("shell.settings")}
          onClick={() => navigate({ name: "settings" })}
        >
          <GearIcon />
        </button>
        <SignOutButton className="link wide-only" />
      </div>
    </header>
  );
}
