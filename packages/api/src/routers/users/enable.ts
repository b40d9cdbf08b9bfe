import { setDisabledInput, setDisabledProcedure } from "./set-disabled.ts";

export const enableUserInput = setDisabledInput;

/** Lets a disabled user sign in again (with the password it had). */
export const enable = setDisabledProcedure(false);
