import type en from "../en/connection.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
