import type en from "../en/group.js";
import type { Translation } from "../../translation.js";

export default {
  panel: {
    title: "群聊信息",
  },
  rename: {
    label: "群聊名称",
    submit: "改名",
  },
  members: {
    label: "群成员",
    you: "{{name}}（你）",
    username: "@{{username}}",
    invited: "已邀请",
    creator: "群主",
    admin: "管理员",
    remove: "移除 {{name}}",
  },
  add: {
    label: "添加成员",
    placeholder: "昵称或用户名",
    candidates: "可添加的人",
    add: "添加",
    addName: "添加 {{name}}",
  },
  leave: {
    trigger: "退出群聊",
    label: "确认退出",
    question: "确定退出这个群聊吗？退出后将不再收到群消息，只有管理员能重新拉你进群。",
    act: "退出",
  },
  gone: {
    removed: "你已被移出这个群聊。",
    declined: "你已拒绝加入这个群聊。",
    left: "你已退出这个群聊。",
  },
  count: {
    members_other: "{{count}} 位成员",
    withInvited: "{{members}} · 已邀请 {{count}} 人",
  },
} satisfies Translation<typeof en>;
