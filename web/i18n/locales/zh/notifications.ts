import type en from "../en/notifications.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
