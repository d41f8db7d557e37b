/** Searching messages: the button above the list, the one in a conversation's header, and the search screen. */
export default {
  button: "Search messages",
  inConversation: "Search in this conversation",
  searchIn: "Search in {{title}}",
  results: "Results",
  searchOlder: "Search older messages",
  loadMore: "Load more",
  hint: "Search your messages: words, names, or one or two Chinese characters (还在).",
  offline: "You're offline: showing messages on this device only.",
  busy: "Searching older messages on the server…",
  failed: "Couldn't search older messages: {{error}}",
  indexing: "Still indexing older messages on this device",
  noMatch: "No messages match “{{query}}”.",
  nothingRecent: "Nothing in recent messages.",
  onDevice: "On this device",
};
