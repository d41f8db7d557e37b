/** The conversation list: rows, folders, requests, the conversation menu and its dialogs. */
export default {
  loading: "Loading conversations…",
  empty: {
    text: "No conversations yet — find someone or browse listings.",
    findSomeone: "Find someone",
    browseListings: "Browse listings",
  },
  /** A conversation's name when nothing better is known (summary-text.ts). */
  untitled: {
    group: "Group",
    conversation: "Conversation",
  },
  /** The notifications offer in a conversation. */
  notify: {
    group: "Get notified when someone writes in {{title}}",
    person: "Get notified when {{name}} writes",
    someone: "Get notified when someone writes",
  },
  /** The list's last-message preview. */
  preview: {
    noMessages: "No messages yet",
    recalled: "Message recalled",
    sending: "Sending",
    notSent: "Not sent",
    /** "You: hello" (the list shows the name and the text apart, with this between). */
    withWho: "{{who}}: {{text}}",
    whoSeparator: ": ",
    /** "You: hello · Sending" */
    withStatus: "{{text}} · {{status}}",
  },
  row: {
    pinned: "Pinned",
    muted: "Muted",
    unread_one: "{{count}} unread",
    unread_other: "{{count}} unread",
    markedUnread: "Marked unread",
    options: "Options for {{title}}",
  },
  itemStatus: {
    reserved: "Reserved",
    sold: "Sold",
    withdrawn: "Withdrawn",
  },
  folders: {
    label: "Folders",
    all: "All",
    unread: "Unread",
    buying: "Buying",
    selling: "Selling",
    archived: "Archived",
    /** Read after the Archived folder's name: "Archived, 2 unread". */
    archivedUnread_one: ", {{count}} unread",
    archivedUnread_other: ", {{count}} unread",
  },
  /** What an empty folder says. */
  emptyFolder: {
    all: "No conversations here — archived ones are under Archived.",
    unread: "Nothing unread.",
    buying: "No chats about things you're buying.",
    selling: "No chats about things you're selling.",
    label: "Nothing labelled “{{label}}” any more.",
    archived: "No archived conversations.",
  },
  requests: {
    heading: "Requests <muted>({{count}})</muted>",
    hide: "Hide",
    show: "Show",
    collapsed:
      "Groups from people you don't know. They can't notify you until you accept.",
    addedBy: "{{name}} added you",
    youWereAdded: "You were added",
    accept: "Accept",
    decline: "Decline",
    declineAll: "Decline all",
    confirmDeclineAll: "Confirm declining all requests",
    question_one: "Decline the request? That group can't add you again.",
    question_other:
      "Decline all {{count}} requests? Those groups can't add you again.",
    declining: "Declining… {{done}} of {{total}}",
    declineCount_one: "Decline {{count}}",
    declineCount_other: "Decline {{count}}",
  },
  menu: {
    options: "{{title}}: options",
    conversationOptions: "Conversation options",
    offline: "You're offline: these need a connection.",
    pin: "Pin",
    unpin: "Unpin",
    markRead: "Mark as read",
    markUnread: "Mark as unread",
    remark: "Remark…",
    label: "Label…",
    mute: "Mute",
    unmute: "Unmute",
    archive: "Archive",
    unarchive: "Unarchive",
  },
  /** A change the server refused, in a toast. */
  changeFailed: {
    pin: "Couldn't pin “{{title}}”: {{error}}",
    unpin: "Couldn't unpin “{{title}}”: {{error}}",
    markRead: "Couldn't mark as read “{{title}}”: {{error}}",
    markUnread: "Couldn't mark as unread “{{title}}”: {{error}}",
    remark: "Couldn't set the remark of “{{title}}”: {{error}}",
    label: "Couldn't label “{{title}}”: {{error}}",
    mute: "Couldn't mute “{{title}}”: {{error}}",
    unmute: "Couldn't unmute “{{title}}”: {{error}}",
    archive: "Couldn't archive “{{title}}”: {{error}}",
    unarchive: "Couldn't unarchive “{{title}}”: {{error}}",
  },
  dialogs: {
    /** A remark or label the rules refuse (English shows the rule's own words, when it has some). */
    cantUse: "That can't be used.",
    remark: {
      title: "Remark",
      field: "A name only you see for “{{name}}”",
      hint: "Leave it empty to show their own name again.",
    },
    label: {
      title: "Label",
      legend: "Labels are folders above your chats. Only you see them.",
      none: "None",
      newOption: "New label…",
      newField: "New label",
      typeName: "Type a name for the new label.",
    },
  },
};
