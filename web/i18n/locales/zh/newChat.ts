import type en from "../en/newChat.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
