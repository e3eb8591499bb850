// Directories (SCIM) connected to the portal (backend/desk/directories.go): Microsoft Entra
// ID, Okta or Google Workspace create, update and deactivate people by themselves. Each
// gets a token, shown once when it is connected; the portal keeps only its hash.
import * as SettingsService from '../../wailsjs/go/app/SettingsService'
import type { api } from '../../wailsjs/go/models'
import { call } from './errors'

export type DirectoryToken = api.DirectoryToken
export type NewDirectoryToken = api.NewDirectoryToken
export type DirectoryTokenRequest = api.DirectoryTokenRequest

export const directoryTokens = (): Promise<DirectoryToken[]> => call(() => SettingsService.DirectoryTokens())
export const createDirectoryToken = (req: DirectoryTokenRequest): Promise<NewDirectoryToken> => call(() => SettingsService.CreateDirectoryToken(req))
export const revokeDirectoryToken = (id: string): Promise<DirectoryToken> => call(() => SettingsService.RevokeDirectoryToken(id))
