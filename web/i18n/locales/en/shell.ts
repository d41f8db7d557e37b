/** The signed-in layout: header, sections, the chat list's pane, toasts (web/features/shell). */
export default {
  conversations: "Conversations",
  chats: "Chats",
  newChat: "New chat",
  listings: "Listings",
  sections: "Sections",
  settings: "Settings",
  selectConversation: "Select a conversation, or start a new one.",
  dismiss: "Dismiss",
};
