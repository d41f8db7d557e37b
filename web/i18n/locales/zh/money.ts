import type en from "../en/money.js";
import type { Translation } from "../../translation.js";

export default {
  free: "免费",
  enterPrice: "请输入价格，免费赠送请填 0。",
  negative: "价格不能为负数。",
  notAPrice: "请输入类似 12.50 的价格",
  tooHigh: "价格不能超过 {{max}}",
} satisfies Translation<typeof en>;
