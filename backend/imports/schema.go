package imports

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the numbered migrations of this package's own tables in the desktop database,
// for cache.Open (cache.WithSchema).
func Schema() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}
