import type en from "../en/shell.js";
import type { Translation } from "../../translation.js";

export default {
  conversations: "会话",
  chats: "聊天",
  newChat: "发起聊天",
  listings: "商品",
  sections: "栏目",
  settings: "设置",
  selectConversation: "选择一个会话，或者发起新的聊天。",
  dismiss: "关闭",
} satisfies Translation<typeof en>;
