export namespace app {
	
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

}

