import type en from "../en/auth.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
