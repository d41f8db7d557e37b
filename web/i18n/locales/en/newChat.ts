/** New chat: find people, message one, or make a group. */
export default {
  title: "New chat",
  back: "Back to conversations",
  findPeople: "Find people",
  placeholder: "Name or username",
  searching: "Searching…",
  noOne: "No one found for “{{query}}”.",
  how: "Message one person, or tick “Add to group” beside each person you want in a new group.",
  username: "@{{username}}",
  people: "People",
  /**
   * The checkbox's name starts with its visible words; the hidden part names the person for a screen reader.
   * <name/> is the person's name (a component, not {{name}}: a name is shown exactly as written, "<" and "&" too).
   */
  addToGroup: "Add<hidden> <name/></hidden> to group",
  message: "Message",
  messageName: "Message {{name}}",
  groupWith_one: "Group with you and {{count}} other",
  groupWith_other: "Group with you and {{count}} others",
  peopleInGroup: "People in the group",
  remove: "Remove {{name}}",
  groupName: "Group name",
  createGroup: "Create group",
  nameTheGroup: "Give the group a name.",
};
