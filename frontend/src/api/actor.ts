// Who the administrator is, and what the server would refuse them.
import * as ConnectionService from '../../wailsjs/go/app/ConnectionService'
import type { desk } from '../../wailsjs/go/models'
import { call } from './errors'

export type ActorInfo = desk.ActorInfo

export const currentActor = (): Promise<ActorInfo> => call(() => ConnectionService.CurrentActor())
