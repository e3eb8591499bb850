// The settings of the portal Gatehouse is connected to (app/portal_settings.go): its name
// and the public address every e-mailed link points at.
import { PortalSettings, SavePortalSettings } from '../../wailsjs/go/app/App'
import type { api } from '../../wailsjs/go/models'
import { call } from './errors'

export type PortalSettingsData = api.Settings

export const portalSettings = (): Promise<PortalSettingsData> => call(() => PortalSettings())
export const savePortalSettings = (s: PortalSettingsData): Promise<PortalSettingsData> => call(() => SavePortalSettings(s))
