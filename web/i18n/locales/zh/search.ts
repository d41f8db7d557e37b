import type en from "../en/search.js";
import type { Translation } from "../../translation.js";

export default {
  button: "搜索聊天记录",
  inConversation: "在此聊天中搜索",
  searchIn: "在“{{title}}”中搜索",
  results: "搜索结果",
  searchOlder: "搜索更早的消息",
  loadMore: "加载更多",
  hint: "搜索你的消息：可以搜词语、名字，或者一两个汉字（如“还在”）。",
  offline: "你已离线：只显示本设备上的消息。",
  busy: "正在服务器上搜索更早的消息…",
  failed: "无法搜索更早的消息：{{error}}",
  indexing: "仍在为本设备上较早的消息建立索引",
  noMatch: "没有与“{{query}}”匹配的消息。",
  nothingRecent: "最近的消息中没有找到。",
  onDevice: "本设备",
} satisfies Translation<typeof en>;
