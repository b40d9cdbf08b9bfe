"use client";
import { createContext, useContext, type ReactNode } from "react";
import { roleAtLeast } from "@shardcast/core/roles";
import type { Role } from "@shardcast/core/types";
import type { SessionUser } from "@shardcast/api";

const UserContext = createContext<SessionUser | null>(null);

export function UserProvider({ user, children }: { user: SessionUser; children: ReactNode }) {
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

export function useUser(): SessionUser {
  const user = useContext(UserContext);
  if (!user) throw new Error("useUser outside the console layout");
  return user;
}

export function useCan(role: Role): boolean {
  return roleAtLeast(useUser().role, role);
}
