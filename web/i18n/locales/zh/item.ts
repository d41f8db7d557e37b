import type en from "../en/item.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
