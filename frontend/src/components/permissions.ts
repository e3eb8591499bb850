// What the administrator may do, as the Go side worked it out with portal.Actor
// (App.CurrentActor): screens hide or disable what the server would refuse and say why,
// with the server's own sentence, instead of offering it and being refused.
//
// The rules are portal.Actor's; this file only looks them up:
//  - system actions (purge, promote, system roles) need a system administrator;
//  - an organisation's people, profile and roles need a system administrator or that
//    organisation's administrator (portal.Actor.Administers);
//  - deciding a sign-in needs user setup, or administering the person's organisation.

// The part of desk.ActorInfo these rules read.
export interface Actor {
  known: boolean
  systemAdmin: boolean
  userSetup: boolean
  orgAdminOf: string
  refusals: { system: string; decide: string; otherOrganisation: string }
}

export type Action =
  | 'purge'
  | 'promote'
  | 'createOrganisation'
  | 'changePortal' // the portal's settings and messages
  | 'systemRoles'
  | 'decide' // approve, deny, approve instead, restore
  | 'administer' // deactivate, reactivate, roles, organisation administrators, profile, org roles

// Until the Go side has answered, nothing is refused: the server still checks everything.
const unknownYet = 'Gatehouse is still finding out what you may do.'

// refusal returns why the actor may not do action on a record of organisation orgId, or ''
// when they may.
export function refusal(actor: Actor | null, action: Action, orgId = ''): string {
  if (!actor) return ''
  const r = actor.refusals
  const administers = actor.systemAdmin || (orgId !== '' && actor.orgAdminOf === orgId)
  let why = ''
  switch (action) {
    case 'purge':
    case 'promote':
    case 'createOrganisation':
    case 'changePortal':
    case 'systemRoles':
      why = actor.systemAdmin ? '' : r.system
      break
    case 'decide':
      why = actor.userSetup || administers ? '' : r.decide
      break
    case 'administer':
      why = administers ? '' : r.otherOrganisation
      break
  }
  if (why === '' && !actor.known && !actor.systemAdmin) return r.system || unknownYet
  return why
}

// may is refusal's yes/no.
export function may(actor: Actor | null, action: Action, orgId = ''): boolean {
  return refusal(actor, action, orgId) === ''
}
