package desk

import (
	"gatehouse/backend/portal"
	"runtime"
	"runtime/debug"
)

// AboutInfo is what Settings → About shows, and what support asks for.
type AboutInfo struct {
	Version      string `json:"version"`
	GoVersion    string `json:"goVersion"`
	WailsVersion string `json:"wailsVersion"`
	OS           string `json:"os"`
	// DatabasePath is the local cache file.
	DatabasePath string `json:"databasePath"`
	// DatabaseError says why the cache could not be opened; empty when it is open.
	DatabaseError string `json:"databaseError,omitempty"`
}

const wailsModule = "github.com/wailsapp/wails/v2"

// About describes this build and where its data lives. It answers even when the local
// database could not be opened, because that is when the user needs the path most.
func (a *Desk) About() (AboutInfo, error) {
	info := AboutInfo{
		Version:      a.cfg.Version,
		GoVersion:    runtime.Version(),
		WailsVersion: moduleVersion(wailsModule),
		OS:           runtime.GOOS + "/" + runtime.GOARCH,
	}
	db, err := a.cache()
	if err != nil {
		a.mu.RLock()
		info.DatabasePath = a.dbPath
		a.mu.RUnlock()
		info.DatabaseError = portal.ErrorMessage(err)
		return info, nil
	}
	info.DatabasePath = db.Path()
	return info, nil
}

// moduleVersion is the version of module path linked into this binary, "unknown" when the
// binary carries no module information (test binaries do not).
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	return versionIn(bi, ok, path)
}

func versionIn(bi *debug.BuildInfo, ok bool, path string) string {
	if !ok || bi == nil {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}
