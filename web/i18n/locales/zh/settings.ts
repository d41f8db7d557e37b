import type en from "../en/settings.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
