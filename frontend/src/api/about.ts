import { About } from '../../wailsjs/go/app/ConnectionService'
import type { desk } from '../../wailsjs/go/models'
import { call } from './errors'

export type AboutInfo = desk.AboutInfo

// getAbout reads the build's version and where its local database lives.
export function getAbout(): Promise<AboutInfo> {
  return call(() => About())
}
