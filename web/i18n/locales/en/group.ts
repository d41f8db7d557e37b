/** Group info (the panel beside a group conversation), membership and member counts. */
export default {
  panel: {
    title: "Group info",
  },
  rename: {
    label: "Group name",
    submit: "Rename",
  },
  members: {
    label: "Members",
    you: "{{name}} (you)",
    username: "@{{username}}",
    invited: "Invited",
    creator: "Creator",
    admin: "Admin",
    remove: "Remove {{name}}",
  },
  add: {
    label: "Add people",
    placeholder: "Name or username",
    candidates: "People to add",
    add: "Add",
    addName: "Add {{name}}",
  },
  leave: {
    trigger: "Leave group",
    label: "Confirm leaving",
    question: "Leave this group? You won't get its messages any more, and only an admin can add you back.",
    act: "Leave",
  },
  gone: {
    removed: "You were removed from this group.",
    declined: "You declined this group.",
    left: "You left this group.",
  },
  /** "1 member", "3 members · 1 invited". */
  count: {
    members_one: "{{count}} member",
    members_other: "{{count}} members",
    withInvited: "{{members}} · {{count}} invited",
  },
};
