// The settings of the portal Gatehouse is connected to (backend/desk/portal_settings.go): its name
// and the public address every e-mailed link points at.
import { PortalSettings, SavePortalSettings } from '../../wailsjs/go/app/SettingsService'
import type { desk, portal } from '../../wailsjs/go/models'
import { call } from './errors'

export type PortalSettingsData = portal.Settings
// The settings as shown here, and whether a change to them is still on its way to the portal.
export type PortalSettingsView = desk.PortalSettingsView

export const portalSettings = (): Promise<PortalSettingsView> => call(() => PortalSettings())
export const savePortalSettings = (s: PortalSettingsData): Promise<PortalSettingsView> => call(() => SavePortalSettings(s))
