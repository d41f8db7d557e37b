import type en from "../en/install.js";
import type { Translation } from "../../translation.js";

export default {
  heading: "安装 Courier",
  explain: "在独立窗口中打开 Courier，可以从主屏幕或应用列表启动。没有网络也能打开。",
  installing: "正在安装…",
  install: "安装 Courier",
} satisfies Translation<typeof en>;
