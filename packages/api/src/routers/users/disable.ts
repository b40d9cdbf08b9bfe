import { setDisabledInput, setDisabledProcedure } from "./set-disabled.ts";

export const disableUserInput = setDisabledInput;

/** Ends all of the user's sessions at once and keeps it from signing in until enabled again. */
export const disable = setDisabledProcedure(true);
