export namespace api {
	
	export class DirectoryToken {
	    id: string;
	    name: string;
	    kind: string;
	    organizationId: string;
	    purge: boolean;
	    departmentOrganizations: boolean;
	    groupsAs: string;
	    createdBy: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    revokedAt?: any;
	    // Go type: time
	    lastUsedAt?: any;
	
	    static createFrom(source: any = {}) {
	        return new DirectoryToken(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.organizationId = source["organizationId"];
	        this.purge = source["purge"];
	        this.departmentOrganizations = source["departmentOrganizations"];
	        this.groupsAs = source["groupsAs"];
	        this.createdBy = source["createdBy"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.revokedAt = this.convertValues(source["revokedAt"], null);
	        this.lastUsedAt = this.convertValues(source["lastUsedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class DirectoryTokenRequest {
	    name: string;
	    kind: string;
	    organizationId: string;
	    purge: boolean;
	    departmentOrganizations: boolean;
	    groupsAs: string;
	
	    static createFrom(source: any = {}) {
	        return new DirectoryTokenRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.organizationId = source["organizationId"];
	        this.purge = source["purge"];
	        this.departmentOrganizations = source["departmentOrganizations"];
	        this.groupsAs = source["groupsAs"];
	    }
	}
	export class MailItem {
	    id: string;
	    // Go type: time
	    createdAt: any;
	    template: string;
	    to: string;
	    status: string;
	    attempts: number;
	    // Go type: time
	    nextAttemptAt?: any;
	    lastError: string;
	    // Go type: time
	    sentAt?: any;
	    carriesLink: boolean;
	
	    static createFrom(source: any = {}) {
	        return new MailItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.template = source["template"];
	        this.to = source["to"];
	        this.status = source["status"];
	        this.attempts = source["attempts"];
	        this.nextAttemptAt = this.convertValues(source["nextAttemptAt"], null);
	        this.lastError = source["lastError"];
	        this.sentAt = this.convertValues(source["sentAt"], null);
	        this.carriesLink = source["carriesLink"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class NewDirectoryToken {
	    id: string;
	    name: string;
	    kind: string;
	    organizationId: string;
	    purge: boolean;
	    departmentOrganizations: boolean;
	    groupsAs: string;
	    createdBy: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    revokedAt?: any;
	    // Go type: time
	    lastUsedAt?: any;
	    token: string;
	    scimBaseUrl: string;
	
	    static createFrom(source: any = {}) {
	        return new NewDirectoryToken(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.kind = source["kind"];
	        this.organizationId = source["organizationId"];
	        this.purge = source["purge"];
	        this.departmentOrganizations = source["departmentOrganizations"];
	        this.groupsAs = source["groupsAs"];
	        this.createdBy = source["createdBy"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.revokedAt = this.convertValues(source["revokedAt"], null);
	        this.lastUsedAt = this.convertValues(source["lastUsedAt"], null);
	        this.token = source["token"];
	        this.scimBaseUrl = source["scimBaseUrl"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Template {
	    key: string;
	    name: string;
	    subject: string;
	    body: string;
	    placeholders: string[];
	    // Go type: time
	    updatedAt: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Template(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.name = source["name"];
	        this.subject = source["subject"];
	        this.body = source["body"];
	        this.placeholders = source["placeholders"];
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace batch {
	
	export class StateCounts {
	    total: number;
	    excluded: number;
	    queued: number;
	    inviting: number;
	    invited: number;
	    sending: number;
	    sent: number;
	    failed: number;
	    unknown: number;
	    cancelled: number;
	
	    static createFrom(source: any = {}) {
	        return new StateCounts(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.total = source["total"];
	        this.excluded = source["excluded"];
	        this.queued = source["queued"];
	        this.inviting = source["inviting"];
	        this.invited = source["invited"];
	        this.sending = source["sending"];
	        this.sent = source["sent"];
	        this.failed = source["failed"];
	        this.unknown = source["unknown"];
	        this.cancelled = source["cancelled"];
	    }
	}
	export class Batch {
	    id: string;
	    kind: string;
	    name: string;
	    parentId?: string;
	    source: string;
	    selection: number[];
	    template: mail.Template;
	    productName: string;
	    invitedBy: string;
	    from: string;
	    expiresInDays: number;
	    state: string;
	    lastError?: string;
	    createdBy: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    // Go type: time
	    startedAt?: any;
	    // Go type: time
	    finishedAt?: any;
	    counts: StateCounts;
	
	    static createFrom(source: any = {}) {
	        return new Batch(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.name = source["name"];
	        this.parentId = source["parentId"];
	        this.source = source["source"];
	        this.selection = source["selection"];
	        this.template = this.convertValues(source["template"], mail.Template);
	        this.productName = source["productName"];
	        this.invitedBy = source["invitedBy"];
	        this.from = source["from"];
	        this.expiresInDays = source["expiresInDays"];
	        this.state = source["state"];
	        this.lastError = source["lastError"];
	        this.createdBy = source["createdBy"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.finishedAt = this.convertValues(source["finishedAt"], null);
	        this.counts = this.convertValues(source["counts"], StateCounts);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class InvitationQuery {
	    batchIds: string[];
	    status: string;
	    notActivated: boolean;
	    search: string;
	    offset: number;
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new InvitationQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batchIds = source["batchIds"];
	        this.status = source["status"];
	        this.notActivated = source["notActivated"];
	        this.search = source["search"];
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	    }
	}
	export class RecipientRef {
	    batchId: string;
	    seq: number;
	
	    static createFrom(source: any = {}) {
	        return new RecipientRef(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batchId = source["batchId"];
	        this.seq = source["seq"];
	    }
	}
	export class InvitationRow {
	    batchId: string;
	    batchName: string;
	    kind: string;
	    seq: number;
	    rowRef: string;
	    contactId?: string;
	    accountId?: string;
	    name: string;
	    email: string;
	    organizationName: string;
	    delivery: string;
	    // Go type: time
	    sentAt?: any;
	    lastError?: string;
	    invitationId?: string;
	    status: string;
	    // Go type: time
	    expiresAt?: any;
	    // Go type: time
	    acceptedAt?: any;
	    replacedBy?: RecipientRef;
	
	    static createFrom(source: any = {}) {
	        return new InvitationRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batchId = source["batchId"];
	        this.batchName = source["batchName"];
	        this.kind = source["kind"];
	        this.seq = source["seq"];
	        this.rowRef = source["rowRef"];
	        this.contactId = source["contactId"];
	        this.accountId = source["accountId"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.organizationName = source["organizationName"];
	        this.delivery = source["delivery"];
	        this.sentAt = this.convertValues(source["sentAt"], null);
	        this.lastError = source["lastError"];
	        this.invitationId = source["invitationId"];
	        this.status = source["status"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.acceptedAt = this.convertValues(source["acceptedAt"], null);
	        this.replacedBy = this.convertValues(source["replacedBy"], RecipientRef);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Override {
	    rowRef: string;
	    code: string;
	    reason: string;
	
	    static createFrom(source: any = {}) {
	        return new Override(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rowRef = source["rowRef"];
	        this.code = source["code"];
	        this.reason = source["reason"];
	    }
	}
	export class Page_gatehouse_backend_batch_InvitationRow_ {
	    total: number;
	    items: InvitationRow[];
	
	    static createFrom(source: any = {}) {
	        return new Page_gatehouse_backend_batch_InvitationRow_(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.total = source["total"];
	        this.items = this.convertValues(source["items"], InvitationRow);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Reason {
	    code: string;
	    label: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new Reason(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.code = source["code"];
	        this.label = source["label"];
	        this.message = source["message"];
	    }
	}
	export class Recipient {
	    batchId: string;
	    seq: number;
	    rowRef: string;
	    contactId?: string;
	    accountId?: string;
	    organizationId?: string;
	    organizationName: string;
	    organizationType: string;
	    member: boolean;
	    name: string;
	    firstName: string;
	    lastName: string;
	    email: string;
	    findings: string[];
	    outcome: string;
	    reasons: Reason[];
	    overridden: Reason[];
	    roles: string[];
	    notes: string[];
	    replaces?: string;
	    state: string;
	    messageId: string;
	    invitationId?: string;
	    // Go type: time
	    expiresAt?: any;
	    attempts: number;
	    // Go type: time
	    nextAttemptAt?: any;
	    stage?: string;
	    smtpCode?: number;
	    lastError?: string;
	    timesUnknown: number;
	    decision?: string;
	    decidedBy?: string;
	    // Go type: time
	    decidedAt?: any;
	    // Go type: time
	    sentAt?: any;
	    // Go type: time
	    updatedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Recipient(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batchId = source["batchId"];
	        this.seq = source["seq"];
	        this.rowRef = source["rowRef"];
	        this.contactId = source["contactId"];
	        this.accountId = source["accountId"];
	        this.organizationId = source["organizationId"];
	        this.organizationName = source["organizationName"];
	        this.organizationType = source["organizationType"];
	        this.member = source["member"];
	        this.name = source["name"];
	        this.firstName = source["firstName"];
	        this.lastName = source["lastName"];
	        this.email = source["email"];
	        this.findings = source["findings"];
	        this.outcome = source["outcome"];
	        this.reasons = this.convertValues(source["reasons"], Reason);
	        this.overridden = this.convertValues(source["overridden"], Reason);
	        this.roles = source["roles"];
	        this.notes = source["notes"];
	        this.replaces = source["replaces"];
	        this.state = source["state"];
	        this.messageId = source["messageId"];
	        this.invitationId = source["invitationId"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.attempts = source["attempts"];
	        this.nextAttemptAt = this.convertValues(source["nextAttemptAt"], null);
	        this.stage = source["stage"];
	        this.smtpCode = source["smtpCode"];
	        this.lastError = source["lastError"];
	        this.timesUnknown = source["timesUnknown"];
	        this.decision = source["decision"];
	        this.decidedBy = source["decidedBy"];
	        this.decidedAt = this.convertValues(source["decidedAt"], null);
	        this.sentAt = this.convertValues(source["sentAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Page_gatehouse_backend_batch_Recipient_ {
	    total: number;
	    items: Recipient[];
	
	    static createFrom(source: any = {}) {
	        return new Page_gatehouse_backend_batch_Recipient_(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.total = source["total"];
	        this.items = this.convertValues(source["items"], Recipient);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PreviewMessage {
	    from: string;
	    to: string;
	    subject: string;
	    body: string;
	    messageId?: string;
	    link?: string;
	
	    static createFrom(source: any = {}) {
	        return new PreviewMessage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.from = source["from"];
	        this.to = source["to"];
	        this.subject = source["subject"];
	        this.body = source["body"];
	        this.messageId = source["messageId"];
	        this.link = source["link"];
	    }
	}
	export class PreviewItem {
	    recipient: Recipient;
	    message?: PreviewMessage;
	
	    static createFrom(source: any = {}) {
	        return new PreviewItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.recipient = this.convertValues(source["recipient"], Recipient);
	        this.message = this.convertValues(source["message"], PreviewMessage);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Preview {
	    batch: Batch;
	    total: number;
	    items: PreviewItem[];
	    excludedBy: Record<string, number>;
	    linkPlaceholder: string;
	
	    static createFrom(source: any = {}) {
	        return new Preview(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batch = this.convertValues(source["batch"], Batch);
	        this.total = source["total"];
	        this.items = this.convertValues(source["items"], PreviewItem);
	        this.excludedBy = source["excludedBy"];
	        this.linkPlaceholder = source["linkPlaceholder"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	
	export class RecipientQuery {
	    states: string[];
	    search: string;
	    offset: number;
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new RecipientQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.states = source["states"];
	        this.search = source["search"];
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	    }
	}
	

}

export namespace cache {
	
	export class AuditActor {
	    id: string;
	    name: string;
	    email: string;
	    events: number;
	
	    static createFrom(source: any = {}) {
	        return new AuditActor(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.events = source["events"];
	    }
	}

}

export namespace desk {
	
	export class AboutInfo {
	    version: string;
	    goVersion: string;
	    wailsVersion: string;
	    os: string;
	    databasePath: string;
	    databaseError?: string;
	
	    static createFrom(source: any = {}) {
	        return new AboutInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.goVersion = source["goVersion"];
	        this.wailsVersion = source["wailsVersion"];
	        this.os = source["os"];
	        this.databasePath = source["databasePath"];
	        this.databaseError = source["databaseError"];
	    }
	}
	export class UserRow {
	    id: string;
	    name: string;
	    email: string;
	    status: string;
	    kind: string;
	    organizationId: string;
	    organizationName: string;
	    contactId: string;
	    orgAdmin: boolean;
	    coreRole: string;
	    additionalRoles: string[];
	    source: string;
	    registrationComplete: boolean;
	    ghost: boolean;
	    clientRecord: boolean;
	    accessRequested: boolean;
	    // Go type: time
	    accessRequestedAt?: any;
	    denyReason: string;
	    decidedBy: string;
	    decidedByName: string;
	    // Go type: time
	    decidedAt?: any;
	    // Go type: time
	    lastLoginAt?: any;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    version: number;
	    pendingChanges: number;
	    pending: boolean;
	    conflict: boolean;
	    actions?: portal.ActionCheck[];
	
	    static createFrom(source: any = {}) {
	        return new UserRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.status = source["status"];
	        this.kind = source["kind"];
	        this.organizationId = source["organizationId"];
	        this.organizationName = source["organizationName"];
	        this.contactId = source["contactId"];
	        this.orgAdmin = source["orgAdmin"];
	        this.coreRole = source["coreRole"];
	        this.additionalRoles = source["additionalRoles"];
	        this.source = source["source"];
	        this.registrationComplete = source["registrationComplete"];
	        this.ghost = source["ghost"];
	        this.clientRecord = source["clientRecord"];
	        this.accessRequested = source["accessRequested"];
	        this.accessRequestedAt = this.convertValues(source["accessRequestedAt"], null);
	        this.denyReason = source["denyReason"];
	        this.decidedBy = source["decidedBy"];
	        this.decidedByName = source["decidedByName"];
	        this.decidedAt = this.convertValues(source["decidedAt"], null);
	        this.lastLoginAt = this.convertValues(source["lastLoginAt"], null);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	        this.pendingChanges = source["pendingChanges"];
	        this.pending = source["pending"];
	        this.conflict = source["conflict"];
	        this.actions = this.convertValues(source["actions"], portal.ActionCheck);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class QueuedChange {
	    id: number;
	    command: string;
	    entityType: string;
	    entityId: string;
	
	    static createFrom(source: any = {}) {
	        return new QueuedChange(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.command = source["command"];
	        this.entityType = source["entityType"];
	        this.entityId = source["entityId"];
	    }
	}
	export class ActionResult {
	    change: QueuedChange;
	    user?: UserRow;
	
	    static createFrom(source: any = {}) {
	        return new ActionResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.change = this.convertValues(source["change"], QueuedChange);
	        this.user = this.convertValues(source["user"], UserRow);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ActorRefusals {
	    system: string;
	    decide: string;
	    otherOrganisation: string;
	
	    static createFrom(source: any = {}) {
	        return new ActorRefusals(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.system = source["system"];
	        this.decide = source["decide"];
	        this.otherOrganisation = source["otherOrganisation"];
	    }
	}
	export class ActorInfo {
	    known: boolean;
	    kind: string;
	    label: string;
	    id: string;
	    name: string;
	    email: string;
	    embedded: boolean;
	    systemAdmin: boolean;
	    userSetup: boolean;
	    orgAdminOf: string;
	    orgAdminOfName: string;
	    refusals: ActorRefusals;
	
	    static createFrom(source: any = {}) {
	        return new ActorInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.known = source["known"];
	        this.kind = source["kind"];
	        this.label = source["label"];
	        this.id = source["id"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.embedded = source["embedded"];
	        this.systemAdmin = source["systemAdmin"];
	        this.userSetup = source["userSetup"];
	        this.orgAdminOf = source["orgAdminOf"];
	        this.orgAdminOfName = source["orgAdminOfName"];
	        this.refusals = this.convertValues(source["refusals"], ActorRefusals);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class AddedPerson {
	    email: string;
	    name: string;
	    created: boolean;
	    invited: boolean;
	    skipped?: string;
	
	    static createFrom(source: any = {}) {
	        return new AddedPerson(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.email = source["email"];
	        this.name = source["name"];
	        this.created = source["created"];
	        this.invited = source["invited"];
	        this.skipped = source["skipped"];
	    }
	}
	export class AddUsersOutcome {
	    change: QueuedChange;
	    sent: boolean;
	    people: AddedPerson[];
	    batch?: batch.Batch;
	
	    static createFrom(source: any = {}) {
	        return new AddUsersOutcome(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.change = this.convertValues(source["change"], QueuedChange);
	        this.sent = source["sent"];
	        this.people = this.convertValues(source["people"], AddedPerson);
	        this.batch = this.convertValues(source["batch"], batch.Batch);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class AddUsersRequest {
	    organizationId: string;
	    emails: string[];
	    roles: string[];
	    inviteNow: boolean;
	    expiresInDays: number;
	
	    static createFrom(source: any = {}) {
	        return new AddUsersRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.organizationId = source["organizationId"];
	        this.emails = source["emails"];
	        this.roles = source["roles"];
	        this.inviteNow = source["inviteNow"];
	        this.expiresInDays = source["expiresInDays"];
	    }
	}
	
	export class AddressCheck {
	    input: string;
	    email: string;
	    error?: string;
	    contactName?: string;
	    newName?: string;
	    account?: string;
	
	    static createFrom(source: any = {}) {
	        return new AddressCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.input = source["input"];
	        this.email = source["email"];
	        this.error = source["error"];
	        this.contactName = source["contactName"];
	        this.newName = source["newName"];
	        this.account = source["account"];
	    }
	}
	export class AuditEntry {
	    id: number;
	    // Go type: time
	    at: any;
	    actorId: string;
	    actorName: string;
	    action: string;
	    entityType: string;
	    entityId: string;
	    organizationId: string;
	    reason: string;
	    before: Record<string, any>;
	    after: Record<string, any>;
	
	    static createFrom(source: any = {}) {
	        return new AuditEntry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.at = this.convertValues(source["at"], null);
	        this.actorId = source["actorId"];
	        this.actorName = source["actorName"];
	        this.action = source["action"];
	        this.entityType = source["entityType"];
	        this.entityId = source["entityId"];
	        this.organizationId = source["organizationId"];
	        this.reason = source["reason"];
	        this.before = source["before"];
	        this.after = source["after"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class AuditPage {
	    rows: AuditEntry[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new AuditPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rows = this.convertValues(source["rows"], AuditEntry);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class AuditQuery {
	    entityType: string;
	    entityId: string;
	    actorId: string;
	    action: string;
	    organizationId: string;
	    // Go type: time
	    from?: any;
	    // Go type: time
	    to?: any;
	    offset: number;
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new AuditQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.entityType = source["entityType"];
	        this.entityId = source["entityId"];
	        this.actorId = source["actorId"];
	        this.action = source["action"];
	        this.organizationId = source["organizationId"];
	        this.from = this.convertValues(source["from"], null);
	        this.to = this.convertValues(source["to"], null);
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class BulkItem {
	    id: string;
	    ok: boolean;
	    changeId?: number;
	    code?: string;
	    message?: string;
	
	    static createFrom(source: any = {}) {
	        return new BulkItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.ok = source["ok"];
	        this.changeId = source["changeId"];
	        this.code = source["code"];
	        this.message = source["message"];
	    }
	}
	export class BulkResult {
	    items: BulkItem[];
	    queued: number;
	    refused: number;
	
	    static createFrom(source: any = {}) {
	        return new BulkResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.items = this.convertValues(source["items"], BulkItem);
	        this.queued = source["queued"];
	        this.refused = source["refused"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ClientCandidate {
	    user: UserRow;
	    contact?: portal.Contact;
	    promotable: boolean;
	    blocker: string;
	
	    static createFrom(source: any = {}) {
	        return new ClientCandidate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.user = this.convertValues(source["user"], UserRow);
	        this.contact = this.convertValues(source["contact"], portal.Contact);
	        this.promotable = source["promotable"];
	        this.blocker = source["blocker"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Conflict {
	    id: number;
	    command: string;
	    description: string;
	    entityType: string;
	    entityId: string;
	    message: string;
	    // Go type: time
	    queuedAt: any;
	    mine: replica.Version;
	    theirs: replica.Version;
	    payload: Record<string, any>;
	
	    static createFrom(source: any = {}) {
	        return new Conflict(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.command = source["command"];
	        this.description = source["description"];
	        this.entityType = source["entityType"];
	        this.entityId = source["entityId"];
	        this.message = source["message"];
	        this.queuedAt = this.convertValues(source["queuedAt"], null);
	        this.mine = this.convertValues(source["mine"], replica.Version);
	        this.theirs = this.convertValues(source["theirs"], replica.Version);
	        this.payload = source["payload"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class DemoSummary {
	    organizations: number;
	    accounts: number;
	    pending: number;
	    invitations: number;
	    alreadyLoaded: boolean;
	
	    static createFrom(source: any = {}) {
	        return new DemoSummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.organizations = source["organizations"];
	        this.accounts = source["accounts"];
	        this.pending = source["pending"];
	        this.invitations = source["invitations"];
	        this.alreadyLoaded = source["alreadyLoaded"];
	    }
	}
	export class FirstRunState {
	    needsSetup: boolean;
	    mode: string;
	    serverUrl: string;
	    demoLoaded: boolean;
	
	    static createFrom(source: any = {}) {
	        return new FirstRunState(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.needsSetup = source["needsSetup"];
	        this.mode = source["mode"];
	        this.serverUrl = source["serverUrl"];
	        this.demoLoaded = source["demoLoaded"];
	    }
	}
	export class GoLiveResult {
	    waiting: boolean;
	    serverUrl: string;
	    result?: golive.Result;
	
	    static createFrom(source: any = {}) {
	        return new GoLiveResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.waiting = source["waiting"];
	        this.serverUrl = source["serverUrl"];
	        this.result = this.convertValues(source["result"], golive.Result);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class InvitationRow {
	    id: string;
	    email: string;
	    status: string;
	    roles: string[];
	    batchId: string;
	    createdBy: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    expiresAt: any;
	    // Go type: time
	    acceptedAt?: any;
	    // Go type: time
	    revokedAt?: any;
	
	    static createFrom(source: any = {}) {
	        return new InvitationRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.email = source["email"];
	        this.status = source["status"];
	        this.roles = source["roles"];
	        this.batchId = source["batchId"];
	        this.createdBy = source["createdBy"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.acceptedAt = this.convertValues(source["acceptedAt"], null);
	        this.revokedAt = this.convertValues(source["revokedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class LocalAdmin {
	    name: string;
	    email: string;
	
	    static createFrom(source: any = {}) {
	        return new LocalAdmin(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.email = source["email"];
	    }
	}
	export class OrgRow {
	    id: string;
	    name: string;
	    phone: string;
	    type: string;
	    member: boolean;
	    users: number;
	    admins: number;
	    pending: boolean;
	
	    static createFrom(source: any = {}) {
	        return new OrgRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.phone = source["phone"];
	        this.type = source["type"];
	        this.member = source["member"];
	        this.users = source["users"];
	        this.admins = source["admins"];
	        this.pending = source["pending"];
	    }
	}
	export class OrgPage {
	    rows: OrgRow[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new OrgPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rows = this.convertValues(source["rows"], OrgRow);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RoleInfo {
	    id: string;
	    name: string;
	    scope: string;
	    organizationId: string;
	    core: boolean;
	    permissions: string[];
	    version: number;
	    pending: boolean;
	
	    static createFrom(source: any = {}) {
	        return new RoleInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.scope = source["scope"];
	        this.organizationId = source["organizationId"];
	        this.core = source["core"];
	        this.permissions = source["permissions"];
	        this.version = source["version"];
	        this.pending = source["pending"];
	    }
	}
	export class OrgProfile {
	    organization: portal.Organization;
	    pending: boolean;
	    users: UserRow[];
	    roles: RoleInfo[];
	
	    static createFrom(source: any = {}) {
	        return new OrgProfile(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.organization = this.convertValues(source["organization"], portal.Organization);
	        this.pending = source["pending"];
	        this.users = this.convertValues(source["users"], UserRow);
	        this.roles = this.convertValues(source["roles"], RoleInfo);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class OrgQuery {
	    query: string;
	    type: string;
	    offset: number;
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new OrgQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.query = source["query"];
	        this.type = source["type"];
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	    }
	}
	export class OrgResult {
	    change: QueuedChange;
	    organization: portal.Organization;
	
	    static createFrom(source: any = {}) {
	        return new OrgResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.change = this.convertValues(source["change"], QueuedChange);
	        this.organization = this.convertValues(source["organization"], portal.Organization);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class PendingChangeInfo {
	    id: number;
	    command: string;
	    state: string;
	    message: string;
	    // Go type: time
	    queuedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new PendingChangeInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.command = source["command"];
	        this.state = source["state"];
	        this.message = source["message"];
	        this.queuedAt = this.convertValues(source["queuedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PortalSettingsView {
	    settings: portal.Settings;
	    pending: boolean;
	
	    static createFrom(source: any = {}) {
	        return new PortalSettingsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.settings = this.convertValues(source["settings"], portal.Settings);
	        this.pending = source["pending"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class ReminderResult {
	    batchId: string;
	    batchName: string;
	    people: number;
	    resent: number;
	    skipped: string[];
	
	    static createFrom(source: any = {}) {
	        return new ReminderResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batchId = source["batchId"];
	        this.batchName = source["batchName"];
	        this.people = source["people"];
	        this.resent = source["resent"];
	        this.skipped = source["skipped"];
	    }
	}
	export class RoleCatalog {
	    core: RoleInfo[];
	    additional: RoleInfo[];
	    byOrganization: Record<string, Array<RoleInfo>>;
	
	    static createFrom(source: any = {}) {
	        return new RoleCatalog(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.core = this.convertValues(source["core"], RoleInfo);
	        this.additional = this.convertValues(source["additional"], RoleInfo);
	        this.byOrganization = this.convertValues(source["byOrganization"], Array<RoleInfo>, true);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class RoleResult {
	    change: QueuedChange;
	    role?: RoleInfo;
	
	    static createFrom(source: any = {}) {
	        return new RoleResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.change = this.convertValues(source["change"], QueuedChange);
	        this.role = this.convertValues(source["role"], RoleInfo);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SyncStatus {
	    mode: string;
	    serverUrl: string;
	    online: boolean;
	    syncing: boolean;
	    // Go type: time
	    lastSyncAt?: any;
	    pending: number;
	    conflicts: number;
	    failed: number;
	    lastError: string;
	    needsSignIn: boolean;
	    indexing: boolean;
	    unencrypted: boolean;
	
	    static createFrom(source: any = {}) {
	        return new SyncStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.mode = source["mode"];
	        this.serverUrl = source["serverUrl"];
	        this.online = source["online"];
	        this.syncing = source["syncing"];
	        this.lastSyncAt = this.convertValues(source["lastSyncAt"], null);
	        this.pending = source["pending"];
	        this.conflicts = source["conflicts"];
	        this.failed = source["failed"];
	        this.lastError = source["lastError"];
	        this.needsSignIn = source["needsSignIn"];
	        this.indexing = source["indexing"];
	        this.unencrypted = source["unencrypted"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UndoResult {
	    undone: boolean;
	    reverse?: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new UndoResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.undone = source["undone"];
	        this.reverse = source["reverse"];
	        this.message = source["message"];
	    }
	}
	export class UserDetail {
	    user: UserRow;
	    server?: UserRow;
	    pending: PendingChangeInfo[];
	    contact?: portal.Contact;
	    invitations: InvitationRow[];
	    history: AuditEntry[];
	    actions: portal.ActionCheck[];
	
	    static createFrom(source: any = {}) {
	        return new UserDetail(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.user = this.convertValues(source["user"], UserRow);
	        this.server = this.convertValues(source["server"], UserRow);
	        this.pending = this.convertValues(source["pending"], PendingChangeInfo);
	        this.contact = this.convertValues(source["contact"], portal.Contact);
	        this.invitations = this.convertValues(source["invitations"], InvitationRow);
	        this.history = this.convertValues(source["history"], AuditEntry);
	        this.actions = this.convertValues(source["actions"], portal.ActionCheck);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UserPage {
	    rows: UserRow[];
	    total: number;
	    capped: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UserPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rows = this.convertValues(source["rows"], UserRow);
	        this.total = source["total"];
	        this.capped = source["capped"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UserQuery {
	    query: string;
	    status: string[];
	    kind: string;
	    role: string;
	    organizationId: string;
	    orgAdmin?: boolean;
	    lastLogin: string;
	    lastLoginDays: number;
	    ghost: boolean;
	    pendingOnly: boolean;
	    offset: number;
	    limit: number;
	    sort: string;
	    desc: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UserQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.query = source["query"];
	        this.status = source["status"];
	        this.kind = source["kind"];
	        this.role = source["role"];
	        this.organizationId = source["organizationId"];
	        this.orgAdmin = source["orgAdmin"];
	        this.lastLogin = source["lastLogin"];
	        this.lastLoginDays = source["lastLoginDays"];
	        this.ghost = source["ghost"];
	        this.pendingOnly = source["pendingOnly"];
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	        this.sort = source["sort"];
	        this.desc = source["desc"];
	    }
	}

}

export namespace golive {
	
	export class Plan {
	    serverUrl: string;
	    organizations: number;
	    contacts: number;
	    messages: string[];
	    accounts: number;
	    invitations: number;
	    demo: number;
	    carried: string[];
	    notCarried: string[];
	    kept: string[];
	
	    static createFrom(source: any = {}) {
	        return new Plan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.serverUrl = source["serverUrl"];
	        this.organizations = source["organizations"];
	        this.contacts = source["contacts"];
	        this.messages = source["messages"];
	        this.accounts = source["accounts"];
	        this.invitations = source["invitations"];
	        this.demo = source["demo"];
	        this.carried = source["carried"];
	        this.notCarried = source["notCarried"];
	        this.kept = source["kept"];
	    }
	}
	export class Result {
	    // Go type: time
	    at: any;
	    serverUrl: string;
	    organizations: number;
	    contacts: number;
	    messages: number;
	    alreadyThere: number;
	    keptTheirs: string[];
	    refused: string[];
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.at = this.convertValues(source["at"], null);
	        this.serverUrl = source["serverUrl"];
	        this.organizations = source["organizations"];
	        this.contacts = source["contacts"];
	        this.messages = source["messages"];
	        this.alreadyThere = source["alreadyThere"];
	        this.keptTheirs = source["keptTheirs"];
	        this.refused = source["refused"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace imports {
	
	export class ApplySummary {
	    queued: number;
	    created: number;
	    updated: number;
	    skipped: number;
	    refused: number;
	    notYet: number;
	    complete: boolean;
	    started: boolean;
	    waitingForServer: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ApplySummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.queued = source["queued"];
	        this.created = source["created"];
	        this.updated = source["updated"];
	        this.skipped = source["skipped"];
	        this.refused = source["refused"];
	        this.notYet = source["notYet"];
	        this.complete = source["complete"];
	        this.started = source["started"];
	        this.waitingForServer = source["waitingForServer"];
	    }
	}
	export class ColumnInfo {
	    column: number;
	    letter: string;
	    header: string;
	
	    static createFrom(source: any = {}) {
	        return new ColumnInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.column = source["column"];
	        this.letter = source["letter"];
	        this.header = source["header"];
	    }
	}
	export class CountInfo {
	    code: string;
	    label: string;
	    count: number;
	
	    static createFrom(source: any = {}) {
	        return new CountInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.code = source["code"];
	        this.label = source["label"];
	        this.count = source["count"];
	    }
	}
	export class FieldInfo {
	    field: string;
	    label: string;
	    column: number;
	
	    static createFrom(source: any = {}) {
	        return new FieldInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.field = source["field"];
	        this.label = source["label"];
	        this.column = source["column"];
	    }
	}
	export class MappingRequest {
	    headerRow: number;
	    columns: Record<string, number>;
	
	    static createFrom(source: any = {}) {
	        return new MappingRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.headerRow = source["headerRow"];
	        this.columns = source["columns"];
	    }
	}
	export class PreviewLine {
	    row: number;
	    action: string;
	    reason: string;
	    name: string;
	    email: string;
	    organization: string;
	    newOrganization: boolean;
	    changes: string[];
	    warnings: string[];
	
	    static createFrom(source: any = {}) {
	        return new PreviewLine(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.row = source["row"];
	        this.action = source["action"];
	        this.reason = source["reason"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.organization = source["organization"];
	        this.newOrganization = source["newOrganization"];
	        this.changes = source["changes"];
	        this.warnings = source["warnings"];
	    }
	}
	export class PreviewSummary {
	    create: number;
	    update: number;
	    skip: number;
	    newOrganizations: string[];
	    rows: PreviewLine[];
	
	    static createFrom(source: any = {}) {
	        return new PreviewSummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.create = source["create"];
	        this.update = source["update"];
	        this.skip = source["skip"];
	        this.newOrganizations = source["newOrganizations"];
	        this.rows = this.convertValues(source["rows"], PreviewLine);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ReadOptions {
	    sheet: string;
	    dayFirst: boolean;
	    asOf: string;
	
	    static createFrom(source: any = {}) {
	        return new ReadOptions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.sheet = source["sheet"];
	        this.dayFirst = source["dayFirst"];
	        this.asOf = source["asOf"];
	    }
	}
	export class RowView {
	    row: number;
	    cells: string[];
	    edited: number[];
	    original: string[];
	    excluded: boolean;
	    excludeReason?: string;
	    mergedInto?: number;
	    findings: quality.Finding[];
	    result?: string;
	    resultReason?: string;
	
	    static createFrom(source: any = {}) {
	        return new RowView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.row = source["row"];
	        this.cells = source["cells"];
	        this.edited = source["edited"];
	        this.original = source["original"];
	        this.excluded = source["excluded"];
	        this.excludeReason = source["excludeReason"];
	        this.mergedInto = source["mergedInto"];
	        this.findings = this.convertValues(source["findings"], quality.Finding);
	        this.result = source["result"];
	        this.resultReason = source["resultReason"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RowPage {
	    total: number;
	    rows: RowView[];
	
	    static createFrom(source: any = {}) {
	        return new RowPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.total = source["total"];
	        this.rows = this.convertValues(source["rows"], RowView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RowRequest {
	    offset: number;
	    limit: number;
	    filter: string;
	    code: string;
	    search: string;
	
	    static createFrom(source: any = {}) {
	        return new RowRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.offset = source["offset"];
	        this.limit = source["limit"];
	        this.filter = source["filter"];
	        this.code = source["code"];
	        this.search = source["search"];
	    }
	}
	
	export class SheetRow {
	    row: number;
	    cells: string[];
	
	    static createFrom(source: any = {}) {
	        return new SheetRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.row = source["row"];
	        this.cells = source["cells"];
	    }
	}
	export class SessionInfo {
	    id: string;
	    fileName: string;
	    filePath: string;
	    format: string;
	    sheet: string;
	    sheets: string[];
	    encoding: string;
	    state: string;
	    headerRow: number;
	    columns: ColumnInfo[];
	    fields: FieldInfo[];
	    mappingRemembered: boolean;
	    topRows: SheetRow[];
	    dayFirst: boolean;
	    asOf: string;
	    rowsRead: number;
	    dataRows: number;
	    excluded: number;
	    included: number;
	    rowsWithFindings: number;
	    counts: CountInfo[];
	    stale: boolean;
	    error: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    // Go type: time
	    checkedAt?: any;
	    // Go type: time
	    applyStartedAt?: any;
	
	    static createFrom(source: any = {}) {
	        return new SessionInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.fileName = source["fileName"];
	        this.filePath = source["filePath"];
	        this.format = source["format"];
	        this.sheet = source["sheet"];
	        this.sheets = source["sheets"];
	        this.encoding = source["encoding"];
	        this.state = source["state"];
	        this.headerRow = source["headerRow"];
	        this.columns = this.convertValues(source["columns"], ColumnInfo);
	        this.fields = this.convertValues(source["fields"], FieldInfo);
	        this.mappingRemembered = source["mappingRemembered"];
	        this.topRows = this.convertValues(source["topRows"], SheetRow);
	        this.dayFirst = source["dayFirst"];
	        this.asOf = source["asOf"];
	        this.rowsRead = source["rowsRead"];
	        this.dataRows = source["dataRows"];
	        this.excluded = source["excluded"];
	        this.included = source["included"];
	        this.rowsWithFindings = source["rowsWithFindings"];
	        this.counts = this.convertValues(source["counts"], CountInfo);
	        this.stale = source["stale"];
	        this.error = source["error"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.checkedAt = this.convertValues(source["checkedAt"], null);
	        this.applyStartedAt = this.convertValues(source["applyStartedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace mail {
	
	export class Template {
	    key: string;
	    name: string;
	    subject: string;
	    body: string;
	    placeholders: string[];
	
	    static createFrom(source: any = {}) {
	        return new Template(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.name = source["name"];
	        this.subject = source["subject"];
	        this.body = source["body"];
	        this.placeholders = source["placeholders"];
	    }
	}

}

export namespace outreach {
	
	export class FormBatchRequest {
	    name: string;
	    importSessionId: string;
	    contactIds: string[];
	    letterFrom: string;
	    letterTo: string;
	    sortBy: string;
	    organizationType: string;
	    membersOnly: boolean;
	    overrides: batch.Override[];
	    roles: string[];
	    roleIds: string[];
	    expiresInDays: number;
	
	    static createFrom(source: any = {}) {
	        return new FormBatchRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.importSessionId = source["importSessionId"];
	        this.contactIds = source["contactIds"];
	        this.letterFrom = source["letterFrom"];
	        this.letterTo = source["letterTo"];
	        this.sortBy = source["sortBy"];
	        this.organizationType = source["organizationType"];
	        this.membersOnly = source["membersOnly"];
	        this.overrides = this.convertValues(source["overrides"], batch.Override);
	        this.roles = source["roles"];
	        this.roleIds = source["roleIds"];
	        this.expiresInDays = source["expiresInDays"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class FormBatchResult {
	    batch: batch.Batch;
	    excluded: batch.Recipient[];
	
	    static createFrom(source: any = {}) {
	        return new FormBatchResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.batch = this.convertValues(source["batch"], batch.Batch);
	        this.excluded = this.convertValues(source["excluded"], batch.Recipient);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class SMTPSettings {
	    host: string;
	    port: number;
	    security: string;
	    username: string;
	    from: string;
	    ratePerSecond: number;
	    hasPassword: boolean;
	    caCertificates: string;
	
	    static createFrom(source: any = {}) {
	        return new SMTPSettings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.port = source["port"];
	        this.security = source["security"];
	        this.username = source["username"];
	        this.from = source["from"];
	        this.ratePerSecond = source["ratePerSecond"];
	        this.hasPassword = source["hasPassword"];
	        this.caCertificates = source["caCertificates"];
	    }
	}
	export class TemplateInfo {
	    key: string;
	    name: string;
	    subject: string;
	    body: string;
	    placeholders: string[];
	    customised: boolean;
	    pending: boolean;
	    synced: boolean;
	
	    static createFrom(source: any = {}) {
	        return new TemplateInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.name = source["name"];
	        this.subject = source["subject"];
	        this.body = source["body"];
	        this.placeholders = source["placeholders"];
	        this.customised = source["customised"];
	        this.pending = source["pending"];
	        this.synced = source["synced"];
	    }
	}
	export class TemplatePreview {
	    recipient: string;
	    subject: string;
	    body: string;
	    problems: string[];
	
	    static createFrom(source: any = {}) {
	        return new TemplatePreview(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.recipient = source["recipient"];
	        this.subject = source["subject"];
	        this.body = source["body"];
	        this.problems = source["problems"];
	    }
	}

}

export namespace portal {
	
	export class DirectoryLink {
	    directoryId: string;
	    directoryName: string;
	    userName: string;
	    externalId?: string;
	    givenName?: string;
	    familyName?: string;
	    title?: string;
	    department?: string;
	
	    static createFrom(source: any = {}) {
	        return new DirectoryLink(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.directoryId = source["directoryId"];
	        this.directoryName = source["directoryName"];
	        this.userName = source["userName"];
	        this.externalId = source["externalId"];
	        this.givenName = source["givenName"];
	        this.familyName = source["familyName"];
	        this.title = source["title"];
	        this.department = source["department"];
	    }
	}
	export class Account {
	    id: string;
	    contactId: string;
	    organizationId: string;
	    email: string;
	    name: string;
	    status: string;
	    kind: string;
	    orgAdmin: boolean;
	    coreRole: string;
	    additionalRoles: string[];
	    source: string;
	    subject: string;
	    registrationComplete: boolean;
	    clientRecord: boolean;
	    // Go type: time
	    accessRequestedAt?: any;
	    denyReason: string;
	    decidedBy: string;
	    // Go type: time
	    decidedAt?: any;
	    // Go type: time
	    lastLoginAt?: any;
	    directory?: DirectoryLink;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Account(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.contactId = source["contactId"];
	        this.organizationId = source["organizationId"];
	        this.email = source["email"];
	        this.name = source["name"];
	        this.status = source["status"];
	        this.kind = source["kind"];
	        this.orgAdmin = source["orgAdmin"];
	        this.coreRole = source["coreRole"];
	        this.additionalRoles = source["additionalRoles"];
	        this.source = source["source"];
	        this.subject = source["subject"];
	        this.registrationComplete = source["registrationComplete"];
	        this.clientRecord = source["clientRecord"];
	        this.accessRequestedAt = this.convertValues(source["accessRequestedAt"], null);
	        this.denyReason = source["denyReason"];
	        this.decidedBy = source["decidedBy"];
	        this.decidedAt = this.convertValues(source["decidedAt"], null);
	        this.lastLoginAt = this.convertValues(source["lastLoginAt"], null);
	        this.directory = this.convertValues(source["directory"], DirectoryLink);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ActionCheck {
	    action: string;
	    allowed: boolean;
	    reason: string;
	
	    static createFrom(source: any = {}) {
	        return new ActionCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.action = source["action"];
	        this.allowed = source["allowed"];
	        this.reason = source["reason"];
	    }
	}
	export class Address {
	    line1: string;
	    line2: string;
	    city: string;
	    region: string;
	    postalCode: string;
	    country: string;
	
	    static createFrom(source: any = {}) {
	        return new Address(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line1 = source["line1"];
	        this.line2 = source["line2"];
	        this.city = source["city"];
	        this.region = source["region"];
	        this.postalCode = source["postalCode"];
	        this.country = source["country"];
	    }
	}
	export class Contact {
	    id: string;
	    organizationId: string;
	    fullName: string;
	    firstName: string;
	    lastName: string;
	    email: string;
	    phone: string;
	    position: string;
	    member: boolean;
	    // Go type: time
	    roleUntil?: any;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Contact(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.organizationId = source["organizationId"];
	        this.fullName = source["fullName"];
	        this.firstName = source["firstName"];
	        this.lastName = source["lastName"];
	        this.email = source["email"];
	        this.phone = source["phone"];
	        this.position = source["position"];
	        this.member = source["member"];
	        this.roleUntil = this.convertValues(source["roleUntil"], null);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Invitation {
	    id: string;
	    accountId: string;
	    contactId: string;
	    organizationId: string;
	    email: string;
	    name: string;
	    roles: string[];
	    status: string;
	    batchId: string;
	    createdBy: string;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    expiresAt: any;
	    // Go type: time
	    acceptedAt?: any;
	    // Go type: time
	    revokedAt?: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Invitation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.accountId = source["accountId"];
	        this.contactId = source["contactId"];
	        this.organizationId = source["organizationId"];
	        this.email = source["email"];
	        this.name = source["name"];
	        this.roles = source["roles"];
	        this.status = source["status"];
	        this.batchId = source["batchId"];
	        this.createdBy = source["createdBy"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.acceptedAt = this.convertValues(source["acceptedAt"], null);
	        this.revokedAt = this.convertValues(source["revokedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Organization {
	    id: string;
	    name: string;
	    phone: string;
	    type: string;
	    member: boolean;
	    actualAddress: Address;
	    legalAddress: Address;
	    shippingAddress: Address;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Organization(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.phone = source["phone"];
	        this.type = source["type"];
	        this.member = source["member"];
	        this.actualAddress = this.convertValues(source["actualAddress"], Address);
	        this.legalAddress = this.convertValues(source["legalAddress"], Address);
	        this.shippingAddress = this.convertValues(source["shippingAddress"], Address);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Role {
	    id: string;
	    name: string;
	    scope: string;
	    organizationId: string;
	    core: boolean;
	    permissions: string[];
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Role(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.scope = source["scope"];
	        this.organizationId = source["organizationId"];
	        this.core = source["core"];
	        this.permissions = source["permissions"];
	        this.version = source["version"];
	    }
	}
	export class Settings {
	    productName: string;
	    signUpMode: string;
	    approverEmails: string[];
	    requestAccessIntervalMinutes: number;
	    notifyDenied: boolean;
	    publicUrl: string;
	    senderName: string;
	    senderAddress: string;
	    invitationDays: number;
	    maxInvitationDays: number;
	    sessionHours: number;
	    // Go type: time
	    updatedAt: any;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.productName = source["productName"];
	        this.signUpMode = source["signUpMode"];
	        this.approverEmails = source["approverEmails"];
	        this.requestAccessIntervalMinutes = source["requestAccessIntervalMinutes"];
	        this.notifyDenied = source["notifyDenied"];
	        this.publicUrl = source["publicUrl"];
	        this.senderName = source["senderName"];
	        this.senderAddress = source["senderAddress"];
	        this.invitationDays = source["invitationDays"];
	        this.maxInvitationDays = source["maxInvitationDays"];
	        this.sessionHours = source["sessionHours"];
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace quality {
	
	export class Finding {
	    row: number;
	    code: string;
	    field?: string;
	    column: string;
	    message: string;
	    related: number[];
	    action: string;
	    suggestion?: string;
	
	    static createFrom(source: any = {}) {
	        return new Finding(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.row = source["row"];
	        this.code = source["code"];
	        this.field = source["field"];
	        this.column = source["column"];
	        this.message = source["message"];
	        this.related = source["related"];
	        this.action = source["action"];
	        this.suggestion = source["suggestion"];
	    }
	}

}

export namespace replica {
	
	export class Change {
	    id: number;
	    command: string;
	    description: string;
	    entityType: string;
	    entityId: string;
	    state: string;
	    givenUp: boolean;
	    attempts: number;
	    // Go type: time
	    nextAttemptAt?: any;
	    message: string;
	    // Go type: time
	    queuedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Change(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.command = source["command"];
	        this.description = source["description"];
	        this.entityType = source["entityType"];
	        this.entityId = source["entityId"];
	        this.state = source["state"];
	        this.givenUp = source["givenUp"];
	        this.attempts = source["attempts"];
	        this.nextAttemptAt = this.convertValues(source["nextAttemptAt"], null);
	        this.message = source["message"];
	        this.queuedAt = this.convertValues(source["queuedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Version {
	    account?: portal.Account;
	    organization?: portal.Organization;
	    contact?: portal.Contact;
	    invitation?: portal.Invitation;
	    role?: portal.Role;
	    template?: api.Template;
	    settings?: portal.Settings;
	    removed: boolean;
	    version: number;
	
	    static createFrom(source: any = {}) {
	        return new Version(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.account = this.convertValues(source["account"], portal.Account);
	        this.organization = this.convertValues(source["organization"], portal.Organization);
	        this.contact = this.convertValues(source["contact"], portal.Contact);
	        this.invitation = this.convertValues(source["invitation"], portal.Invitation);
	        this.role = this.convertValues(source["role"], portal.Role);
	        this.template = this.convertValues(source["template"], api.Template);
	        this.settings = this.convertValues(source["settings"], portal.Settings);
	        this.removed = source["removed"];
	        this.version = source["version"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace reports {
	
	export class Bucket {
	    // Go type: time
	    start: any;
	    // Go type: time
	    end: any;
	    label: string;
	    count: number;
	
	    static createFrom(source: any = {}) {
	        return new Bucket(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.start = this.convertValues(source["start"], null);
	        this.end = this.convertValues(source["end"], null);
	        this.label = source["label"];
	        this.count = source["count"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Column {
	    key: string;
	    label: string;
	    type: string;
	    width: number;
	    sortable: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Column(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.label = source["label"];
	        this.type = source["type"];
	        this.width = source["width"];
	        this.sortable = source["sortable"];
	    }
	}
	export class Count {
	    key: string;
	    label: string;
	    count: number;
	
	    static createFrom(source: any = {}) {
	        return new Count(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.label = source["label"];
	        this.count = source["count"];
	    }
	}
	export class LoginSeries {
	    title: string;
	    granularity: string;
	    buckets: Bucket[];
	    latestOnly: boolean;
	
	    static createFrom(source: any = {}) {
	        return new LoginSeries(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.title = source["title"];
	        this.granularity = source["granularity"];
	        this.buckets = this.convertValues(source["buckets"], Bucket);
	        this.latestOnly = source["latestOnly"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Figures {
	    // Go type: time
	    generatedAt: any;
	    inactiveDays: number;
	    funnel: Count[];
	    logins: LoginSeries;
	    loginStates: Count[];
	    invitationsByStatus: Count[];
	    invitationsByBatch: Count[];
	    accountsByStatus: Count[];
	    accountsByOrganization: Count[];
	
	    static createFrom(source: any = {}) {
	        return new Figures(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.generatedAt = this.convertValues(source["generatedAt"], null);
	        this.inactiveDays = source["inactiveDays"];
	        this.funnel = this.convertValues(source["funnel"], Count);
	        this.logins = this.convertValues(source["logins"], LoginSeries);
	        this.loginStates = this.convertValues(source["loginStates"], Count);
	        this.invitationsByStatus = this.convertValues(source["invitationsByStatus"], Count);
	        this.invitationsByBatch = this.convertValues(source["invitationsByBatch"], Count);
	        this.accountsByStatus = this.convertValues(source["accountsByStatus"], Count);
	        this.accountsByOrganization = this.convertValues(source["accountsByOrganization"], Count);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Filter {
	    accountStatus: string;
	    login: string;
	    inactiveDays: number;
	    organizationId: string;
	    invitationStatus: string;
	    batchId: string;
	    stage: string;
	    // Go type: time
	    loginFrom?: any;
	    // Go type: time
	    loginTo?: any;
	    decision: string;
	    query: string;
	    granularity: string;
	
	    static createFrom(source: any = {}) {
	        return new Filter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.accountStatus = source["accountStatus"];
	        this.login = source["login"];
	        this.inactiveDays = source["inactiveDays"];
	        this.organizationId = source["organizationId"];
	        this.invitationStatus = source["invitationStatus"];
	        this.batchId = source["batchId"];
	        this.stage = source["stage"];
	        this.loginFrom = this.convertValues(source["loginFrom"], null);
	        this.loginTo = this.convertValues(source["loginTo"], null);
	        this.decision = source["decision"];
	        this.query = source["query"];
	        this.granularity = source["granularity"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Row {
	    id: string;
	    cells: any[];
	
	    static createFrom(source: any = {}) {
	        return new Row(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.cells = source["cells"];
	    }
	}
	export class Page {
	    kind: string;
	    title: string;
	    columns: Column[];
	    rows: Row[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new Page(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.title = source["title"];
	        this.columns = this.convertValues(source["columns"], Column);
	        this.rows = this.convertValues(source["rows"], Row);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Sort {
	    key: string;
	    desc: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Sort(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.desc = source["desc"];
	    }
	}

}

export namespace session {
	
	export class Settings {
	    serverUrl: string;
	    issuer: string;
	    clientId: string;
	    scopes: string;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.serverUrl = source["serverUrl"];
	        this.issuer = source["issuer"];
	        this.clientId = source["clientId"];
	        this.scopes = source["scopes"];
	    }
	}
	export class Start {
	    authUrl: string;
	    browserOpened: boolean;
	    browserError: string;
	    test: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Start(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.authUrl = source["authUrl"];
	        this.browserOpened = source["browserOpened"];
	        this.browserError = source["browserError"];
	        this.test = source["test"];
	    }
	}
	export class State {
	    mode: string;
	    serverUrl: string;
	    signedIn: boolean;
	    email: string;
	    name: string;
	    // Go type: time
	    expiresAt?: any;
	    needsSignIn: boolean;
	    message: string;
	    inProgress: boolean;
	    authUrl: string;
	    test: boolean;
	
	    static createFrom(source: any = {}) {
	        return new State(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.mode = source["mode"];
	        this.serverUrl = source["serverUrl"];
	        this.signedIn = source["signedIn"];
	        this.email = source["email"];
	        this.name = source["name"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.needsSignIn = source["needsSignIn"];
	        this.message = source["message"];
	        this.inProgress = source["inProgress"];
	        this.authUrl = source["authUrl"];
	        this.test = source["test"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

