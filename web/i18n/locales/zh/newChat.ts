import type en from "../en/newChat.js";
import type { Translation } from "../../translation.js";

export default {
  title: "发起聊天",
  back: "返回聊天列表",
  findPeople: "找人",
  placeholder: "名字或用户名",
  searching: "正在搜索…",
  noOne: "没有找到“{{query}}”。",
  how: "直接给一个人发消息，或者勾选每个人旁边的“加入群聊”，拉个新群。",
  username: "@{{username}}",
  people: "用户",
  addToGroup: "加入群聊<hidden>：<name/></hidden>",
  message: "发消息",
  messageName: "给{{name}}发消息",
  groupWith_other: "你和另外 {{count}} 人的群聊",
  peopleInGroup: "群成员",
  remove: "移除{{name}}",
  groupName: "群名称",
  createGroup: "创建群聊",
  nameTheGroup: "给群起个名字吧。",
} satisfies Translation<typeof en>;
