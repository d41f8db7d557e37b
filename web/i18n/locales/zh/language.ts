import type en from "../en/language.js";
import type { Translation } from "../../translation.js";

export default {
  heading: "语言",
  system: "跟随浏览器（{{language}}）",
  names: {
    en: "English",
    zh: "简体中文",
  },
} satisfies Translation<typeof en>;
