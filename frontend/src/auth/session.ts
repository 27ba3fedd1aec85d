/** Where bearer tokens come from: Clerk in production, the dev token endpoint locally. */
export interface SessionProvider {
  readonly mode: 'clerk' | 'dev'
  /** A token valid for at least a little while, or null when signed out. */
  getToken(): Promise<string | null>
  /** Restore a session from a previous visit; true when one exists. */
  restore(): Promise<boolean>
  signOut(): Promise<void>
}
