// Sign-in to a portal server: the settings (server, identity provider, client ID, scopes),
// starting a sign-in in the system browser, its outcome, and the session this computer
// holds. Tokens never reach the frontend: only who is signed in and until when.
import * as ConnectionService from '../../wailsjs/go/app/ConnectionService'
import * as SettingsService from '../../wailsjs/go/app/SettingsService'
import type { desk, golive, session } from '../../wailsjs/go/models'
import { EventsOn } from '../../wailsjs/runtime/runtime'
import { call } from './errors'

export type SignInSettings = session.Settings
export type SessionState = session.State
export type SignInStart = session.Start

// What failed, as a sentence, and a reason the screen can switch on: the identity
// provider's ("provider_unreachable", "cancelled", "wrong_audience", "clock_skew",
// "timeout", ...) or the portal server's ("not_allowed", "server_refused",
// "server_unreachable", "server_error") or this computer's ("keychain").
export interface SignInError {
  code: string
  message: string
  reason: string
  field?: string
}

// Payload of "signin:done": how a started sign-in ended.
export interface SignInDone {
  ok: boolean
  test: boolean
  email?: string
  name?: string
  expiresAt?: string
  error?: SignInError
}

// Payload of "signin:url": the address to open (or copy); sent again with browserError when
// no browser opened.
export interface SignInURL {
  authUrl: string
  test: boolean
  browserError?: string
}

// Payload of "signin:required": the portal server stopped accepting the session.
export interface SignInRequired {
  serverUrl: string
  email: string
  message: string
}

export const signInSettings = (): Promise<SignInSettings> => call(() => SettingsService.SignInSettings())
export const saveSignInSettings = (s: SignInSettings): Promise<SignInSettings> =>
  call(() => SettingsService.SaveSignInSettings(s))
export const beginSignIn = (): Promise<SignInStart> => call(() => SettingsService.BeginSignIn())
export const testSignIn = (): Promise<SignInStart> => call(() => SettingsService.TestSignIn())
export const cancelSignIn = (): Promise<SessionState> => call(() => SettingsService.CancelSignIn())
export const signOut = (): Promise<SessionState> => call(() => SettingsService.SignOut())
export const sessionState = (): Promise<SessionState> => call(() => SettingsService.SessionState())

// Going live (backend/desk/golive.go): what connecting to a server carries from the local portal;
// signing in to it, after which (signin:done) Gatehouse switches to it, carrying the local
// work or not; and whether the carry waits for the first sync or what it did.
export type GoLivePlan = golive.Plan
export type GoLiveStatus = desk.GoLiveResult
export const goLivePlan = (serverUrl: string): Promise<GoLivePlan> => call(() => ConnectionService.GoLivePlan(serverUrl))
export const goLive = (s: SignInSettings, carry: boolean): Promise<SignInStart> => call(() => ConnectionService.GoLive(s, carry))
export const goLiveStatus = (): Promise<GoLiveStatus> => call(() => ConnectionService.GoLiveStatus())

// Event subscriptions; each returns the function that unsubscribes.
export const onSignInURL = (fn: (u: SignInURL) => void): (() => void) => EventsOn('signin:url', fn)
export const onSignInDone = (fn: (d: SignInDone) => void): (() => void) => EventsOn('signin:done', fn)
export const onSignInRequired = (fn: (r: SignInRequired) => void): (() => void) => EventsOn('signin:required', fn)
export const onSessionState = (fn: (s: SessionState) => void): (() => void) => EventsOn('signin:state', fn)
