// Audit actions as people say them.
const words: Record<string, string> = {
  'account.sign_up': 'Signed up',
  'account.sign_in': 'Signed in',
  'account.request_access': 'Requested access',
  'account.approve': 'Approved',
  'account.deny': 'Denied',
  'account.approve_instead': 'Approved instead (from the recycle bin)',
  'account.restore': 'Restored from the recycle bin',
  'account.purge': 'Purged',
  'account.deactivate': 'Deactivated',
  'account.reactivate': 'Reactivated',
  'account.promote': 'Promoted to staff user',
  'account.set_roles': 'Changed roles',
  'account.set_org_admin': 'Made organisation administrator',
  'account.unset_org_admin': 'Removed as organisation administrator',
  'account.complete_registration': 'Marked registration complete',
  'account.delete_client_record': 'Client record deleted',
  'account.provision': 'Provisioned',
  'account.directory_update': 'Profile updated',
  'directory.token_create': 'Connected a directory',
  'directory.token_revoke': 'Disconnected a directory',
  'invitation.create': 'Invited',
  'invitation.resend': 'Resent invitation',
  'invitation.revoke': 'Revoked invitation',
  'invitation.expire': 'Invitation expired',
  'invitation.accept': 'Accepted invitation',
  'organization.update': 'Updated organisation profile',
  'import.fix': 'Corrected an import cell',
  'import.exclude': 'Excluded import rows',
  'import.merge': 'Merged import rows',
  'import.distinct': 'Marked import rows as different people',
  'import.apply': 'Applied an import',
  'batch.form': 'Formed a batch',
  'batch.send': 'Started sending a batch',
  'batch.cancel': 'Cancelled a batch',
  'batch.decide': 'Settled unknown deliveries',
}

export function actionLabel(action: string): string {
  if (words[action]) return words[action]
  const tail = action.split('.').pop() ?? action
  const s = tail.replace(/_/g, ' ')
  return s.charAt(0).toUpperCase() + s.slice(1)
}

const entities: Record<string, string> = {
  account: 'Account',
  organization: 'Organisation',
  invitation: 'Invitation',
  contact: 'Contact',
  role: 'Role',
  import: 'Import',
  batch: 'Batch',
  directory: 'Directory',
}

export function entityLabel(t: string): string {
  return entities[t] ?? (t ? t.charAt(0).toUpperCase() + t.slice(1) : '—')
}

export const entityTypes = Object.keys(entities)
